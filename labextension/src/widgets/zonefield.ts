/**
 * The reproduce dialog's time-zone field: the recorded zone (the default), this server's current one,
 * or a zone typed by name (checked by the server: an unknown one is a 400 in one line).
 */
import { el } from './dom';

/** Which zone the replay kernel runs in. */
export type ZoneChoice = 'recorded' | 'current' | 'named';

/** What the dialog remembers of the field. */
export interface IZoneDraft {
  choice: ZoneChoice;
  name: string;
}

/** The request's `tz`: null for the recorded zone, `current`, or the typed name. */
export function zoneRequest(draft: IZoneDraft): string | null {
  if (draft.choice === 'current') {
    return 'current';
  }
  return draft.choice === 'named' ? draft.name.trim() : null;
}

/** Why the field cannot be sent ('' when it can): a named zone needs a name, without spaces. */
export function zoneProblem(draft: IZoneDraft): string {
  if (draft.choice !== 'named') {
    return '';
  }
  const name = draft.name.trim();
  if (!name) {
    return 'Type a time zone, e.g. Europe/Paris';
  }
  return /\s/.test(name) ? `"${name}" is not a time zone name` : '';
}

const LABELS: Record<ZoneChoice, string> = {
  recorded: 'The recorded one',
  current: "This server's current zone",
  named: 'Another zone…'
};

/** The label, select and name input of the field (the input shows for a named zone only). */
export class ZoneField {
  constructor(
    doc: Document,
    classes: { select: string; input: string },
    draft?: IZoneDraft
  ) {
    this.label = el(doc, 'label', 'jp-exp-field', 'Time zone');
    this._select = el(doc, 'select', `jp-mod-styled ${classes.select}`);
    for (const choice of Object.keys(LABELS) as ZoneChoice[]) {
      const option = el(doc, 'option', '', LABELS[choice]);
      option.value = choice;
      this._select.appendChild(option);
    }
    this._select.title =
      'The replay kernel runs in the recorded time zone unless you choose another';
    this._select.value = draft?.choice ?? 'recorded';
    this._name = el(doc, 'input', `jp-mod-styled ${classes.input}`);
    this._name.type = 'text';
    this._name.placeholder = 'e.g. Europe/Paris';
    this._name.spellcheck = false;
    this._name.value = draft?.name ?? '';
    this.label.append(this._select, this._name);
    this._select.addEventListener('change', () => this._showName());
    this._showName();
  }

  /** Told when the field changes (the dialog validates again). */
  onChange(callback: () => void): void {
    this._select.addEventListener('change', callback);
    this._name.addEventListener('input', callback);
  }

  draft(): IZoneDraft {
    return { choice: this._select.value as ZoneChoice, name: this._name.value };
  }

  /** Mark the name input invalid or not. */
  invalid(yes: boolean): void {
    this._name.setAttribute('aria-invalid', yes ? 'true' : 'false');
  }

  readonly label: HTMLLabelElement;

  private _showName(): void {
    this._name.hidden = this._select.value !== 'named';
  }

  private _select: HTMLSelectElement;
  private _name: HTMLInputElement;
}
