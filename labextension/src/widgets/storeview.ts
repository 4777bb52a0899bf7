/**
 * Plain-DOM rendering of the store state, with stable `jp-exp-` class names for browser tests.
 * Kept free of JupyterLab imports so it can be tested under jsdom.
 */
import { redactUri } from '../format';
import type { IStoreState } from '../model';

/** Class names the view (and the browser tests) rely on. */
export namespace StoreViewClass {
  export const panel = 'jp-exp-sidebar';
  export const header = 'jp-exp-header';
  export const title = 'jp-exp-title';
  export const store = 'jp-exp-store';
  export const storeLine = 'jp-exp-store-line';
  export const storeUri = 'jp-exp-store-uri';
  export const storeLabel = 'jp-exp-store-label';
  export const rootLine = 'jp-exp-root-line';
  export const root = 'jp-exp-root';
  export const artifactRoot = 'jp-exp-artifact-root';
  export const version = 'jp-exp-version';
  export const status = 'jp-exp-status';
  export const error = 'jp-exp-error';
  export const caption = 'jp-exp-caption';
  export const value = 'jp-exp-value';
}

function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** `<div class=lineClass><span caption>Caption: </span><code valueClass>value</code></div>` */
function line(
  doc: Document,
  lineClass: string,
  caption: string,
  valueClass: string,
  value: string
): HTMLDivElement {
  const row = el(doc, 'div', lineClass);
  row.appendChild(el(doc, 'span', StoreViewClass.caption, `${caption}: `));
  const code = el(doc, 'code', `${StoreViewClass.value} ${valueClass}`, value);
  code.title = value;
  row.appendChild(code);
  return row;
}

/** Replace the content of `host` with a rendering of `state`. */
export function renderStoreView(host: HTMLElement, state: IStoreState): void {
  const doc = host.ownerDocument;
  host.replaceChildren();
  host.dataset.status = state.status;

  const header = el(doc, 'div', StoreViewClass.header);
  header.appendChild(el(doc, 'h2', StoreViewClass.title, 'Runs'));
  host.appendChild(header);

  if (state.info) {
    const info = state.info;
    const store = el(doc, 'div', StoreViewClass.store);
    const uri = redactUri(info.tracking_uri);
    store.appendChild(
      line(
        doc,
        StoreViewClass.storeLine,
        'Tracking store',
        StoreViewClass.storeUri,
        uri
      )
    );
    if (state.label) {
      store.appendChild(el(doc, 'div', StoreViewClass.storeLabel, state.label));
    }
    if (info.root) {
      store.appendChild(
        line(
          doc,
          StoreViewClass.rootLine,
          'Root',
          StoreViewClass.root,
          info.root
        )
      );
    }
    if (info.artifact_root) {
      store.appendChild(
        line(
          doc,
          `${StoreViewClass.artifactRoot}-line`,
          'Artifacts',
          StoreViewClass.artifactRoot,
          info.artifact_root
        )
      );
    }
    if (info.version) {
      store.appendChild(
        el(doc, 'div', StoreViewClass.version, `jupyter-exp ${info.version}`)
      );
    }
    host.appendChild(store);
  } else if (state.status === 'loading' || state.status === 'idle') {
    host.appendChild(
      el(doc, 'div', StoreViewClass.status, 'Loading tracking store…')
    );
  }

  if (state.error) {
    const error = el(doc, 'div', StoreViewClass.error, `Error: ${state.error}`);
    error.setAttribute('role', 'alert');
    host.appendChild(error);
  }
}
