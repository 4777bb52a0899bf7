/**
 * Body of the "Reproduce run" dialog: kernel, parameter overrides, options. Its value is the
 * job request, or null while the overrides do not parse (the error shows inline).
 */
import { Widget } from '@lumino/widgets';

import { describeError } from '../errors';
import { parseOverrides } from '../format';
import type { IJobRequest } from '../types';
import { ExpClass } from './classes';
import { el } from './dom';
import {
  type IZoneDraft,
  ZoneField,
  zoneProblem,
  zoneRequest
} from './zonefield';

/** A kernelspec offered in the dialog. */
export interface IKernelChoice {
  name: string;
  displayName: string;
}

/** Whether a kernelspec looks like a GPU one (its name or display name says GPU or CUDA). */
export function isGpuKernel(choice: IKernelChoice): boolean {
  return /gpu|cuda/i.test(`${choice.name} ${choice.displayName}`);
}

/** Kernel choices sorted by display name, from `KernelSpecManager.specs.kernelspecs`. */
export function kernelChoices(
  specs:
    | Record<string, { name: string; display_name: string } | undefined>
    | null
    | undefined
): IKernelChoice[] {
  return Object.entries(specs ?? {})
    .filter(([, spec]) => !!spec)
    .map(([name, spec]) => ({ name, displayName: spec?.display_name || name }))
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
}

/** What the dialog remembers when it is shown again (after bad input). */
export interface IReproduceDraft {
  kernel: string | null;
  overrides: string;
  deterministic: boolean;
  checkout: boolean;
  zone: IZoneDraft;
}

export class ReproduceBody extends Widget {
  constructor(options: ReproduceBody.IOptions) {
    super();
    this.addClass(ExpClass.reproduceDialog);
    this._runId = options.runId;
    const doc = this.node.ownerDocument;
    const draft = options.draft;

    const kernelLabel = el(doc, 'label', 'jp-exp-field', 'Kernel');
    const kernel = el(doc, 'select', `jp-mod-styled ${ExpClass.kernelSelect}`);
    const own = el(
      doc,
      'option',
      '',
      options.runKernel
        ? `The run's own kernel (${options.runKernel})`
        : "The run's own kernel"
    );
    own.value = '';
    kernel.appendChild(own);
    for (const choice of options.kernels) {
      const gpu = isGpuKernel(choice);
      const option = el(
        doc,
        'option',
        '',
        choice.displayName + (gpu ? '  [GPU]' : '')
      );
      option.value = choice.name;
      option.title = choice.name;
      if (gpu) {
        option.dataset.gpu = 'true';
      }
      kernel.appendChild(option);
    }
    const wanted = draft ? (draft.kernel ?? '') : options.defaultKernel || '';
    kernel.value = options.kernels.some(k => k.name === wanted) ? wanted : '';
    kernelLabel.appendChild(kernel);

    const overridesLabel = el(doc, 'label', 'jp-exp-field', 'Overrides');
    const overrides = el(
      doc,
      'input',
      `jp-mod-styled ${ExpClass.overridesInput}`
    );
    overrides.type = 'text';
    overrides.placeholder = 'e.g. lr=0.05, config.epochs=3';
    overrides.title =
      'name=value pairs separated by commas; values are Python literals';
    overrides.value = draft?.overrides ?? '';
    overrides.spellcheck = false;
    overridesLabel.appendChild(overrides);
    const error = el(
      doc,
      'div',
      `${ExpClass.error} ${ExpClass.overridesError}`
    );
    error.setAttribute('role', 'alert');
    error.hidden = true;

    const zone = new ZoneField(
      doc,
      { select: ExpClass.zoneSelect, input: ExpClass.zoneInput },
      draft?.zone
    );
    const zoneError = el(doc, 'div', `${ExpClass.error} ${ExpClass.zoneError}`);
    zoneError.setAttribute('role', 'alert');
    zoneError.hidden = true;

    const deterministic = this._checkbox(
      doc,
      ExpClass.deterministic,
      'Deterministic (seed everything, deterministic algorithms)',
      draft?.deterministic ?? false
    );
    const checkout = this._checkbox(
      doc,
      ExpClass.checkout,
      'Check out the recorded commit',
      draft?.checkout ?? false
    );

    this.node.append(
      kernelLabel,
      overridesLabel,
      error,
      zone.label,
      zoneError,
      deterministic.label,
      checkout.label
    );
    this._kernel = kernel;
    this._overrides = overrides;
    this._error = error;
    this._deterministic = deterministic.input;
    this._checkout = checkout.input;
    this._zone = zone;
    this._zoneError = zoneError;
    overrides.addEventListener('input', () => this.validate());
    zone.onChange(() => this.validate());
    if (draft) {
      this.validate();
    }
  }

  get runId(): string {
    return this._runId;
  }

  /** Show or clear the inline error; disables the dialog's accept button while invalid. */
  validate(): boolean {
    let message = '';
    try {
      parseOverrides(this._overrides.value);
    } catch (error) {
      message = describeError(error);
    }
    this._error.textContent = message;
    this._error.hidden = !message;
    this._overrides.setAttribute('aria-invalid', message ? 'true' : 'false');
    const zone = zoneProblem(this._zone.draft());
    this._zoneError.textContent = zone;
    this._zoneError.hidden = !zone;
    this._zone.invalid(!!zone);
    const accept = this.node
      .closest('.jp-Dialog-content')
      ?.querySelector<HTMLButtonElement>('button.jp-mod-accept');
    if (accept) {
      accept.disabled = !!message || !!zone;
    }
    return !message && !zone;
  }

  /** The inputs as they are. */
  draft(): IReproduceDraft {
    return {
      kernel: this._kernel.value || null,
      overrides: this._overrides.value,
      deterministic: this._deterministic.checked,
      checkout: this._checkout.checked,
      zone: this._zone.draft()
    };
  }

  /** The job request, or null when the overrides do not parse or the zone has no name. */
  getValue(): IJobRequest | null {
    if (!this.validate()) {
      return null;
    }
    const draft = this.draft();
    return {
      run_id: this._runId,
      kernel: draft.kernel,
      overrides: parseOverrides(draft.overrides),
      deterministic: draft.deterministic,
      checkout: draft.checkout,
      tz: zoneRequest(draft.zone)
    };
  }

  private _checkbox(
    doc: Document,
    className: string,
    text: string,
    checked: boolean
  ): { label: HTMLLabelElement; input: HTMLInputElement } {
    const label = el(doc, 'label', 'jp-exp-check');
    const input = el(doc, 'input', className);
    input.type = 'checkbox';
    input.checked = checked;
    label.append(input, ` ${text}`);
    return { label, input };
  }

  private _runId: string;
  private _kernel: HTMLSelectElement;
  private _overrides: HTMLInputElement;
  private _error: HTMLElement;
  private _deterministic: HTMLInputElement;
  private _checkout: HTMLInputElement;
  private _zone: ZoneField;
  private _zoneError: HTMLElement;
}

export namespace ReproduceBody {
  export interface IOptions {
    runId: string;
    kernels: IKernelChoice[];
    /** `settings.defaultKernelspec`; '' for the run's own kernel. */
    defaultKernel: string;
    /** The run's kernelspec name, shown on the default choice. */
    runKernel?: string | null;
    /** Inputs of a previous attempt. */
    draft?: IReproduceDraft;
  }
}
