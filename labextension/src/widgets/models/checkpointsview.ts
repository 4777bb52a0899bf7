/**
 * The checkpoints section of a run's detail (`.jp-exp-checkpoints`): ranked by the run's objective,
 * each with its step, metrics, size, best/last marks and "Register…"; below, the last registration
 * and a refused promotion with "Reproduce, then promote". Plain DOM, text only.
 */
import { formatBytes, formatMetricValue } from '../../format';
import { ExpClass } from '../classes';
import { button, el, errorAlert, untranslated, type Trans } from '../dom';
import type { ICheckpointsState, IPromotion } from './checkpointsmodel';
import type { ICheckpoint } from './types';

export interface ICheckpointsCallbacks {
  onRegister(checkpoint: ICheckpoint): void;
  onReproduceThenPromote(): void;
  onDismiss(): void;
  /** Open the model view at a model. */
  onOpenModel?(name: string): void;
}

function marks(checkpoint: ICheckpoint, trans: Trans): string {
  return [
    checkpoint.best ? trans.__('best') : '',
    checkpoint.last ? trans.__('last') : ''
  ]
    .filter(Boolean)
    .join(', ');
}

function row(
  doc: Document,
  checkpoint: ICheckpoint,
  callbacks: ICheckpointsCallbacks,
  trans: Trans
): HTMLTableRowElement {
  const tr = el(doc, 'tr', 'jp-exp-checkpoint');
  tr.dataset.modelId = checkpoint.model_id;
  tr.dataset.step = String(checkpoint.step);
  const metrics = Object.entries(checkpoint.metrics)
    .map(([key, value]) => `${key} ${formatMetricValue(value)}`)
    .join(', ');
  const step = el(doc, 'th', '', String(checkpoint.step));
  step.scope = 'row';
  step.title = `${checkpoint.model_id}\nsha256 ${checkpoint.sha256}`;
  tr.append(
    step,
    el(doc, 'td', 'jp-exp-checkpoint-metrics', metrics),
    el(doc, 'td', 'jp-exp-checkpoint-size', formatBytes(checkpoint.size)),
    el(doc, 'td', 'jp-exp-checkpoint-marks', marks(checkpoint, trans))
  );
  const action = el(doc, 'td');
  action.appendChild(
    button(doc, 'jp-exp-register', trans.__('Register…'), {
      title: trans.__(
        'Register this checkpoint as a version of a model (an alias: candidate, or the promotion alias)'
      ),
      onClick: () => callbacks.onRegister(checkpoint)
    })
  );
  tr.appendChild(action);
  return tr;
}

function promotionLine(
  doc: Document,
  promotion: IPromotion,
  callbacks: ICheckpointsCallbacks,
  trans: Trans
): HTMLElement {
  const node = el(doc, 'div', 'jp-exp-promotion');
  node.dataset.phase = promotion.phase;
  const { name, alias } = promotion.request;
  const text = el(doc, 'span', 'jp-exp-promotion-message');
  switch (promotion.phase) {
    case 'refused':
      text.textContent = promotion.message;
      node.setAttribute('role', 'alert');
      break;
    case 'reproducing':
      text.textContent = trans.__(
        'Reproducing the run; @%1 follows on an exact or close verdict…',
        alias ?? ''
      );
      node.setAttribute('role', 'status');
      break;
    case 'promoting':
      text.textContent = trans.__(
        'Reproduced (%1): setting @%2…',
        promotion.verdict ?? '',
        alias ?? ''
      );
      break;
    case 'promoted':
      text.textContent = trans.__(
        'Promoted: %1 @%2 (verdict: %3)',
        name,
        alias ?? '',
        promotion.verdict ?? ''
      );
      node.setAttribute('role', 'status');
      break;
    case 'failed':
      text.textContent = promotion.verdict
        ? trans.__(
            'Not promoted: the reproduction is %1. %2',
            promotion.verdict,
            promotion.message
          )
        : trans.__('Not promoted: %1', promotion.message);
      node.setAttribute('role', 'alert');
      break;
  }
  node.appendChild(text);
  if (promotion.phase === 'refused' || promotion.phase === 'failed') {
    node.appendChild(
      button(
        doc,
        'jp-exp-reproduce-promote',
        trans.__('Reproduce, then promote'),
        {
          accept: true,
          title: trans.__(
            'Replay the run in a fresh kernel; set @%1 once the verdict is exact or close',
            alias ?? ''
          ),
          onClick: () => callbacks.onReproduceThenPromote()
        }
      )
    );
  }
  if (promotion.phase !== 'reproducing' && promotion.phase !== 'promoting') {
    node.appendChild(
      button(doc, 'jp-exp-dismiss', '×', {
        title: trans.__('Dismiss'),
        onClick: () => callbacks.onDismiss()
      })
    );
  }
  return node;
}

/** Replace the content of `host` with the checkpoints of `state` (hidden when the run has none). */
export function renderCheckpoints(
  host: HTMLElement,
  state: ICheckpointsState,
  callbacks: ICheckpointsCallbacks,
  trans: Trans = untranslated
): void {
  const doc = host.ownerDocument;
  host.replaceChildren();
  const checkpoints = state.list?.checkpoints ?? [];
  host.hidden = !state.error && checkpoints.length === 0;
  if (host.hidden) {
    return;
  }
  const objective = state.list?.objective;
  host.appendChild(
    el(
      doc,
      'h3',
      '',
      objective
        ? trans.__(
            'Checkpoints (%1), best %2 first',
            checkpoints.length,
            objective
          )
        : trans.__('Checkpoints (%1)', checkpoints.length)
    )
  );
  if (state.error) {
    host.appendChild(errorAlert(doc, trans, state.error));
  }
  if (checkpoints.length > 0) {
    const table = el(doc, 'table', 'jp-exp-checkpoint-table');
    const body = el(doc, 'tbody');
    for (const checkpoint of checkpoints) {
      body.appendChild(row(doc, checkpoint, callbacks, trans));
    }
    table.appendChild(body);
    host.appendChild(table);
  }
  const done = state.registered;
  if (done && state.promotion?.phase !== 'promoted') {
    const line = el(doc, 'div', 'jp-exp-registered');
    line.setAttribute('role', 'status');
    line.append(
      trans.__(
        'Registered %1 version %2%3 (step %4, verdict: %5) ',
        done.name,
        done.version,
        done.alias ? ` @${done.alias}` : '',
        done.step,
        done.verdict
      )
    );
    if (callbacks.onOpenModel) {
      const onOpenModel = callbacks.onOpenModel;
      const link = el(doc, 'a', 'jp-exp-open-model', trans.__('Open model'));
      link.href = '#';
      link.addEventListener('click', event => {
        event.preventDefault();
        onOpenModel(done.name);
      });
      line.appendChild(link);
    }
    host.appendChild(line);
  }
  if (state.registerError) {
    const error = el(
      doc,
      'div',
      `${ExpClass.error} jp-exp-register-error`,
      trans.__('Not registered: %1', state.registerError)
    );
    error.setAttribute('role', 'alert');
    host.appendChild(error);
  }
  if (state.promotion) {
    host.appendChild(promotionLine(doc, state.promotion, callbacks, trans));
  }
}
