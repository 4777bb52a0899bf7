/**
 * A run's metrics as real charts (a main-area tab, `.jp-exp-run-charts`): one chart per metric, several
 * runs overlaid, zoom and pan (drag, wheel; double-click resets), a step or wall-time axis, smoothing
 * (an exponential moving average, debiased as TensorBoard's). Drawn by the Vega-Lite renderer of the
 * rendermime registry (untrusted, no actions menu), SVG without one. Data: `GET /jupyter-exp/history`.
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import { isSystemMetric } from '../../formatvalue';
import type { IHistories } from '../../manageapi';
import { el, errorAlert, select, untranslated, type Trans } from '../dom';
import { RendermimeCharts } from './rendermime';
import {
  onThemeChange,
  readChartTheme,
  vegaThemeConfig,
  type IChartTheme
} from './theme';
import type { IChartCurve, VegaLiteSpec } from './vegalite';

export type ChartAxis = 'step' | 'time';

/** How the charts are drawn. */
export interface IRunChartOptions {
  axis: ChartAxis;
  /** 0 (raw) to 0.99: the weight of the past in the moving average. */
  smoothing: number;
  /** The plot's width in pixels (default 480). */
  width?: number;
  theme?: IChartTheme;
  trans?: Trans;
}

/** The exponential moving average of `values`, debiased (its start is not pulled towards 0). */
export function smooth(values: readonly number[], weight: number): number[] {
  if (weight <= 0) {
    return [...values];
  }
  const out: number[] = [];
  let last = 0;
  let debias = 1;
  for (const value of values) {
    last = last * weight + (1 - weight) * value;
    debias *= weight;
    out.push(last / (1 - debias));
  }
  return out;
}

/** Chart row: one point of one run. */
interface IRow {
  run: string;
  step: number;
  time: number;
  value: number;
  smoothed: number;
}

/** Each run's label, made unique (two runs may share a name). */
function runLabels(histories: IHistories): string[] {
  const seen = new Map<string, number>();
  return histories.runs.map(run => {
    const base = run.run_name || run.run_id.slice(0, 8);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base} (${run.run_id.slice(0, 6)})`;
  });
}

/** The rows of `metric`'s chart, every run's points. */
export function chartRows(
  histories: IHistories,
  metric: string,
  smoothing: number
): IRow[] {
  const labels = runLabels(histories);
  const rows: IRow[] = [];
  histories.runs.forEach((run, index) => {
    const series = run.series[metric];
    if (!series) {
      return;
    }
    const smoothed = smooth(series.values, smoothing);
    series.values.forEach((value, i) => {
      rows.push({
        run: labels[index],
        step: series.steps[i],
        time: series.timestamps[i],
        value,
        smoothed: smoothed[i]
      });
    });
  });
  return rows;
}

/** The curves of `metric` for the SVG chart (no renderer). */
export function chartCurves(
  histories: IHistories,
  metric: string,
  options: IRunChartOptions
): IChartCurve[] {
  const labels = runLabels(histories);
  return histories.runs
    .map((run, index) => ({ run, label: labels[index] }))
    .filter(({ run }) => run.series[metric])
    .map(({ run, label }) => {
      const series = run.series[metric];
      return {
        label,
        steps: options.axis === 'time' ? series.timestamps : series.steps,
        values: smooth(series.values, options.smoothing)
      };
    });
}

/** The Vega-Lite spec of `metric`'s chart: zoomable, on the chosen axis, smoothed over the raw points. */
export function runChartSpec(
  histories: IHistories,
  metric: string,
  options: IRunChartOptions
): VegaLiteSpec {
  const trans = options.trans ?? untranslated;
  const rows = chartRows(histories, metric, options.smoothing);
  // Fixed field titles (never the metric's name: Vega-Lite writes titles into its expressions).
  const x =
    options.axis === 'time'
      ? { field: 'time', type: 'temporal', title: trans.__('wall time') }
      : { field: 'step', type: 'quantitative', title: trans.__('step') };
  const color = { field: 'run', type: 'nominal', title: trans.__('run') };
  const smoothed = options.smoothing > 0;
  const line = {
    mark: { type: 'line', point: rows.length <= 60, strokeWidth: 2 },
    params: [{ name: 'zoom', select: 'interval', bind: 'scales' }],
    encoding: {
      x,
      y: {
        field: 'smoothed',
        type: 'quantitative',
        title: trans.__('value'),
        scale: { zero: false }
      },
      color,
      tooltip: [
        { field: 'run', type: 'nominal', title: trans.__('run') },
        { field: 'step', type: 'quantitative', title: trans.__('step') },
        {
          field: 'time',
          type: 'temporal',
          title: trans.__('time'),
          format: '%H:%M:%S'
        },
        { field: 'value', type: 'quantitative', title: trans.__('value') },
        ...(smoothed
          ? [
              {
                field: 'smoothed',
                type: 'quantitative',
                title: trans.__('smoothed')
              }
            ]
          : [])
      ]
    }
  };
  const raw = {
    mark: { type: 'line', opacity: 0.25, strokeWidth: 1 },
    encoding: { x, y: { field: 'value', type: 'quantitative' }, color }
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: metric,
    width: options.width ?? 480,
    height: 220,
    data: { values: rows },
    layer: smoothed ? [line, raw] : [line],
    ...(options.theme ? { config: vegaThemeConfig(options.theme) } : {})
  };
}

/** The metrics to chart: the user's first, `system/` ones after. */
export function chartMetrics(histories: IHistories): string[] {
  return [...histories.keys].sort(
    (a, b) =>
      Number(isSystemMetric(a)) - Number(isSystemMetric(b)) ||
      a.localeCompare(b)
  );
}

/** The content of a charts tab. */
export class RunChartsContent extends Widget {
  constructor(options: RunChartsContent.IOptions) {
    super();
    this.addClass('jp-exp-run-charts');
    this._runIds = options.runIds;
    this._fetch = options.fetchHistories;
    this._charts = new RendermimeCharts(options.rendermime ?? null);
    this._trans = options.trans ?? untranslated;
    this.node.dataset.runIds = this._runIds.join(',');
    this._stopWatchingTheme = onThemeChange(this.node.ownerDocument, () =>
      this._render()
    );
  }

  get runIds(): readonly string[] {
    return this._runIds;
  }

  get histories(): IHistories | null {
    return this._histories;
  }

  /** Charts of these runs (overlaid); reloads. */
  async setRuns(runIds: string[]): Promise<void> {
    this._runIds = runIds;
    this.node.dataset.runIds = runIds.join(',');
    await this.load();
  }

  /** (Re)load the histories. Never rejects: a failure shows inline. */
  async load(): Promise<void> {
    const doc = this.node.ownerDocument;
    this._charts.clear();
    this.node.replaceChildren(
      el(doc, 'div', 'jp-exp-status', this._trans.__('Loading metrics…'))
    );
    try {
      this._histories = await this._fetch(this._runIds);
      this._render();
    } catch (error) {
      this.node.replaceChildren(errorAlert(doc, this._trans, error));
    }
  }

  dispose(): void {
    this._stopWatchingTheme();
    this._charts.dispose();
    super.dispose();
  }

  private _controls(doc: Document): HTMLElement {
    const trans = this._trans;
    const bar = el(doc, 'div', 'jp-exp-chart-controls');
    const axis = select(
      doc,
      'jp-exp-chart-axis',
      [
        { value: 'step', label: trans.__('Step') },
        { value: 'time', label: trans.__('Wall time') }
      ],
      this._axis,
      trans.__('X axis')
    );
    axis.addEventListener('change', () => {
      this._axis = axis.value === 'time' ? 'time' : 'step';
      this._render();
    });
    const label = el(doc, 'label', 'jp-exp-chart-smoothing');
    label.append(trans.__('Smoothing') + ' ');
    const slider = el(doc, 'input');
    slider.type = 'range';
    slider.min = '0';
    slider.max = '0.99';
    slider.step = '0.01';
    slider.value = String(this._smoothing);
    slider.setAttribute('aria-label', trans.__('Smoothing'));
    slider.addEventListener('change', () => {
      this._smoothing = Math.min(0.99, Math.max(0, Number(slider.value) || 0));
      this._render();
    });
    label.appendChild(slider);
    const hint = el(
      doc,
      'span',
      'jp-exp-caption',
      trans.__('Drag or scroll to zoom; double-click to reset.')
    );
    bar.append(
      el(doc, 'span', '', trans.__('X axis') + ' '),
      axis,
      label,
      hint
    );
    return bar;
  }

  private _render(): void {
    const histories = this._histories;
    if (!histories || this.isDisposed) {
      return;
    }
    const doc = this.node.ownerDocument;
    this._charts.clear();
    // Vega sizes a chart when it draws it: the grid is in place first, the width from the tab's
    const width = Math.max(320, Math.min(900, this.node.clientWidth - 80));
    const options: IRunChartOptions = {
      width,
      axis: this._axis,
      smoothing: this._smoothing,
      theme: readChartTheme(doc.body),
      trans: this._trans
    };
    const grid = el(doc, 'div', 'jp-exp-charts');
    this.node.replaceChildren(this._controls(doc), grid);
    const metrics = chartMetrics(histories);
    if (metrics.length === 0) {
      grid.appendChild(
        el(doc, 'div', 'jp-exp-empty', this._trans.__('No metrics.'))
      );
    }
    for (const metric of metrics) {
      const chart = el(doc, 'div', 'jp-exp-chart');
      chart.dataset.metric = metric;
      grid.appendChild(chart);
      chart.dataset.points = String(
        histories.runs.reduce(
          (n, run) => n + (run.series[metric]?.values.length ?? 0),
          0
        )
      );
      this._charts.render(
        chart,
        metric,
        runChartSpec(histories, metric, options),
        chartCurves(histories, metric, options)
      );
    }
  }

  private _runIds: string[];
  private _fetch: (runIds: string[]) => Promise<IHistories>;
  private _charts: RendermimeCharts;
  private _trans: Trans;
  private _histories: IHistories | null = null;
  private _axis: ChartAxis = 'step';
  private _smoothing = 0;
  private _stopWatchingTheme: () => void;
}

export namespace RunChartsContent {
  export interface IOptions {
    runIds: string[];
    fetchHistories: (runIds: string[]) => Promise<IHistories>;
    rendermime?: IRenderMimeRegistry | null;
    trans?: Trans;
  }
}
