/**
 * The parts of a run's detail that come from its relations (`GET runs/<id>/relations`): a `--seeds`
 * parent's group (the configuration its children share and which params vary, each metric's
 * mean ± sd (n) over them, its children as links), a child's parent, and the runs reproducing it.
 * Plain DOM, no JupyterLab imports.
 */
import { summaryMeanSd } from '../formatgroup';
import { isSystemMetric } from '../formatvalue';
import type { IRunLink, IRunRelations } from '../types';
import { ExpClass } from './classes';
import { el, keyedRow, kvTable, untranslated, type Trans } from './dom';
import { renderStatus, renderVerdict } from './runlist';

/** Whether the relations are a seed group's parent's (it has children). */
export function isParentRelations(
  relations: IRunRelations | null | undefined
): relations is IRunRelations {
  return !!relations && relations.children.length > 0;
}

function section(doc: Document, title: string, className: string): HTMLElement {
  const node = el(doc, 'section', `${ExpClass.section} ${className}`);
  node.appendChild(el(doc, 'h3', '', title));
  return node;
}

/** `ul.jp-exp-run-links`: each run a link (opens its detail) with its seed, status and verdict. */
export function renderRunLinks(
  doc: Document,
  links: IRunLink[],
  onOpenRun: (runId: string) => void,
  trans: Trans = untranslated
): HTMLElement {
  const list = el(doc, 'ul', 'jp-exp-run-links');
  for (const link of links) {
    const item = el(doc, 'li');
    item.dataset.runId = link.run_id;
    const anchor = el(doc, 'a', ExpClass.jobRun, link.run_name || link.run_id);
    anchor.href = '#';
    anchor.dataset.runId = link.run_id;
    anchor.title = link.run_id;
    anchor.addEventListener('click', event => {
      event.preventDefault();
      onOpenRun(link.run_id);
    });
    item.appendChild(anchor);
    if (link.seed !== null) {
      item.appendChild(
        el(doc, 'span', ExpClass.caption, trans.__('seed %1', link.seed))
      );
    }
    item.appendChild(renderStatus(doc, link.status));
    if (link.verdict) {
      item.appendChild(renderVerdict(doc, link.verdict, trans));
    }
    list.appendChild(item);
  }
  return list;
}

/** A parent's group: shared configuration, what varies, mean ± sd (n) per metric, the children. */
export function renderGroupSection(
  doc: Document,
  relations: IRunRelations,
  onOpenRun: (runId: string) => void,
  trans: Trans = untranslated
): HTMLElement {
  const node = section(
    doc,
    trans.__('Group of %1 runs', relations.children.length),
    'jp-exp-group-section'
  );
  node.dataset.children = String(relations.children.length);

  const config = section(
    doc,
    trans.__('Shared configuration'),
    'jp-exp-shared-params'
  );
  const shared = Object.entries(relations.shared_params).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  config.appendChild(
    shared.length > 0
      ? kvTable(doc, `${ExpClass.kv} ${ExpClass.params}`, shared)
      : el(
          doc,
          'div',
          ExpClass.empty,
          trans.__('No parameter shared by every run.')
        )
  );
  if (relations.varying_params.length > 0) {
    config.appendChild(
      el(
        doc,
        'div',
        'jp-exp-varying',
        trans.__('Varies: %1', relations.varying_params.join(', '))
      )
    );
  }
  node.appendChild(config);

  const metrics = section(
    doc,
    trans.__('Metrics: mean ± sd (n)'),
    'jp-exp-group-metrics'
  );
  const keys = Object.keys(relations.summaries).sort(
    (a, b) =>
      Number(isSystemMetric(a)) - Number(isSystemMetric(b)) ||
      a.localeCompare(b)
  );
  if (keys.length === 0) {
    metrics.appendChild(
      el(doc, 'div', ExpClass.empty, trans.__('No metrics.'))
    );
  } else {
    const table = el(doc, 'table', ExpClass.kv);
    const body = el(doc, 'tbody');
    for (const key of keys) {
      const row = keyedRow(doc, key);
      row.dataset.metric = key;
      const summary = relations.summaries[key];
      const td = el(doc, 'td', ExpClass.value, summaryMeanSd(summary));
      if (summary && summary.ci_low !== null && summary.ci_high !== null) {
        td.title = trans.__(
          '95% interval of the mean: %1 to %2',
          summary.ci_low,
          summary.ci_high
        );
      }
      row.appendChild(td);
      body.appendChild(row);
    }
    table.appendChild(body);
    metrics.appendChild(table);
  }
  node.appendChild(metrics);

  const children = section(doc, trans.__('Runs'), 'jp-exp-group-children');
  children.appendChild(
    renderRunLinks(doc, relations.children, onOpenRun, trans)
  );
  node.appendChild(children);
  return node;
}

/** A child's parent and the runs reproducing this one (each a link); null when there is neither. */
export function renderRelatedRuns(
  doc: Document,
  relations: IRunRelations,
  onOpenRun: (runId: string) => void,
  trans: Trans = untranslated
): HTMLElement | null {
  if (!relations.parent && relations.reproductions.length === 0) {
    return null;
  }
  const node = el(doc, 'div', 'jp-exp-related-runs');
  if (relations.parent) {
    const line = el(doc, 'div', 'jp-exp-group-parent');
    line.append(`${trans.__('In group')} `);
    line.appendChild(renderRunLinks(doc, [relations.parent], onOpenRun, trans));
    node.appendChild(line);
  }
  if (relations.reproductions.length > 0) {
    const part = section(
      doc,
      trans.__('Reproductions (%1)', relations.reproductions.length),
      'jp-exp-reproductions'
    );
    part.appendChild(
      renderRunLinks(doc, relations.reproductions, onOpenRun, trans)
    );
    node.appendChild(part);
  }
  return node;
}
