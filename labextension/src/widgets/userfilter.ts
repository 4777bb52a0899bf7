/**
 * The runs panel's user filter: whose runs the list shows on a shared store (mine, all users, or
 * one user picked from those seen in the listings or typed). Plain DOM, no JupyterLab imports.
 */
import { USER_ALL, USER_MINE, runUsers } from '../runfilters';
import type { IRunsState } from '../runsmodel';
import { ExpClass } from './classes';
import { el, untranslated, type Trans } from './dom';

/** The choice that shows the name input (no user name starts with a space). */
export const OTHER_USER = ' other';

export class UserFilterView {
  constructor(doc: Document, options: UserFilterView.IOptions) {
    const trans = (this._trans = options.trans ?? untranslated);
    this._onChange = options.onChange;
    const select = el(doc, 'select', `jp-mod-styled ${ExpClass.userFilter}`);
    select.setAttribute('aria-label', trans.__('Whose runs'));
    select.title = trans.__('Whose runs: mine, all users, or one user');
    const input = el(doc, 'input', `jp-mod-styled ${ExpClass.userName}`);
    input.type = 'text';
    input.placeholder = trans.__('User name (Enter applies)');
    input.setAttribute('aria-label', trans.__('User name'));
    input.hidden = true;
    const list = el(doc, 'datalist');
    list.id = `jp-exp-users-${++UserFilterView._count}`;
    input.setAttribute('list', list.id);

    select.addEventListener('change', () => {
      if (select.value === OTHER_USER) {
        input.hidden = false;
        input.value = '';
        input.focus();
      } else {
        input.hidden = true;
        this._onChange(select.value);
      }
    });
    input.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        input.hidden = true;
        this._onChange(input.value.trim() || USER_MINE);
      } else if (event.key === 'Escape') {
        input.hidden = true;
        select.value = this._shown;
      }
    });
    this.select = select;
    this.input = input;
    this.list = list;
  }

  readonly select: HTMLSelectElement;
  /** The name input, shown after "Other user…". */
  readonly input: HTMLInputElement;
  /** The users seen, offered while typing. */
  readonly list: HTMLDataListElement;

  /** The users seen so far, sorted. */
  get users(): string[] {
    return [...this._users].sort((a, b) => a.localeCompare(b));
  }

  /**
   * Show the state's user filter; collect the users of its rows. Returns whether the control is
   * shown: on a shared store, or when a user was picked.
   */
  render(state: IRunsState, shared: boolean): boolean {
    const current = state.filters.user;
    for (const name of runUsers(state.runs)) {
      this._users.add(name);
    }
    const named =
      current && current !== USER_MINE && current !== USER_ALL ? current : '';
    if (named) {
      this._users.add(named);
    }
    const users = this.users;
    const key = JSON.stringify(users);
    if (key !== this._key) {
      this._key = key;
      this._renderOptions(users);
    }
    // '' is the server's default, "mine" wherever the control is shown (a shared store).
    this._shown = named || current || USER_MINE;
    if (this.input.hidden) {
      this.select.value = this._shown;
    }
    return shared || !!current;
  }

  private _renderOptions(users: string[]): void {
    const doc = this.select.ownerDocument;
    const trans = this._trans;
    const option = (value: string, label: string) => {
      const node = el(doc, 'option', '', label);
      node.value = value;
      return node;
    };
    const options: HTMLElement[] = [
      option(USER_MINE, trans.__('My runs')),
      option(USER_ALL, trans.__('All users'))
    ];
    if (users.length > 0) {
      const group = el(doc, 'optgroup');
      group.label = trans.__('User');
      group.append(...users.map(name => option(name, name)));
      options.push(group);
    }
    options.push(option(OTHER_USER, trans.__('Other user…')));
    this.select.replaceChildren(...options);
    this.list.replaceChildren(...users.map(name => option(name, name)));
  }

  private static _count = 0;
  private _trans: Trans;
  private _onChange: (user: string) => void;
  private _users = new Set<string>();
  private _key = '';
  private _shown = USER_MINE;
}

export namespace UserFilterView {
  export interface IOptions {
    /** `mine`, `all` or a user name picked. */
    onChange(user: string): void;
    trans?: Trans;
  }
}
