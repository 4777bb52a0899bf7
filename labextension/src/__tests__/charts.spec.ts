/**
 * @jest-environment jsdom
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { RendermimeCharts } from '../widgets/charts/rendermime';
import {
  polylinePoints,
  renderSparkline,
  renderSvgChart
} from '../widgets/charts/svg';
import { onThemeChange, readChartTheme } from '../widgets/charts/theme';
import {
  VEGALITE_MIME,
  chartedMetrics,
  metricChartSpec,
  metricCurves
} from '../widgets/charts/vegalite';
import { COMPARISON, GROUPS, bracketed } from './fixtures';

describe('metric chart spec', () => {
  it('builds a Vega-Lite spec with one point per step and run', () => {
    const spec = metricChartSpec(COMPARISON, 'train/loss') as {
      data: { values: { run: string; step: number; value: number }[] };
      $schema: string;
    };
    expect(spec.$schema).toContain('vega-lite/v5');
    expect(spec.data.values).toHaveLength(5);
    expect(spec.data.values[3]).toEqual({
      run: 'two (bbbbbbbb)',
      step: 0,
      value: 0.8
    });
  });

  it('draws each group as its mean over a band, its runs faint', () => {
    const bands = {
      ...GROUPS,
      series: {
        'train/loss': [
          {
            group: 0,
            steps: [0, 1],
            mean: [0.85, 0.4],
            low: [0.8, 0.3],
            high: [0.9, 0.5],
            runs: 2,
            downsampled: false
          }
        ]
      }
    };
    const spec = metricChartSpec(
      { ...COMPARISON, groups: bands },
      'train/loss'
    ) as {
      data: { values: { run: string; band?: boolean; low?: number }[] };
      layer: { mark: { type: string } }[];
    };
    expect(spec.layer.map(layer => layer.mark.type)).toEqual([
      'line',
      'area',
      'line'
    ]);
    const rows = spec.data.values.filter(v => v.band);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ run: 'lr=0.05 (mean ± sd)', low: 0.3 });
    expect(spec.data.values.filter(v => !v.band)).toHaveLength(5);
    expect('layer' in metricChartSpec(COMPARISON, 'train/loss')).toBe(false);
  });

  it('labels runs, axes and bands through the translator', () => {
    const spec = metricChartSpec(
      {
        ...COMPARISON,
        runs: [{ ...COMPARISON.runs[0], run_name: '' }, COMPARISON.runs[1]],
        groups: {
          ...GROUPS,
          series: {
            'train/loss': [
              {
                group: 1,
                steps: [0],
                mean: [0.5],
                low: [0.4],
                high: [0.6],
                runs: 2,
                downsampled: false
              }
            ]
          }
        }
      },
      'train/loss',
      { trans: bracketed }
    ) as {
      encoding: {
        x: { title: string };
        y: { title: string };
        color: { title: string };
        tooltip: { title: string }[];
      };
      data: { values: { run: string }[] };
    };
    expect(spec.encoding.x.title).toBe('[step]');
    expect(spec.encoding.color.title).toBe('[run]');
    // Never the metric's name: Vega-Lite puts field titles, unescaped, into Vega expressions.
    expect(spec.encoding.y.title).toBe('[value]');
    expect(spec.encoding.tooltip.map(t => t.title)).toEqual([
      '[run]',
      '[step]',
      '[value]'
    ]);
    const runs = [...new Set(spec.data.values.map(v => v.run))];
    expect(runs).toEqual([
      '[run] (aaaaaaaa)',
      'two (bbbbbbbb)',
      '[lr=0.2 (mean ± sd)]'
    ]);
  });

  it('draws the metrics that have points, each run a curve', () => {
    expect(chartedMetrics(COMPARISON)).toEqual(['train/loss']);
    expect(
      chartedMetrics({ ...COMPARISON, series: { 'train/loss': [] } })
    ).toEqual([]);
    expect(metricCurves(COMPARISON, 'train/loss')).toEqual([
      { label: 'one (aaaaaaaa)', steps: [0, 1, 2], values: [0.9, 0.5, 0.12] },
      { label: 'two (bbbbbbbb)', steps: [0, 1], values: [0.8, 0.3] }
    ]);
  });
});

describe('chart theme', () => {
  it('draws the chart in the colours the theme variables have now', () => {
    const body = document.body;
    body.style.setProperty('--jp-layout-color0', '#111111');
    body.style.setProperty('--jp-ui-font-color1', '#eeeeee');
    body.style.setProperty('--jp-brand-color1', '#4488ff');
    body.style.setProperty('--jp-warn-color1', '#ffaa00');
    try {
      const theme = readChartTheme(body);
      expect(theme).toMatchObject({
        background: '#111111',
        text: '#eeeeee',
        series: ['#4488ff', '#ffaa00']
      });
      const spec = metricChartSpec(COMPARISON, 'train/loss', { theme }) as {
        config: {
          background: string;
          title: { color: string };
          axis: { titleColor: string; gridColor?: string };
          range: { category: string[] };
        };
      };
      expect(spec.config.background).toBe('#111111');
      expect(spec.config.title.color).toBe('#eeeeee');
      expect(spec.config.axis.titleColor).toBe('#eeeeee');
      expect(spec.config.axis).not.toHaveProperty('gridColor'); // unset: Vega's own
      expect(spec.config.range.category).toEqual(['#4488ff', '#ffaa00']);
    } finally {
      body.removeAttribute('style');
    }
    // Without a theme (or with no variables defined) the spec keeps Vega's defaults.
    expect(metricChartSpec(COMPARISON, 'train/loss')).not.toHaveProperty(
      'config'
    );
  });

  it('calls back on each theme change until stopped', async () => {
    const changes: string[] = [];
    const stop = onThemeChange(document, () =>
      changes.push(document.body.dataset.jpThemeName ?? '')
    );
    const settle = () => new Promise(resolve => setTimeout(resolve, 0));
    document.body.dataset.jpThemeName = 'JupyterLab Dark';
    document.body.dataset.jpThemeLight = 'false';
    await settle();
    document.body.dataset.other = 'x'; // not a theme attribute
    await settle();
    expect(changes).toEqual(['JupyterLab Dark']); // one call for one switch
    stop();
    document.body.dataset.jpThemeName = 'JupyterLab Light';
    await settle();
    expect(changes).toEqual(['JupyterLab Dark']);
  });
});

describe('SVG charts', () => {
  it('falls back to an SVG chart with one polyline per run', () => {
    const container = document.createElement('div');
    renderSvgChart(container, 'train/loss', {}, [
      { label: 'one', steps: [0, 1], values: [1, 0] },
      { label: 'two', steps: [0, 1], values: [0.5, 0.2] }
    ]);
    expect(container.querySelectorAll('polyline')).toHaveLength(2);
    expect(container.querySelectorAll('.jp-exp-legend-item')).toHaveLength(2);
  });

  it('maps points into the box, y up, skipping non-finite values', () => {
    expect(
      polylinePoints([0, 1, 2, 3], [0, 10, NaN, 5], {
        width: 100,
        height: 20,
        pad: 0
      })
    ).toBe('0,20 33.3,0 100,10');
    expect(
      polylinePoints([0, 1], [3, 3], { width: 10, height: 10, pad: 0 })
    ).toBe('0,5 10,5');
    const svg = renderSparkline(document, [0, 1], [1, 2]);
    expect(svg.getAttribute('class')).toBe('jp-exp-sparkline');
    expect(svg.querySelector('polyline')?.getAttribute('points')).toBeTruthy();
    expect(svg.querySelector('title')?.textContent).toBe(
      '2 points, min 1, max 2'
    );
    const empty = renderSparkline(document, [], [], { trans: bracketed });
    expect(empty.querySelector('title')?.textContent).toBe('[no points]');
  });
});

/** A rendermime registry stand-in: records the models made; `fail` makes rendering reject. */
function fakeRegistry(options: { vega: boolean; fail?: boolean }) {
  const models: { data: unknown; trusted: boolean; metadata?: unknown }[] = [];
  const renderers: { node: HTMLElement; dispose: jest.Mock }[] = [];
  const registry = {
    preferredMimeType: (data: Record<string, unknown>) =>
      options.vega && VEGALITE_MIME in data ? VEGALITE_MIME : undefined,
    createRenderer: () => {
      const renderer = {
        node: document.createElement('div'),
        dispose: jest.fn(),
        renderModel: () =>
          options.fail
            ? Promise.reject(new Error('no vega'))
            : Promise.resolve()
      };
      renderers.push(renderer);
      return renderer;
    },
    createModel: (model: {
      data: unknown;
      trusted: boolean;
      metadata?: unknown;
    }) => {
      models.push(model);
      return model;
    }
  };
  return {
    registry: registry as unknown as IRenderMimeRegistry,
    models,
    renderers
  };
}

describe('RendermimeCharts', () => {
  const curves = [{ label: 'one', steps: [0, 1], values: [1, 0] }];

  it('draws Vega-Lite from an untrusted model with no actions menu', () => {
    const { registry, models, renderers } = fakeRegistry({ vega: true });
    const charts = new RendermimeCharts(registry);
    const container = document.createElement('div');
    charts.render(container, 'loss', { title: 'loss' }, curves);
    expect(models).toHaveLength(1);
    expect(models[0].trusted).toBe(false);
    expect(models[0].metadata).toEqual({
      [VEGALITE_MIME]: { embed_options: { actions: false } }
    });
    expect(models[0].data).toEqual({ [VEGALITE_MIME]: { title: 'loss' } });
    expect(container.querySelector('.jp-exp-chart-host')?.firstChild).toBe(
      renderers[0].node
    );
    charts.clear();
    expect(renderers[0].dispose).toHaveBeenCalled();
    charts.dispose();
    expect(charts.isDisposed).toBe(true);
  });

  it('draws SVG without a Vega renderer, or when it fails', async () => {
    const container = document.createElement('div');
    new RendermimeCharts(null).render(container, 'loss', {}, curves);
    expect(container.querySelectorAll('polyline')).toHaveLength(1);

    const none = fakeRegistry({ vega: false });
    const other = document.createElement('div');
    new RendermimeCharts(none.registry).render(other, 'loss', {}, curves);
    expect(none.models).toHaveLength(0);
    expect(other.querySelector('svg.jp-exp-line-chart')).not.toBeNull();

    const failing = fakeRegistry({ vega: true, fail: true });
    const failed = document.createElement('div');
    new RendermimeCharts(failing.registry).render(failed, 'loss', {}, curves);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(failing.renderers[0].dispose).toHaveBeenCalled();
    expect(failed.querySelector('svg.jp-exp-line-chart')).not.toBeNull();
  });
});
