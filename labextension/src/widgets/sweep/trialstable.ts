/**
 * The sweep's trials as a table: number, state, objective, each param, the reproduction verdict.
 * Column headers sort (again: the other way); a trial's number opens its run. Plain DOM, text only.
 */
import { formatMetricValue } from '../../formatvalue';
import { el, untranslated, type Trans } from '../dom';
import { renderVerdict } from '../runlist';
import type { ISort, IVerification, SortKey } from './sweepmodel';
import type { ISweep, ISweepTrial, ParamValue } from './types';

export interface ITrialsTableCallbacks {
  onSort(key: SortKey): void;
  onOpenRun(runId: string): void;
}

function paramText(value: ParamValue | undefined): string {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'number' ? formatMetricValue(value) : String(value);
}

/** A verification started here, else the newest recorded reproduction's verdict. */
function verdictCell(
  doc: Document,
  trial: ISweepTrial,
  verifying: IVerification | undefined,
  trans: Trans
): HTMLElement {
  const cell = el(doc, 'td', 'jp-exp-sweep-verdict');
  if (verifying) {
    cell.dataset.job = verifying.state;
    if (verifying.verdict) {
      cell.appendChild(renderVerdict(doc, verifying.verdict, trans));
    } else {
      const text =
        verifying.state === 'failed' || verifying.state === 'cancelled'
          ? verifying.state
          : trans.__('verifying…');
      const note = el(doc, 'span', 'jp-exp-caption', text);
      note.title = verifying.error ?? text;
      cell.appendChild(note);
    }
  } else if (trial.verdict) {
    cell.appendChild(renderVerdict(doc, trial.verdict, trans));
  }
  return cell;
}

export function renderTrialsTable(
  doc: Document,
  sweep: ISweep,
  rows: readonly ISweepTrial[],
  options: {
    sort: ISort | null;
    verifying: Readonly<Record<string, IVerification>>;
    callbacks: ITrialsTableCallbacks;
    trans?: Trans;
  }
): HTMLTableElement {
  const trans = options.trans ?? untranslated;
  const { callbacks, sort } = options;
  const table = el(doc, 'table', 'jp-exp-sweep-trials');
  const head = el(doc, 'thead');
  const header = el(doc, 'tr');
  const sortable = (key: SortKey, label: string): HTMLElement => {
    const th = el(doc, 'th');
    th.scope = 'col';
    th.dataset.sort = key;
    const sorted = sort?.key === key;
    th.setAttribute(
      'aria-sort',
      sorted ? (sort.descending ? 'descending' : 'ascending') : 'none'
    );
    const control = el(
      doc,
      'button',
      'jp-exp-sweep-sort',
      sorted ? `${label} ${sort.descending ? '▾' : '▴'}` : label
    );
    control.type = 'button';
    control.title = trans.__('Sort by %1', label);
    control.addEventListener('click', () => callbacks.onSort(key));
    th.appendChild(control);
    return th;
  };
  // the verdict beside the value: what "verify top k" adds stays in view in a narrow sidebar
  header.append(
    sortable('number', '#'),
    sortable('state', trans.__('state')),
    sortable('value', sweep.metric || trans.__('value')),
    el(doc, 'th', '', trans.__('verdict')),
    ...sweep.params.map(param => sortable(`param:${param}`, param))
  );
  head.appendChild(header);
  table.appendChild(head);

  const body = el(doc, 'tbody');
  for (const trial of rows) {
    const row = el(doc, 'tr', 'jp-exp-sweep-trial');
    row.dataset.runId = trial.run_id;
    row.dataset.state = trial.state;
    if (trial.number !== null) {
      row.dataset.trial = String(trial.number);
    }
    if (sweep.best?.run_id === trial.run_id) {
      row.classList.add('jp-mod-best');
      row.title = trans.__('The best trial');
    }
    const number = el(doc, 'td');
    const link = el(
      doc,
      'a',
      'jp-exp-sweep-trial-link',
      trial.number !== null ? String(trial.number) : '?'
    );
    link.href = '#';
    link.title = `${trial.run_name}\n${trial.run_id}`;
    link.addEventListener('click', event => {
      event.preventDefault();
      callbacks.onOpenRun(trial.run_id);
    });
    number.appendChild(link);
    const state = el(
      doc,
      'td',
      'jp-exp-sweep-state',
      trial.state.toLowerCase()
    );
    if (trial.state === 'PRUNED' && trial.pruned_at !== null) {
      state.title = trans.__('pruned at step %1', trial.pruned_at);
    }
    const value = el(
      doc,
      'td',
      'jp-exp-value',
      trial.value !== null ? formatMetricValue(trial.value) : ''
    );
    value.title = trial.value !== null ? String(trial.value) : '';
    row.append(
      number,
      state,
      value,
      verdictCell(doc, trial, options.verifying[trial.run_id], trans)
    );
    for (const param of sweep.params) {
      const text = paramText(trial.params[param]);
      const cell = el(doc, 'td', 'jp-exp-sweep-param-value', text);
      cell.title = String(trial.params[param] ?? '');
      row.appendChild(cell);
    }
    body.appendChild(row);
  }
  table.appendChild(body);
  return table;
}
