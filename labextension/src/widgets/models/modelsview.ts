/**
 * The model view (`.jp-exp-models`): the registered models with their aliases and, for the one
 * selected, its versions with verdict, aliases and where each came from (run, notebook and cell,
 * commit, snapshot and input hashes); a version's run opens in the Runs panel. Text only.
 */
import { Widget } from '@lumino/widgets';

import { shortHash } from '../../format';
import { ExpClass } from '../classes';
import { el, errorAlert, untranslated, type Trans } from '../dom';
import type { IModelsState, ModelsModel } from './modelsmodel';
import type { IModelVersion } from './types';

function aliasText(aliases: Record<string, string>): string {
  return Object.entries(aliases)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, version]) => `@${alias} → v${version}`)
    .join(', ');
}

function inputsText(inputs: Record<string, string | null>): string {
  return Object.entries(inputs)
    .map(([path, sha]) => `${path} ${sha ? sha.slice(0, 12) : '–'}`)
    .join('\n');
}

export class ModelsContent extends Widget {
  constructor(options: ModelsContent.IOptions) {
    super();
    this.addClass('jp-exp-models');
    this.model = options.model;
    this._onOpenRun = options.onOpenRun;
    this._trans = options.trans ?? untranslated;
    this.model.changed.connect(this._render, this);
    this._render();
  }

  readonly model: ModelsModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._render, this);
    this.model.dispose();
    super.dispose();
  }

  private _render(): void {
    const state: IModelsState = this.model.state;
    const doc = this.node.ownerDocument;
    const trans = this._trans;
    const parts: HTMLElement[] = [
      el(doc, 'h3', '', trans.__('Registered models (%1)', state.models.length))
    ];
    if (state.error) {
      parts.push(errorAlert(doc, trans, state.error));
    }
    const list = el(doc, 'ul', 'jp-exp-model-list');
    for (const model of state.models) {
      const item = el(doc, 'li', 'jp-exp-model');
      item.dataset.model = model.name;
      item.classList.toggle('jp-mod-selected', model.name === state.selected);
      const link = el(doc, 'a', 'jp-exp-model-name', model.name);
      link.href = '#';
      link.addEventListener('click', event => {
        event.preventDefault();
        void this.model.select(model.name);
      });
      item.append(
        link,
        el(doc, 'span', ExpClass.caption, ` ${aliasText(model.aliases)}`)
      );
      list.appendChild(item);
    }
    parts.push(list);
    if (state.models.length === 0 && !state.loading && !state.error) {
      parts.push(
        el(
          doc,
          'div',
          ExpClass.empty,
          trans.__(
            'No registered model yet: register a checkpoint from a run’s detail.'
          )
        )
      );
    }
    if (state.detail) {
      parts.push(this._versions(state.detail.name, state.detail.versions));
    } else if (state.loading) {
      parts.push(el(doc, 'div', ExpClass.status, trans.__('Loading…')));
    }
    this.node.replaceChildren(...parts);
  }

  private _versions(name: string, versions: IModelVersion[]): HTMLElement {
    const doc = this.node.ownerDocument;
    const trans = this._trans;
    const node = el(
      doc,
      'section',
      `${ExpClass.section} jp-exp-model-versions`
    );
    node.dataset.model = name;
    node.appendChild(
      el(doc, 'h3', '', trans.__('%1: versions (%2)', name, versions.length))
    );
    const table = el(doc, 'table', 'jp-exp-versions-table');
    const head = el(doc, 'tr');
    for (const title of [
      trans.__('Version'),
      trans.__('Aliases'),
      trans.__('Verdict'),
      trans.__('Run'),
      trans.__('Step'),
      trans.__('Notebook'),
      trans.__('Commit'),
      trans.__('Inputs'),
      trans.__('Snapshot')
    ]) {
      head.appendChild(el(doc, 'th', '', title));
    }
    const thead = el(doc, 'thead');
    thead.appendChild(head);
    const body = el(doc, 'tbody');
    for (const version of versions) {
      const tr = el(doc, 'tr', 'jp-exp-model-version');
      tr.dataset.version = version.version;
      const verdict = el(doc, 'td', 'jp-exp-version-verdict', version.verdict);
      verdict.dataset.verdict = version.verdict;
      const run = el(doc, 'td');
      if (version.run_id) {
        const runId = version.run_id;
        const link = el(
          doc,
          'a',
          'jp-exp-version-run',
          version.run_name || runId.slice(0, 8)
        );
        link.href = '#';
        link.title = trans.__('Open run %1 in the Runs panel', runId);
        link.dataset.runId = runId;
        link.addEventListener('click', event => {
          event.preventDefault();
          this._onOpenRun(runId);
        });
        run.appendChild(link);
      }
      const where = version.notebook
        ? version.notebook +
          (version.execution_count !== null
            ? ` [${version.execution_count}]`
            : '')
        : '';
      const notebook = el(doc, 'td', 'jp-exp-version-notebook', where);
      notebook.title = version.cell_id
        ? trans.__('cell %1', version.cell_id)
        : where;
      const inputs = el(
        doc,
        'td',
        'jp-exp-version-inputs',
        trans._n('%1 file', '%1 files', Object.keys(version.inputs).length)
      );
      inputs.title = inputsText(version.inputs);
      const snapshot = el(
        doc,
        'td',
        'jp-exp-version-snapshot',
        version.snapshot_sha256 ? version.snapshot_sha256.slice(0, 12) : ''
      );
      snapshot.title = version.snapshot_sha256 ?? '';
      const commit = el(
        doc,
        'td',
        'jp-exp-version-commit',
        shortHash(version.git_commit)
      );
      commit.title = version.git_commit ?? '';
      tr.append(
        el(doc, 'td', '', version.version),
        el(
          doc,
          'td',
          'jp-exp-version-aliases',
          version.aliases.map(a => `@${a}`).join(' ')
        ),
        verdict,
        run,
        el(doc, 'td', '', version.step === null ? '' : String(version.step)),
        notebook,
        commit,
        inputs,
        snapshot
      );
      body.appendChild(tr);
    }
    table.append(thead, body);
    node.appendChild(table);
    return node;
  }

  private _onOpenRun: (runId: string) => void;
  private _trans: Trans;
}

export namespace ModelsContent {
  export interface IOptions {
    model: ModelsModel;
    /** Open a run's detail in the Runs panel. */
    onOpenRun(runId: string): void;
    trans?: Trans;
  }
}
