/**
 * The compare view's "Groups over seeds": the groups the runs form, then each group against the
 * first (the baseline) per metric: both summaries, the difference with its bootstrap interval,
 * Cohen's d, the BH-adjusted p and the verdict; the notes below. Plain DOM, no JupyterLab imports.
 */
import { formatMetricValue } from '../../formatvalue';
import type {
  ICompareGroups,
  IGroupStatistic,
  ISampleSummary
} from '../../types';
import { ExpClass } from '../classes';
import { el, untranslated, type Trans } from '../dom';

/** `mean ± std (n=N)`. */
export function summaryText(summary: ISampleSummary | null): string {
  if (summary === null) {
    return '–';
  }
  const spread =
    summary.std === null ? '' : ` ± ${formatMetricValue(summary.std)}`;
  return `${formatMetricValue(summary.mean)}${spread} (n=${summary.n})`;
}

/** `difference [low, high]`. */
export function differenceText(row: IGroupStatistic): string {
  if (row.difference === null) {
    return '–';
  }
  const interval =
    row.ci_low === null || row.ci_high === null
      ? ''
      : ` [${formatMetricValue(row.ci_low)}, ${formatMetricValue(row.ci_high)}]`;
  return `${formatMetricValue(row.difference)}${interval}`;
}

/** `ul.jp-exp-group-list`: each group, its runs and seeds. */
function groupList(
  doc: Document,
  groups: ICompareGroups,
  trans: Trans
): HTMLElement {
  const list = el(doc, 'ul', 'jp-exp-group-list');
  groups.groups.forEach((group, i) => {
    const seeds = group.seeds.map(seed => seed ?? '?').join(', ');
    const name = i === 0 ? trans.__('Baseline') : trans.__('Group %1', i + 1);
    const item = el(
      doc,
      'li',
      '',
      trans.__(
        '%1: %2 (%3 runs, seeds %4)',
        name,
        group.label,
        group.run_ids.length,
        seeds
      )
    );
    item.dataset.group = String(i);
    list.appendChild(item);
  });
  return list;
}

/** `table.jp-exp-group-stats`: one row per metric and group against the baseline. */
function statisticsTable(
  doc: Document,
  groups: ICompareGroups,
  trans: Trans
): HTMLElement {
  const table = el(doc, 'table', 'jp-exp-group-stats');
  const head = el(doc, 'thead');
  const headRow = el(doc, 'tr');
  for (const title of [
    trans.__('Metric'),
    trans.__('Baseline'),
    trans.__('Group'),
    trans.__('Difference [95% CI]'),
    trans.__("Cohen's d"),
    trans.__('p (BH)'),
    trans.__('Verdict')
  ]) {
    headRow.appendChild(el(doc, 'th', '', title));
  }
  head.appendChild(headRow);
  table.appendChild(head);
  const body = el(doc, 'tbody');
  for (const row of groups.statistics) {
    // One cell per heading: the metric is the row's header cell, the six values follow.
    const tr = el(doc, 'tr');
    tr.dataset.key = `${row.side}:${row.metric}`;
    tr.dataset.metric = row.metric;
    tr.dataset.side = String(row.side);
    tr.dataset.outcome = row.outcome;
    const direction = row.lower_is_better ? ' ↓' : ' ↑';
    const label = groups.groups.length > 2 ? ` (${row.label})` : '';
    const metric = el(doc, 'th', '', row.metric + direction);
    metric.scope = 'row';
    metric.title = row.lower_is_better
      ? trans.__('%1: lower is better', row.metric)
      : trans.__('%1: higher is better', row.metric);
    tr.appendChild(metric);
    const values = [
      summaryText(row.a),
      summaryText(row.b),
      differenceText(row),
      row.cohens_d === null ? '–' : formatMetricValue(row.cohens_d),
      row.p_adjusted === null ? '–' : formatMetricValue(row.p_adjusted)
    ];
    for (const text of values) {
      tr.appendChild(el(doc, 'td', '', text));
    }
    const verdict = el(
      doc,
      'td',
      `jp-exp-verdict-${row.outcome.replace(' ', '-')}`,
      row.verdict + label
    );
    if (row.notes.length > 0) {
      verdict.title = row.notes.join('\n');
    }
    tr.appendChild(verdict);
    body.appendChild(tr);
  }
  table.appendChild(body);
  return table;
}

/** The notes of the comparison and of each row (`metric: note`), once each. */
function groupNotes(groups: ICompareGroups): string[] {
  const notes = [
    ...groups.notes,
    ...groups.statistics.flatMap(row =>
      row.notes.map(note => `${row.metric}: ${note}`)
    )
  ];
  return [...new Set(notes)];
}

/** The group list, the statistics table and the notes (`div.jp-exp-group-stats-block`). */
export function renderGroupStatistics(
  doc: Document,
  groups: ICompareGroups,
  trans: Trans = untranslated
): HTMLElement {
  const node = el(doc, 'div', 'jp-exp-group-stats-block');
  node.appendChild(groupList(doc, groups, trans));
  if (groups.statistics.length === 0) {
    node.appendChild(
      el(
        doc,
        'div',
        ExpClass.empty,
        trans.__('One group only: nothing to compare it with.')
      )
    );
    return node;
  }
  node.appendChild(statisticsTable(doc, groups, trans));
  const notes = groupNotes(groups);
  if (notes.length > 0) {
    const ul = el(doc, 'ul', 'jp-exp-group-notes');
    for (const note of notes) {
      ul.appendChild(el(doc, 'li', '', note));
    }
    node.appendChild(ul);
  }
  return node;
}
