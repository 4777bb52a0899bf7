/**
 * The deleted runs (MLflow's deleted lifecycle), each with a Restore button (`.jp-exp-deleted-runs`).
 */
import { Widget } from '@lumino/widgets';

import { formatAbsoluteTime } from '../format';
import type { IRunsPage } from '../types';
import { button, el, errorAlert, untranslated, type Trans } from './dom';

export class DeletedRunsContent extends Widget {
  constructor(options: DeletedRunsContent.IOptions) {
    super();
    this.addClass('jp-exp-deleted-runs');
    this._fetch = options.fetchDeleted;
    this._restore = options.restore;
    this._trans = options.trans ?? untranslated;
  }

  /** (Re)load the list. Never rejects. */
  async load(): Promise<void> {
    const doc = this.node.ownerDocument;
    const trans = this._trans;
    try {
      const page = await this._fetch();
      const list = el(doc, 'ul', 'jp-exp-run-list');
      for (const run of page.runs) {
        const item = el(doc, 'li', 'jp-exp-deleted-run');
        item.dataset.deletedRunId = run.run_id;
        item.append(
          el(doc, 'span', 'jp-exp-run-name', run.run_name),
          el(
            doc,
            'span',
            'jp-exp-caption',
            ` ${run.experiment_name ?? run.experiment_id} · ${formatAbsoluteTime(run.start_time)} `
          ),
          button(doc, 'jp-exp-restore', trans.__('Restore'), {
            accept: true,
            title: trans.__('Bring the run back to the active runs'),
            onClick: () =>
              void this._restore(run.run_id).then(done => {
                if (done) {
                  item.remove();
                }
              })
          })
        );
        list.appendChild(item);
      }
      this.node.replaceChildren(
        el(doc, 'h3', '', trans.__('Deleted runs (%1)', page.runs.length)),
        page.runs.length
          ? list
          : el(doc, 'div', 'jp-exp-empty', trans.__('No deleted run.'))
      );
    } catch (error) {
      this.node.replaceChildren(errorAlert(doc, trans, error));
    }
  }

  private _fetch: () => Promise<IRunsPage>;
  private _restore: (runId: string) => Promise<boolean>;
  private _trans: Trans;
}

export namespace DeletedRunsContent {
  export interface IOptions {
    fetchDeleted: () => Promise<IRunsPage>;
    restore: (runId: string) => Promise<boolean>;
    trans?: Trans;
  }
}
