/**
 * Plain-DOM rendering of a comparison (`GET /jupyter-exp/compare`): parameters, final metrics,
 * group statistics when the runs form groups, one chart per metric, and each run's cell diffed
 * against the first. No JupyterLab imports.
 */
import { formatMetricValue } from '../format';
import type {
  ICompareGroups,
  IComparison,
  IGroupStatistic,
  IRunSummary,
  ISampleSummary
} from '../types';
import {
  SERIES_COLORS,
  renderLineChart,
  vegaThemeConfig,
  type IChartTheme
} from './charts';
import { ExpClass } from './classes';
import { el, keyedRow } from './dom';
import { renderStatus } from './runlist';

/** Mime type of the metric charts (JupyterLab ships a renderer for it). */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** A JSON Vega-Lite spec. */
export type VegaLiteSpec = { [key: string]: unknown };

/** How a chart is drawn: through the rendermime registry in the lab, SVG otherwise. */
export type ChartRenderer = (
  container: HTMLElement,
  metric: string,
  spec: VegaLiteSpec,
  curves: { label: string; steps: number[]; values: number[] }[]
) => void;

/** `name (abcd1234)`: how a run is labelled in tables and legends. */
export function runLabel(run: IRunSummary): string {
  return `${run.run_name || 'run'} (${run.run_id.slice(0, 8)})`;
}

function headerRow(
  doc: Document,
  first: string,
  runs: IRunSummary[]
): HTMLTableSectionElement {
  const head = el(doc, 'thead');
  const row = el(doc, 'tr');
  row.appendChild(el(doc, 'th', '', first));
  for (const run of runs) {
    const th = el(doc, 'th');
    th.dataset.runId = run.run_id;
    th.title = run.run_id;
    th.append(
      el(doc, 'span', ExpClass.runName, runLabel(run)),
      ' ',
      renderStatus(doc, run.status)
    );
    row.appendChild(th);
  }
  head.appendChild(row);
  return head;
}

/** `table.jp-exp-param-table`; rows of differing keys have `jp-exp-differs`. */
export function renderParamTable(
  doc: Document,
  comparison: IComparison,
  showAll: boolean
): HTMLElement {
  const { keys, differing, values } = comparison.params;
  const differs = new Set(differing);
  const shown = showAll ? keys : keys.filter(key => differs.has(key));
  if (shown.length === 0) {
    return el(
      doc,
      'div',
      ExpClass.empty,
      keys.length === 0
        ? 'No parameters.'
        : `All ${keys.length} parameters are equal.`
    );
  }
  const table = el(doc, 'table', ExpClass.paramTable);
  table.appendChild(headerRow(doc, 'Parameter', comparison.runs));
  const body = el(doc, 'tbody');
  for (const key of shown) {
    const row = keyedRow(doc, key);
    row.dataset.param = key;
    if (differs.has(key)) {
      row.classList.add(ExpClass.differs);
    }
    comparison.runs.forEach((_, i) => {
      const value = values[key]?.[i] ?? null;
      const td = el(
        doc,
        'td',
        value === null ? ExpClass.empty : '',
        value ?? '–'
      );
      row.appendChild(td);
    });
    body.appendChild(row);
  }
  table.appendChild(body);
  return table;
}

/** `table.jp-exp-final-metrics`: each metric's last value per run. */
export function renderFinalMetrics(
  doc: Document,
  comparison: IComparison
): HTMLElement {
  const { keys, final } = comparison.metrics;
  if (keys.length === 0) {
    return el(doc, 'div', ExpClass.empty, 'No metrics.');
  }
  const table = el(doc, 'table', ExpClass.finalMetrics);
  table.appendChild(headerRow(doc, 'Metric', comparison.runs));
  const body = el(doc, 'tbody');
  for (const key of keys) {
    const row = keyedRow(doc, key);
    row.dataset.metric = key;
    comparison.runs.forEach((_, i) => {
      const value = final[key]?.[i] ?? null;
      const td = el(doc, 'td', ExpClass.value, formatMetricValue(value));
      if (value !== null) {
        td.title = String(value);
      }
      row.appendChild(td);
    });
    body.appendChild(row);
  }
  table.appendChild(body);
  return table;
}

function summaryText(summary: ISampleSummary | null): string {
  if (summary === null) {
    return '–';
  }
  const spread =
    summary.std === null ? '' : ` ± ${formatMetricValue(summary.std)}`;
  return `${formatMetricValue(summary.mean)}${spread} (n=${summary.n})`;
}

function differenceText(row: IGroupStatistic): string {
  if (row.difference === null) {
    return '–';
  }
  const interval =
    row.ci_low === null || row.ci_high === null
      ? ''
      : ` [${formatMetricValue(row.ci_low)}, ${formatMetricValue(row.ci_high)}]`;
  return `${formatMetricValue(row.difference)}${interval}`;
}

/**
 * `table.jp-exp-group-stats`: each group against the first (the baseline) per metric: both
 * summaries, the difference with its bootstrap interval, Cohen's d, the BH-adjusted p and the verdict.
 */
export function renderGroupStatistics(
  doc: Document,
  groups: ICompareGroups
): HTMLElement {
  const node = el(doc, 'div', 'jp-exp-group-stats-block');
  const list = el(doc, 'ul', 'jp-exp-group-list');
  groups.groups.forEach((group, i) => {
    const seeds = group.seeds.map(seed => seed ?? '?').join(', ');
    const item = el(
      doc,
      'li',
      '',
      `${i === 0 ? 'Baseline' : `Group ${i + 1}`}: ${group.label} (${group.run_ids.length} runs, seeds ${seeds})`
    );
    item.dataset.group = String(i);
    list.appendChild(item);
  });
  node.appendChild(list);
  if (groups.statistics.length === 0) {
    node.appendChild(
      el(
        doc,
        'div',
        ExpClass.empty,
        'One group only: nothing to compare it with.'
      )
    );
    return node;
  }
  const table = el(doc, 'table', 'jp-exp-group-stats');
  const head = el(doc, 'thead');
  const headRow = el(doc, 'tr');
  for (const title of [
    'Metric',
    'Baseline',
    'Group',
    'Difference [95% CI]',
    "Cohen's d",
    'p (BH)',
    'Verdict'
  ]) {
    headRow.appendChild(el(doc, 'th', '', title));
  }
  head.appendChild(headRow);
  table.appendChild(head);
  const body = el(doc, 'tbody');
  for (const row of groups.statistics) {
    const tr = keyedRow(doc, `${row.side}:${row.metric}`);
    tr.dataset.metric = row.metric;
    tr.dataset.outcome = row.outcome;
    const direction = row.lower_is_better ? ' ↓' : ' ↑';
    const label = groups.groups.length > 2 ? ` (${row.label})` : '';
    const cells = [
      row.metric + direction,
      summaryText(row.a),
      summaryText(row.b),
      differenceText(row),
      row.cohens_d === null ? '–' : formatMetricValue(row.cohens_d),
      row.p_adjusted === null ? '–' : formatMetricValue(row.p_adjusted),
      row.verdict + label
    ];
    cells.forEach((text, i) => {
      const td = el(
        doc,
        'td',
        i === 6 ? `jp-exp-verdict-${row.outcome.replace(' ', '-')}` : '',
        text
      );
      if (i === 6 && row.notes.length > 0) {
        td.title = row.notes.join('\n');
      }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
  table.appendChild(body);
  node.appendChild(table);
  const notes = [
    ...groups.notes,
    ...groups.statistics.flatMap(row =>
      row.notes.map(note => `${row.metric}: ${note}`)
    )
  ];
  if (notes.length > 0) {
    const ul = el(doc, 'ul', 'jp-exp-group-notes');
    for (const note of [...new Set(notes)]) {
      ul.appendChild(el(doc, 'li', '', note));
    }
    node.appendChild(ul);
  }
  return node;
}

/** The Vega-Lite spec of one metric's curves, one colour per run, in `theme`'s colours if given. */
export function metricChartSpec(
  comparison: IComparison,
  metric: string,
  theme?: IChartTheme
): VegaLiteSpec {
  const labels = new Map(
    comparison.runs.map(run => [run.run_id, runLabel(run)])
  );
  const values: { run: string; step: number; value: number }[] = [];
  for (const series of comparison.series[metric] ?? []) {
    const run = labels.get(series.run_id) ?? series.run_id;
    const n = Math.min(series.steps.length, series.values.length);
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(series.values[i])) {
        values.push({ run, step: series.steps[i], value: series.values[i] });
      }
    }
  }
  const encoding = {
    x: { field: 'step', type: 'quantitative', title: 'step' },
    y: {
      field: 'value',
      type: 'quantitative',
      title: metric,
      scale: { zero: false }
    },
    color: { field: 'run', type: 'nominal', title: 'run' }
  };
  const common = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: metric,
    width: 480,
    height: 180,
    ...(theme ? { config: vegaThemeConfig(theme) } : {})
  };
  const bands = groupBandValues(comparison, metric);
  if (bands.length === 0) {
    return {
      ...common,
      data: { values },
      mark: { type: 'line', point: values.length <= 40, tooltip: true },
      encoding
    };
  }
  // groups: their runs thin and faint, each group's mean bold over its ±1 sd band
  return {
    ...common,
    data: { values: [...values, ...bands] },
    encoding,
    layer: [
      {
        transform: [{ filter: '!datum.band' }],
        mark: { type: 'line', opacity: 0.35, strokeWidth: 1 }
      },
      {
        transform: [{ filter: 'datum.band' }],
        mark: { type: 'area', opacity: 0.2 },
        encoding: {
          y: { field: 'low', type: 'quantitative' },
          y2: { field: 'high' }
        }
      },
      {
        transform: [{ filter: 'datum.band' }],
        mark: { type: 'line', strokeWidth: 2.5, tooltip: true }
      }
    ]
  };
}

/** A chart row of a group's curve: its mean at a step and the ±1 sd band around it. */
interface IBandRow {
  run: string;
  step: number;
  value: number;
  low: number;
  high: number;
  band: true;
}

/** Each group's mean and ±1 sd band of `metric` as chart rows (`band: true`), labelled by the group. */
function groupBandValues(comparison: IComparison, metric: string): IBandRow[] {
  const groups = comparison.groups;
  const rows: IBandRow[] = [];
  for (const band of groups?.series[metric] ?? []) {
    const label = `${groups?.groups[band.group]?.label ?? band.group} (mean ± sd)`;
    band.steps.forEach((step, i) => {
      if (Number.isFinite(band.mean[i])) {
        rows.push({
          run: label,
          step,
          value: band.mean[i],
          low: band.low[i],
          high: band.high[i],
          band: true
        });
      }
    });
  }
  return rows;
}

/** A unified diff as a `<pre>`, `+`/`-` lines coloured. */
export function renderDiff(doc: Document, diff: string): HTMLPreElement {
  const pre = el(doc, 'pre', ExpClass.cellDiff);
  for (const line of diff.split('\n')) {
    let className = '';
    if (line.startsWith('+++') || line.startsWith('---')) {
      className = 'jp-exp-diff-file';
    } else if (line.startsWith('@@')) {
      className = ExpClass.diffHunk;
    } else if (line.startsWith('+')) {
      className = ExpClass.diffAdd;
    } else if (line.startsWith('-')) {
      className = ExpClass.diffDel;
    }
    pre.appendChild(el(doc, 'span', className, line + '\n'));
  }
  return pre;
}

/** Each run's tracked cell against the first run's. */
export function renderCellDiffs(
  doc: Document,
  comparison: IComparison
): HTMLElement {
  const node = el(doc, 'div', 'jp-exp-cell-diffs');
  const runs = new Map(comparison.runs.map(run => [run.run_id, run]));
  comparison.cells.forEach((cell, i) => {
    const run = runs.get(cell.run_id);
    const block = el(doc, 'div', 'jp-exp-cell-block');
    block.dataset.runId = cell.run_id;
    const label = run ? runLabel(run) : cell.run_id;
    if (i === 0) {
      block.appendChild(el(doc, 'h4', '', `${label}: reference cell`));
      block.appendChild(
        cell.source === null
          ? el(doc, 'div', ExpClass.empty, 'No cell source recorded.')
          : el(doc, 'pre', ExpClass.cellSource, cell.source)
      );
    } else {
      block.appendChild(el(doc, 'h4', '', `${label} vs the reference`));
      if (cell.source === null || cell.diff === null) {
        block.appendChild(
          el(doc, 'div', ExpClass.empty, 'No cell source recorded.')
        );
      } else if (cell.diff === '') {
        block.appendChild(el(doc, 'div', ExpClass.empty, 'Same cell source.'));
      } else {
        block.appendChild(renderDiff(doc, cell.diff));
      }
    }
    node.appendChild(block);
  });
  return node;
}

/** The chart renderer without Vega: an SVG line chart with a legend. */
export const renderSvgChart: ChartRenderer = (
  container,
  metric,
  _spec,
  curves
) => {
  const doc = container.ownerDocument;
  container.replaceChildren();
  container.appendChild(el(doc, 'div', 'jp-exp-chart-title', metric));
  container.appendChild(renderLineChart(doc, curves));
  const legend = el(doc, 'div', ExpClass.legend);
  curves.forEach((curve, i) => {
    const item = el(doc, 'span', 'jp-exp-legend-item', curve.label);
    item.style.setProperty(
      '--jp-exp-series-color',
      SERIES_COLORS[i % SERIES_COLORS.length]
    );
    legend.appendChild(item);
  });
  container.appendChild(legend);
};

function heading(doc: Document, text: string): HTMLElement {
  return el(doc, 'h3', '', text);
}

/** Replace the content of `host` with the comparison. */
export function renderComparison(
  host: HTMLElement,
  comparison: IComparison,
  options: {
    showAll: boolean;
    onToggleShowAll: (showAll: boolean) => void;
    renderChart: ChartRenderer;
    /** The charts' colours (the theme's now); Vega's defaults without. */
    chartTheme?: IChartTheme;
  }
): void {
  const doc = host.ownerDocument;
  host.replaceChildren();

  const paramsHead = el(doc, 'div', 'jp-exp-compare-heading');
  paramsHead.appendChild(
    heading(
      doc,
      `Parameters (${comparison.params.differing.length} of ${comparison.params.keys.length} differ)`
    )
  );
  const toggle = el(doc, 'label', ExpClass.showAll);
  const box = el(doc, 'input');
  box.type = 'checkbox';
  box.checked = options.showAll;
  box.addEventListener('change', () => options.onToggleShowAll(box.checked));
  toggle.append(box, ' show all params');
  paramsHead.appendChild(toggle);
  host.appendChild(paramsHead);
  host.appendChild(renderParamTable(doc, comparison, options.showAll));

  host.appendChild(heading(doc, 'Final metrics'));
  host.appendChild(renderFinalMetrics(doc, comparison));

  if (comparison.groups) {
    host.appendChild(heading(doc, 'Groups over seeds'));
    host.appendChild(renderGroupStatistics(doc, comparison.groups));
  }

  const metrics = comparison.metrics.keys.filter(key =>
    (comparison.series[key] ?? []).some(s => s.values.length > 0)
  );
  if (metrics.length > 0) {
    host.appendChild(heading(doc, 'Curves'));
    const charts = el(doc, 'div', ExpClass.charts);
    const labels = new Map(
      comparison.runs.map(run => [run.run_id, runLabel(run)])
    );
    for (const metric of metrics) {
      const container = el(doc, 'div', ExpClass.chart);
      container.dataset.metric = metric;
      charts.appendChild(container);
      const curves = (comparison.series[metric] ?? []).map(s => ({
        label: labels.get(s.run_id) ?? s.run_id,
        steps: s.steps,
        values: s.values
      }));
      options.renderChart(
        container,
        metric,
        metricChartSpec(comparison, metric, options.chartTheme),
        curves
      );
    }
    host.appendChild(charts);
  }

  host.appendChild(heading(doc, 'Cells'));
  host.appendChild(renderCellDiffs(doc, comparison));
}
