/**
 * What the Runs panel and the commands ask the application to do: go to a run's cell, open its
 * snapshot, reproduce it (dialog, then a job), compare runs in a main-area tab.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';

import type { ExpClient } from './api';
import { JupyterExpRequestError, describeError } from './errors';
import { goToCell } from './navigation';
import { openRunSnapshot } from './snapshot';
import { SIDEBAR_ID, type IExpModels } from './tokens';
import type { IJobRequest, IRunDetail } from './types';
import { createCompareWidget } from './widgets/compare/widget';
import {
  ReproduceBody,
  kernelChoices,
  type IReproduceDraft
} from './widgets/reproducebody';

/** What the actions need from the application. */
export interface IActionsOptions {
  app: JupyterFrontEnd;
  client: ExpClient;
  models: IExpModels;
  tracker: INotebookTracker | null;
  rendermime: IRenderMimeRegistry | null;
  trans: TranslationBundle;
}

export class ExpActions {
  constructor(options: IActionsOptions) {
    this._options = options;
  }

  /** Whether "Go to cell" can work (a notebook tracker is available). */
  get canGotoCell(): boolean {
    return this._options.tracker !== null;
  }

  /** Focus the run's cell in its notebook (opened when it is not). */
  async gotoCell(run: IRunDetail): Promise<void> {
    const { app, tracker, trans } = this._options;
    if (!tracker || !run.notebook) {
      return;
    }
    try {
      const result = await goToCell(app, tracker, run.notebook, run.cell_id);
      if (result === 'cell-missing') {
        Notification.warning(
          trans.__(
            'The tracked cell is no longer in %1. "Open snapshot" shows the notebook as recorded.',
            run.notebook
          ),
          { autoClose: 5000 }
        );
      } else if (result === 'not-opened') {
        Notification.error(trans.__('Could not open %1.', run.notebook), {
          autoClose: 5000
        });
      }
    } catch (error) {
      Notification.error(
        trans.__('Could not open %1: %2', run.notebook, describeError(error)),
        { autoClose: 5000 }
      );
    }
  }

  /** Open the notebook as recorded with the run, read-only. */
  async openSnapshot(run: IRunDetail): Promise<void> {
    const { app, trans } = this._options;
    try {
      await openRunSnapshot(app, run);
    } catch (error) {
      Notification.error(
        trans.__('No snapshot for this run: %1', describeError(error)),
        { autoClose: 5000 }
      );
    }
  }

  copyRunId(runId: string): void {
    Clipboard.copyToSystem(runId);
    Notification.info(this._options.trans.__('Run id copied.'), {
      autoClose: 2000
    });
  }

  /** The reproduce dialog, then the job (asked again with the inputs kept on bad overrides). */
  async reproduce(runId: string): Promise<void> {
    const { app, models, trans } = this._options;
    const run =
      models.detail.state.detail?.run_id === runId
        ? models.detail.state.detail
        : models.runs.run(runId);
    const specs = app.serviceManager.kernelspecs;
    await specs.ready.catch(() => undefined);
    const kernels = kernelChoices(specs.specs?.kernelspecs);
    let draft: IReproduceDraft | undefined;
    for (;;) {
      const body = new ReproduceBody({
        runId,
        kernels,
        defaultKernel: models.settings.state.defaultKernelspec,
        runKernel: run?.kernel_name ?? null,
        draft
      });
      const result = await showDialog<ReturnType<ReproduceBody['getValue']>>({
        title: trans.__('Reproduce %1', run?.run_name || runId.slice(0, 8)),
        body,
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Reproduce') })
        ],
        focusNodeSelector: 'input.jp-exp-overrides-input'
      });
      if (!result.button.accept) {
        return;
      }
      if (!result.value) {
        draft = body.draft();
        continue;
      }
      try {
        await this._startConfirmed(result.value);
        app.shell.activateById(SIDEBAR_ID);
      } catch (error) {
        await showErrorMessage(
          trans.__('Could not start the reproduction'),
          describeError(error)
        );
      }
      return;
    }
  }

  /** A main-area tab comparing the runs (two or more). */
  compare(runIds: readonly string[]): void {
    const { app, client, rendermime, trans } = this._options;
    if (runIds.length < 2) {
      return;
    }
    const widget = createCompareWidget({
      runIds: [...runIds],
      fetchComparison: ids => client.compare(ids),
      rendermime,
      trans
    });
    widget.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Reload the comparison'),
        onClick: () => void widget.content.load()
      })
    );
    app.shell.add(widget, 'main');
    app.shell.activateById(widget.id);
    void widget.content.load();
  }

  /** Start a job; a run another user recorded (409) is started only after the user confirms. */
  private async _startConfirmed(request: IJobRequest): Promise<void> {
    const { models } = this._options;
    try {
      await models.jobs.start(request);
    } catch (error) {
      if (!(error instanceof JupyterExpRequestError) || error.status !== 409) {
        throw error;
      }
      if (await this.confirmForeign(describeError(error))) {
        await models.jobs.start({ ...request, confirm_foreign: true });
      }
    }
  }

  /** Ask whether to run code another user recorded (the server's 409 message); true to run it. */
  async confirmForeign(message: string): Promise<boolean> {
    const { trans } = this._options;
    const answer = await showDialog({
      title: trans.__('Run code another user recorded?'),
      body: message,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Run their code') })
      ]
    });
    return answer.button.accept;
  }

  private _options: IActionsOptions;
}
