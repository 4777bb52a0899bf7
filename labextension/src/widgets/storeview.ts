/**
 * Plain-DOM rendering of the store state, with stable `jp-exp-` class names for browser tests.
 * Kept free of JupyterLab imports so it can be tested under jsdom.
 */
import { redactUri } from '../format';
import type { IStoreState } from '../model';
import { ExpClass } from './classes';
import { el } from './dom';

/** Class names of the store view (and of the whole frontend). */
export { ExpClass as StoreViewClass };

/** `<div class=lineClass><span caption>Caption: </span><code valueClass>value</code></div>` */
function line(
  doc: Document,
  lineClass: string,
  caption: string,
  valueClass: string,
  value: string
): HTMLDivElement {
  const row = el(doc, 'div', lineClass);
  row.appendChild(el(doc, 'span', ExpClass.caption, `${caption}: `));
  const code = el(doc, 'code', `${ExpClass.value} ${valueClass}`, value);
  code.title = value;
  row.appendChild(code);
  return row;
}

/**
 * The store as one line (`Store: mlflow.db (SQLite)`), the details in its tooltip; used at the
 * top of the runs sidebar.
 */
export function renderStoreLine(host: HTMLElement, state: IStoreState): void {
  const doc = host.ownerDocument;
  host.replaceChildren();
  host.dataset.status = state.status;
  if (state.info) {
    const info = state.info;
    const row = el(doc, 'div', ExpClass.storeLine);
    row.appendChild(el(doc, 'span', ExpClass.caption, 'Store: '));
    const label = el(
      doc,
      'span',
      ExpClass.storeLabel,
      state.label || redactUri(info.tracking_uri)
    );
    row.appendChild(label);
    row.title = [
      `Tracking URI: ${redactUri(info.tracking_uri)}`,
      info.root ? `Root: ${info.root}` : '',
      info.artifact_root ? `Artifacts: ${info.artifact_root}` : '',
      info.version ? `jupyter-exp ${info.version}` : ''
    ]
      .filter(Boolean)
      .join('\n');
    host.appendChild(row);
  } else if (state.status === 'loading' || state.status === 'idle') {
    host.appendChild(
      el(doc, 'div', ExpClass.status, 'Loading tracking store…')
    );
  }
  if (state.error) {
    const error = el(doc, 'div', ExpClass.error, `Store: ${state.error}`);
    error.setAttribute('role', 'alert');
    host.appendChild(error);
  }
}

/** Replace the content of `host` with a rendering of `state`. */
export function renderStoreView(host: HTMLElement, state: IStoreState): void {
  const doc = host.ownerDocument;
  host.replaceChildren();
  host.dataset.status = state.status;

  const header = el(doc, 'div', ExpClass.header);
  header.appendChild(el(doc, 'h2', ExpClass.title, 'Runs'));
  host.appendChild(header);

  if (state.info) {
    const info = state.info;
    const store = el(doc, 'div', ExpClass.store);
    const uri = redactUri(info.tracking_uri);
    store.appendChild(
      line(doc, ExpClass.storeLine, 'Tracking store', ExpClass.storeUri, uri)
    );
    if (state.label) {
      store.appendChild(el(doc, 'div', ExpClass.storeLabel, state.label));
    }
    if (info.root) {
      store.appendChild(
        line(doc, ExpClass.rootLine, 'Root', ExpClass.root, info.root)
      );
    }
    if (info.artifact_root) {
      store.appendChild(
        line(
          doc,
          `${ExpClass.artifactRoot}-line`,
          'Artifacts',
          ExpClass.artifactRoot,
          info.artifact_root
        )
      );
    }
    if (info.version) {
      store.appendChild(
        el(doc, 'div', ExpClass.version, `jupyter-exp ${info.version}`)
      );
    }
    host.appendChild(store);
  } else if (state.status === 'loading' || state.status === 'idle') {
    host.appendChild(
      el(doc, 'div', ExpClass.status, 'Loading tracking store…')
    );
  }

  if (state.error) {
    const error = el(doc, 'div', ExpClass.error, `Error: ${state.error}`);
    error.setAttribute('role', 'alert');
    host.appendChild(error);
  }
}
