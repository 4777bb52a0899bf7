/**
 * Param importance (Optuna's, computed by the server): one bar per param, most important first, or
 * the one line saying why there is none. Plain DOM, text only.
 */
import { el, untranslated, type Trans } from '../dom';
import type { ISweep } from './types';

export function renderImportance(
  doc: Document,
  sweep: ISweep,
  trans: Trans = untranslated
): HTMLElement {
  const node = el(doc, 'section', 'jp-exp-section jp-exp-sweep-importance');
  node.appendChild(el(doc, 'h3', '', trans.__('Param importance')));
  const importance = sweep.importance;
  if (!importance || Object.keys(importance).length === 0) {
    const reason = el(
      doc,
      'div',
      'jp-exp-empty jp-exp-sweep-importance-reason',
      sweep.importance_reason ?? trans.__('No importance.')
    );
    node.appendChild(reason);
    return node;
  }
  const list = el(doc, 'ol', 'jp-exp-sweep-importance-list');
  for (const [param, share] of Object.entries(importance)) {
    const item = el(doc, 'li');
    item.dataset.param = param;
    const percent = `${(share * 100).toFixed(1)}%`;
    item.title = trans.__('%1: %2 of the objective’s variance', param, percent);
    const bar = el(doc, 'span', 'jp-exp-sweep-bar');
    bar.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
    const track = el(doc, 'span', 'jp-exp-sweep-bar-track');
    track.appendChild(bar);
    item.append(
      el(doc, 'span', 'jp-exp-sweep-param', param),
      track,
      el(doc, 'span', 'jp-exp-value', percent)
    );
    list.appendChild(item);
  }
  node.appendChild(list);
  node.appendChild(
    el(
      doc,
      'div',
      'jp-exp-caption',
      trans.__('Optuna’s fANOVA over the complete trials.')
    )
  );
  return node;
}
