/**
 * Plain-DOM rendering of the store state as one line at the top of the runs sidebar, with
 * stable `jp-exp-` class names for browser tests. No JupyterLab imports at runtime.
 */
import { redactUri } from '../formatstore';
import type { IStoreState } from '../model';
import { ExpClass } from './classes';
import { el, untranslated, type Trans } from './dom';

/**
 * The store as one line (`Store: mlflow.db (SQLite)`), the details (URI without password, root,
 * artifacts, version) in its tooltip.
 */
export function renderStoreLine(
  host: HTMLElement,
  state: IStoreState,
  trans: Trans = untranslated
): void {
  const doc = host.ownerDocument;
  host.replaceChildren();
  host.dataset.status = state.status;
  if (state.info) {
    const info = state.info;
    const row = el(doc, 'div', ExpClass.storeLine);
    row.appendChild(el(doc, 'span', ExpClass.caption, trans.__('Store: ')));
    row.appendChild(
      el(
        doc,
        'span',
        ExpClass.storeLabel,
        state.label || redactUri(info.tracking_uri)
      )
    );
    row.title = [
      trans.__('Tracking URI: %1', redactUri(info.tracking_uri)),
      info.root ? trans.__('Root: %1', info.root) : '',
      info.artifact_root ? trans.__('Artifacts: %1', info.artifact_root) : '',
      info.version ? `jupyter-exp ${info.version}` : ''
    ]
      .filter(Boolean)
      .join('\n');
    host.appendChild(row);
  } else if (state.status === 'loading' || state.status === 'idle') {
    host.appendChild(
      el(doc, 'div', ExpClass.status, trans.__('Loading tracking store…'))
    );
  }
  if (state.error) {
    const error = el(
      doc,
      'div',
      ExpClass.error,
      trans.__('Store: %1', state.error)
    );
    error.setAttribute('role', 'alert');
    host.appendChild(error);
  }
}
