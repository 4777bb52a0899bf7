/**
 * Tiny DOM helpers shared by the plain-DOM views (testable under jsdom).
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { describeError } from '../errors';

/** `<tag class=className>text</tag>` in `doc`. */
export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className = '',
  text?: string
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A `jp-Button`-styled button. */
export function button(
  doc: Document,
  className: string,
  label: string,
  options: { title?: string; accept?: boolean; onClick?: () => void } = {}
): HTMLButtonElement {
  const node = el(
    doc,
    'button',
    `jp-Button jp-mod-styled ${options.accept ? 'jp-mod-accept' : 'jp-mod-reject'} ${className}`,
    label
  );
  node.type = 'button';
  if (options.title) {
    node.title = options.title;
  }
  if (options.onClick) {
    const onClick = options.onClick;
    node.addEventListener('click', event => {
      event.stopPropagation();
      onClick();
    });
  }
  return node;
}

/** A table row whose first cell is the row header `key`. */
export function keyedRow(doc: Document, key: string): HTMLTableRowElement {
  const row = el(doc, 'tr');
  const th = el(doc, 'th', '', key);
  th.scope = 'row';
  th.title = key;
  row.appendChild(th);
  return row;
}

/** A two-column key/value table. */
export function kvTable(
  doc: Document,
  className: string,
  entries: [string, string][]
): HTMLTableElement {
  const table = el(doc, 'table', className);
  const body = el(doc, 'tbody');
  for (const [key, value] of entries) {
    const row = keyedRow(doc, key);
    const td = el(doc, 'td', '', value);
    td.title = value;
    row.appendChild(td);
    body.appendChild(row);
  }
  table.appendChild(body);
  return table;
}

/** A `<select>` with options. */
export function select(
  doc: Document,
  className: string,
  options: readonly { value: string; label: string }[],
  value: string,
  ariaLabel: string
): HTMLSelectElement {
  const node = el(doc, 'select', `jp-mod-styled ${className}`);
  node.setAttribute('aria-label', ariaLabel);
  node.title = ariaLabel;
  for (const option of options) {
    const item = el(doc, 'option', '', option.label);
    item.value = option.value;
    node.appendChild(item);
  }
  node.value = value;
  return node;
}

/** The part of a JupyterLab `TranslationBundle` the views use. */
export type Trans = Pick<TranslationBundle, '__' | '_n'>;

/** `%1`, `%2`… replaced by `args`, as JupyterLab's gettext does. */
function strfmt(text: string, args: unknown[]): string {
  return text.replace(/%(%|\d+)/g, (match, index: string) =>
    index === '%'
      ? '%'
      : Number(index) <= args.length
        ? String(args[Number(index) - 1])
        : match
  );
}

/**
 * The untranslated bundle (what `nullTranslator` gives), for views used without a translator
 * (tests, other plugins). Kept here so the plain-DOM views need no JupyterLab import at runtime.
 */
export const untranslated: Trans = {
  __: (msgid: string, ...args: unknown[]) => strfmt(msgid, args),
  _n: (msgid: string, plural: string, n: number, ...args: unknown[]) =>
    strfmt(n === 1 ? msgid : plural, [n, ...args])
};

/** A view's one-line failure ("Error: …"), announced to screen readers. */
export function errorAlert(
  doc: Document,
  trans: Trans,
  error: unknown
): HTMLElement {
  const line = el(
    doc,
    'div',
    'jp-exp-error',
    trans.__('Error: %1', describeError(error))
  );
  line.setAttribute('role', 'alert');
  return line;
}
