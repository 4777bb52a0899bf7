/**
 * Plain-DOM rendering of a comparison (`GET /jupyter-exp/compare`): parameters, final metrics,
 * group statistics when the runs form groups, one chart per metric, and each run's cell diffed
 * against the first; each part from its own module. No JupyterLab imports at runtime.
 */
import type { IComparison } from '../../types';
import type { IChartTheme } from '../charts/theme';
import {
  chartedMetrics,
  metricChartSpec,
  metricCurves,
  type ChartRenderer
} from '../charts/vegalite';
import { ExpClass } from '../classes';
import { el, untranslated, type Trans } from '../dom';
import { renderCellDiffs } from './celldiffs';
import { renderGroupStatistics } from './groupstats';
import { renderFinalMetrics, renderParamTable } from './tables';

export interface IComparisonOptions {
  showAll: boolean;
  onToggleShowAll: (showAll: boolean) => void;
  renderChart: ChartRenderer;
  /** The charts' colours (the theme's now); Vega's defaults without. */
  chartTheme?: IChartTheme;
  trans?: Trans;
  /** Compare again with this run (or group) first, the baseline; no picker without it. */
  onBaseline?: (runId: string) => void;
}

function heading(doc: Document, text: string): HTMLElement {
  return el(doc, 'h3', '', text);
}

/** Whether the compared ids are `--seeds` parents standing for their groups (each side a group). */
export function groupSides(comparison: IComparison): boolean {
  return comparison.sides === 'groups';
}

/** The title of a comparison's tab: its runs' (or groups') names, the baseline first. */
export function comparisonTitle(
  comparison: IComparison,
  trans: Trans = untranslated
): string {
  const names = comparison.runs.map(
    run => run.run_name || run.run_id.slice(0, 8)
  );
  const shown = names.slice(0, 3).join(trans.__(' vs '));
  return names.length > 3 ? trans.__('%1 +%2', shown, names.length - 3) : shown;
}

/** `div.jp-exp-compare-baseline`: which run or group the others are compared with. */
function baselinePicker(
  doc: Document,
  comparison: IComparison,
  onBaseline: (runId: string) => void,
  trans: Trans
): HTMLElement {
  const node = el(doc, 'div', 'jp-exp-compare-baseline');
  const label = el(doc, 'label', '', trans.__('Baseline'));
  const picker = el(doc, 'select', 'jp-exp-baseline-select');
  picker.title = trans.__(
    'The run or group the others are compared with (differences, verdicts, cell diffs)'
  );
  for (const run of comparison.runs) {
    const option = el(doc, 'option', '', run.run_name || run.run_id);
    option.value = run.run_id;
    picker.appendChild(option);
  }
  picker.value = comparison.runs[0]?.run_id ?? '';
  picker.addEventListener('change', () => onBaseline(picker.value));
  label.appendChild(picker);
  node.appendChild(label);
  return node;
}

/** The parameters' heading with its "show all params" toggle. */
function paramsHeading(
  doc: Document,
  comparison: IComparison,
  options: IComparisonOptions,
  trans: Trans
): HTMLElement {
  const node = el(doc, 'div', 'jp-exp-compare-heading');
  node.appendChild(
    heading(
      doc,
      trans.__(
        'Parameters (%1 of %2 differ)',
        comparison.params.differing.length,
        comparison.params.keys.length
      )
    )
  );
  const toggle = el(doc, 'label', ExpClass.showAll);
  const box = el(doc, 'input');
  box.type = 'checkbox';
  box.checked = options.showAll;
  box.addEventListener('change', () => options.onToggleShowAll(box.checked));
  toggle.append(box, ' ' + trans.__('show all params'));
  node.appendChild(toggle);
  return node;
}

/** `div.jp-exp-charts`: one `div.jp-exp-chart[data-metric]` per metric with curves. */
function renderCharts(
  doc: Document,
  comparison: IComparison,
  metrics: string[],
  options: IComparisonOptions,
  trans: Trans
): HTMLElement {
  const charts = el(doc, 'div', ExpClass.charts);
  for (const metric of metrics) {
    const container = el(doc, 'div', ExpClass.chart);
    container.dataset.metric = metric;
    charts.appendChild(container);
    options.renderChart(
      container,
      metric,
      metricChartSpec(comparison, metric, {
        theme: options.chartTheme,
        trans
      }),
      metricCurves(comparison, metric, trans)
    );
  }
  return charts;
}

/** Replace the content of `host` with the comparison. */
export function renderComparison(
  host: HTMLElement,
  comparison: IComparison,
  options: IComparisonOptions
): void {
  const doc = host.ownerDocument;
  const trans = options.trans ?? untranslated;
  host.replaceChildren();

  if (options.onBaseline && comparison.runs.length > 1) {
    host.appendChild(
      baselinePicker(doc, comparison, options.onBaseline, trans)
    );
  }
  host.appendChild(paramsHeading(doc, comparison, options, trans));
  host.appendChild(renderParamTable(doc, comparison, options.showAll, trans));

  host.appendChild(
    heading(
      doc,
      groupSides(comparison)
        ? trans.__("Final metrics (each group's mean)")
        : trans.__('Final metrics')
    )
  );
  host.appendChild(renderFinalMetrics(doc, comparison, trans));

  if (comparison.groups) {
    host.appendChild(heading(doc, trans.__('Groups over seeds')));
    host.appendChild(renderGroupStatistics(doc, comparison.groups, trans));
  }

  const metrics = chartedMetrics(comparison);
  if (metrics.length > 0) {
    host.appendChild(heading(doc, trans.__('Curves')));
    host.appendChild(renderCharts(doc, comparison, metrics, options, trans));
  }

  host.appendChild(heading(doc, trans.__('Cells')));
  host.appendChild(renderCellDiffs(doc, comparison, trans));
}
