/**
 * The compare view's run tables: parameters side by side (differing ones marked) and each
 * metric's final value per run. Plain DOM, no JupyterLab imports.
 */
import { formatMetricValue, runLabel } from '../../formatvalue';
import type { IComparison, IRunSummary } from '../../types';
import { ExpClass } from '../classes';
import { el, keyedRow, untranslated, type Trans } from '../dom';
import { renderStatus } from '../runlist';

/** The header row: `first`, then each run (its label and status). */
function headerRow(
  doc: Document,
  first: string,
  runs: IRunSummary[],
  trans: Trans
): HTMLTableSectionElement {
  const head = el(doc, 'thead');
  const row = el(doc, 'tr');
  row.appendChild(el(doc, 'th', '', first));
  for (const run of runs) {
    const th = el(doc, 'th');
    th.dataset.runId = run.run_id;
    th.title = run.run_id;
    th.append(
      el(doc, 'span', ExpClass.runName, runLabel(run, trans.__('run'))),
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
  showAll: boolean,
  trans: Trans = untranslated
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
        ? trans.__('No parameters.')
        : trans.__('All %1 parameters are equal.', keys.length)
    );
  }
  const table = el(doc, 'table', ExpClass.paramTable);
  table.appendChild(
    headerRow(doc, trans.__('Parameter'), comparison.runs, trans)
  );
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
  comparison: IComparison,
  trans: Trans = untranslated
): HTMLElement {
  const { keys, final } = comparison.metrics;
  if (keys.length === 0) {
    return el(doc, 'div', ExpClass.empty, trans.__('No metrics.'));
  }
  const table = el(doc, 'table', ExpClass.finalMetrics);
  table.appendChild(headerRow(doc, trans.__('Metric'), comparison.runs, trans));
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
