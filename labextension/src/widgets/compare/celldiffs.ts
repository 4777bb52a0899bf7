/**
 * The compare view's cells: the first run's tracked cell, and each other run's cell as a unified
 * diff against it. Plain DOM, no JupyterLab imports.
 */
import { runLabel } from '../../formatvalue';
import type { IComparison } from '../../types';
import { ExpClass } from '../classes';
import { el, untranslated, type Trans } from '../dom';

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
  comparison: IComparison,
  trans: Trans = untranslated
): HTMLElement {
  const node = el(doc, 'div', 'jp-exp-cell-diffs');
  const runs = new Map(comparison.runs.map(run => [run.run_id, run]));
  const noSource = () =>
    el(doc, 'div', ExpClass.empty, trans.__('No cell source recorded.'));
  comparison.cells.forEach((cell, i) => {
    const run = runs.get(cell.run_id);
    const block = el(doc, 'div', 'jp-exp-cell-block');
    block.dataset.runId = cell.run_id;
    const label = run ? runLabel(run, trans.__('run')) : cell.run_id;
    if (i === 0) {
      block.appendChild(
        el(doc, 'h4', '', trans.__('%1: reference cell', label))
      );
      block.appendChild(
        cell.source === null
          ? noSource()
          : el(doc, 'pre', ExpClass.cellSource, cell.source)
      );
    } else {
      block.appendChild(
        el(doc, 'h4', '', trans.__('%1 vs the reference', label))
      );
      if (cell.source === null || cell.diff === null) {
        block.appendChild(noSource());
      } else if (cell.diff === '') {
        block.appendChild(
          el(doc, 'div', ExpClass.empty, trans.__('Same cell source.'))
        );
      } else {
        block.appendChild(renderDiff(doc, cell.diff));
      }
    }
    node.appendChild(block);
  });
  return node;
}
