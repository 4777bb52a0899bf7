/**
 * The body of the "Register checkpoint" dialog: the model's name and an alias (none, `candidate`, or
 * the promotion alias, which the server grants only to a run that reproduced).
 */
import { Widget } from '@lumino/widgets';

import { el, select, untranslated, type Trans } from '../dom';

export interface IRegisterChoice {
  name: string;
  alias: string | null;
}

export class RegisterBody extends Widget {
  constructor(options: RegisterBody.IOptions) {
    super();
    const trans = options.trans ?? untranslated;
    const doc = this.node.ownerDocument;
    this.addClass('jp-exp-register-body');
    this._name = el(doc, 'input', 'jp-mod-styled jp-exp-register-name');
    this._name.type = 'text';
    this._name.value = options.name ?? '';
    this._name.placeholder = trans.__('model name');
    this._name.setAttribute('aria-label', trans.__('Model name'));
    const promotion = options.promotionAlias ?? 'champion';
    this._alias = select(
      doc,
      'jp-exp-register-alias',
      [
        { value: '', label: trans.__('no alias') },
        { value: 'candidate', label: 'candidate' },
        {
          value: promotion,
          label: trans.__(
            '%1 (needs an exact or close reproduction)',
            promotion
          )
        }
      ],
      options.alias ?? '',
      trans.__('Alias')
    );
    const nameLabel = el(doc, 'label', '', trans.__('Name'));
    nameLabel.appendChild(this._name);
    const aliasLabel = el(doc, 'label', '', trans.__('Alias'));
    aliasLabel.appendChild(this._alias);
    this.node.append(nameLabel, aliasLabel);
  }

  /** The choice, or null without a name. */
  getValue(): IRegisterChoice | null {
    const name = this._name.value.trim();
    return name ? { name, alias: this._alias.value || null } : null;
  }

  private _name: HTMLInputElement;
  private _alias: HTMLSelectElement;
}

export namespace RegisterBody {
  export interface IOptions {
    name?: string;
    alias?: string;
    promotionAlias?: string;
    trans?: Trans;
  }
}
