/**
 * @jest-environment jsdom
 */
import type { IComparison } from '../types';
import {
  onThemeChange,
  polylinePoints,
  readChartTheme,
  renderSparkline
} from '../widgets/charts';
import {
  metricChartSpec,
  renderComparison,
  renderGroupStatistics,
  renderSvgChart,
  type ChartRenderer
} from '../widgets/compareview';
import { makeRun } from './fixtures';

const COMPARISON: IComparison = {
  runs: [
    makeRun({ run_id: 'aaaaaaaa1', run_name: 'one' }),
    makeRun({ run_id: 'bbbbbbbb2', run_name: 'two' })
  ],
  params: {
    keys: ['lr', 'seed'],
    differing: ['lr'],
    values: { lr: ['0.1', '0.2'], seed: ['7', '7'] }
  },
  metrics: { keys: ['train/loss'], final: { 'train/loss': [0.12, null] } },
  series: {
    'train/loss': [
      { run_id: 'aaaaaaaa1', steps: [0, 1, 2], values: [0.9, 0.5, 0.12] },
      { run_id: 'bbbbbbbb2', steps: [0, 1], values: [0.8, 0.3] }
    ]
  },
  cells: [
    { run_id: 'aaaaaaaa1', source: 'x = 1', diff: null },
    {
      run_id: 'bbbbbbbb2',
      source: 'x = 2',
      diff: '--- a\n+++ b\n@@ -1 +1 @@\n-x = 1\n+x = 2'
    }
  ]
};

function render(showAll = false) {
  const host = document.createElement('div');
  const charts: string[] = [];
  const renderChart: ChartRenderer = (container, metric) => {
    charts.push(metric);
    container.textContent = 'chart';
  };
  const toggle = jest.fn();
  renderComparison(host, COMPARISON, {
    showAll,
    onToggleShowAll: toggle,
    renderChart
  });
  return { host, charts, toggle };
}

describe('renderComparison', () => {
  it('shows only differing params by default, all with the toggle, differing rows marked', () => {
    const { host, toggle } = render(false);
    let rows = [
      ...host.querySelectorAll<HTMLElement>('table.jp-exp-param-table tbody tr')
    ];
    expect(rows.map(r => r.dataset.param)).toEqual(['lr']);
    expect(rows[0].classList.contains('jp-exp-differs')).toBe(true);
    expect(
      [...rows[0].querySelectorAll('td')].map(td => td.textContent)
    ).toEqual(['0.1', '0.2']);

    document.body.appendChild(host);
    const box = host.querySelector(
      '.jp-exp-show-all input'
    ) as HTMLInputElement;
    box.click();
    expect(toggle).toHaveBeenCalledWith(true);
    host.remove();

    rows = [
      ...render(true).host.querySelectorAll<HTMLElement>(
        'table.jp-exp-param-table tbody tr'
      )
    ];
    expect(
      rows.map(r => [r.dataset.param, r.classList.contains('jp-exp-differs')])
    ).toEqual([
      ['lr', true],
      ['seed', false]
    ]);
  });

  it('puts final metrics side by side and one chart per metric', () => {
    const { host, charts } = render();
    const cells = [
      ...host.querySelectorAll('table.jp-exp-final-metrics tbody td')
    ];
    expect(cells.map(c => c.textContent)).toEqual(['0.12', '–']);
    const headers = [
      ...host.querySelectorAll('table.jp-exp-final-metrics thead th')
    ];
    expect(headers.map(h => h.textContent)).toEqual([
      'Metric',
      'one (aaaaaaaa) finished',
      'two (bbbbbbbb) finished'
    ]);
    expect(charts).toEqual(['train/loss']);
    expect(
      host.querySelector<HTMLElement>('.jp-exp-chart')?.dataset.metric
    ).toBe('train/loss');
  });

  it('colours the cell diff', () => {
    const { host } = render();
    const diff = host.querySelector('.jp-exp-cell-diff') as HTMLElement;
    expect(diff.querySelector('.jp-exp-diff-del')?.textContent).toBe(
      '-x = 1\n'
    );
    expect(diff.querySelector('.jp-exp-diff-add')?.textContent).toBe(
      '+x = 2\n'
    );
    expect(diff.querySelector('.jp-exp-diff-hunk')?.textContent).toBe(
      '@@ -1 +1 @@\n'
    );
  });

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
      const spec = metricChartSpec(COMPARISON, 'train/loss', theme) as {
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

  it('falls back to an SVG chart with one polyline per run', () => {
    const container = document.createElement('div');
    renderSvgChart(container, 'train/loss', {}, [
      { label: 'one', steps: [0, 1], values: [1, 0] },
      { label: 'two', steps: [0, 1], values: [0.5, 0.2] }
    ]);
    expect(container.querySelectorAll('polyline')).toHaveLength(2);
    expect(container.querySelectorAll('.jp-exp-legend-item')).toHaveLength(2);
  });
});

describe('sparkline', () => {
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
  });
});

describe('group statistics', () => {
  const statistic = {
    metric: 'eval/acc',
    side: 1,
    baseline: 'lr=0.05',
    label: 'lr=0.2',
    lower_is_better: false,
    a: { mean: 0.9, std: 0.01, n: 6, ci_low: 0.89, ci_high: 0.91 },
    b: { mean: 0.95, std: 0.01, n: 6, ci_low: 0.94, ci_high: 0.96 },
    difference: 0.05,
    ci_low: 0.04,
    ci_high: 0.06,
    ci_method: 'BCa',
    paired: true,
    cohens_d: 5,
    test: 'paired permutation',
    p_value: 0.03125,
    p_adjusted: 0.03125,
    outcome: 'better' as const,
    verdict: 'better',
    notes: ['paired by seed']
  };
  const groups = {
    groups: [
      {
        label: 'lr=0.05',
        run_ids: ['a1', 'a2'],
        seeds: ['0', '1'],
        summaries: {}
      },
      {
        label: 'lr=0.2',
        run_ids: ['b1', 'b2'],
        seeds: ['0', null],
        summaries: {}
      }
    ],
    metrics: ['eval/acc'],
    statistics: [statistic],
    notes: ['paired by seed: both sides ran the same seeds'],
    series: {}
  };

  it('shows each group against the baseline with the verdict and its notes', () => {
    const node = renderGroupStatistics(document, groups);
    const items = [...node.querySelectorAll('.jp-exp-group-list li')].map(
      li => li.textContent
    );
    expect(items).toEqual([
      'Baseline: lr=0.05 (2 runs, seeds 0, 1)',
      'Group 2: lr=0.2 (2 runs, seeds 0, ?)'
    ]);
    const row = node.querySelector<HTMLElement>(
      'table.jp-exp-group-stats tbody tr'
    )!;
    expect(row.dataset.outcome).toBe('better');
    const cells = [...row.querySelectorAll('td')].map(td => td.textContent);
    expect(cells[0]).toBe('eval/acc ↑');
    expect(cells[1]).toContain('(n=6)');
    expect(cells[3]).toContain('[');
    expect(cells[6]).toBe('better');
    expect(
      row.querySelector('td.jp-exp-verdict-better')?.getAttribute('title')
    ).toBe('paired by seed');
    const notes = [...node.querySelectorAll('.jp-exp-group-notes li')].map(
      li => li.textContent
    );
    expect(notes).toContain('eval/acc: paired by seed');
  });

  it('is part of the comparison when the runs form groups, absent otherwise', () => {
    const host = document.createElement('div');
    const options = {
      showAll: false,
      onToggleShowAll: jest.fn(),
      renderChart: jest.fn()
    };
    renderComparison(host, { ...COMPARISON, groups }, options);
    expect(host.querySelector('table.jp-exp-group-stats')).not.toBeNull();
    renderComparison(host, { ...COMPARISON, groups: null }, options);
    expect(host.querySelector('.jp-exp-group-stats-block')).toBeNull();
  });

  it('draws each group as its mean over a band, its runs faint', () => {
    const bands = {
      ...groups,
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

  it('says so when there is a single group', () => {
    const node = renderGroupStatistics(document, { ...groups, statistics: [] });
    expect(node.querySelector('table')).toBeNull();
    expect(node.textContent).toContain('One group only');
  });
});
