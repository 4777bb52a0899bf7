import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  Notification,
  ToolbarButton,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { refreshIcon } from '@jupyterlab/ui-components';

import { ExpClient } from './api';
import { DetailModel } from './detailmodel';
import { JupyterExpRequestError, describeError } from './errors';
import { runsIcon } from './icons';
import { JobsModel } from './jobsmodel';
import { StoreModel } from './model';
import { goToCell } from './navigation';
import { requestAPI } from './request';
import { RunsModel } from './runsmodel';
import { DEFAULT_SETTINGS, readSettings } from './settings';
import { openRunSnapshot } from './snapshot';
import { SnapshotDrive, isSnapshotPath } from './snapshotdrive';
import { CommandIDs, PALETTE_CATEGORY, PLUGIN_ID, SIDEBAR_ID } from './tokens';
import type { IExpSettings, IJobRequest, IRunDetail } from './types';
import { createCompareWidget } from './widgets/comparewidget';
import {
  ReproduceBody,
  kernelChoices,
  type IReproduceDraft
} from './widgets/reproducebody';
import { RunsSidebar } from './widgets/sidebar';

/**
 * jupyter-exp frontend: the "Runs" panel in the left area, backed by the server extension.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Experiment runs sidebar for jupyter-exp (notebook experiment tracking on MLflow).',
  autoStart: true,
  requires: [],
  optional: [
    ICommandPalette,
    ISettingRegistry,
    ILayoutRestorer,
    INotebookTracker,
    IRenderMimeRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    tracker: INotebookTracker | null,
    rendermime: IRenderMimeRegistry | null
  ): void => {
    const client = new ExpClient(requestAPI);
    let settings: IExpSettings = { ...DEFAULT_SETTINGS };

    const store = new StoreModel({
      fetchStore: () => requestAPI<unknown>('store')
    });
    const runs = new RunsModel({
      fetchRuns: query => client.listRuns(query),
      scope: settings.defaultScope,
      pollInterval: settings.pollInterval
    });
    const detail = new DetailModel({
      fetchRun: runId => client.getRun(runId),
      fetchMetrics: (runId, maxPoints) =>
        client.getMetrics(runId, { maxPoints })
    });
    const jobs = new JobsModel({ client });

    const drive = new SnapshotDrive({
      fetchSnapshot: runId => client.getSnapshot(runId),
      serverSettings: app.serviceManager.serverSettings
    });
    app.serviceManager.contents.addDrive(drive);

    const gotoCell = async (run: IRunDetail): Promise<void> => {
      if (!tracker || !run.notebook) {
        return;
      }
      try {
        const result = await goToCell(app, tracker, run.notebook, run.cell_id);
        if (result === 'cell-missing') {
          Notification.warning(
            `The tracked cell is no longer in ${run.notebook}. "Open snapshot" shows the notebook as recorded.`,
            { autoClose: 5000 }
          );
        } else if (result === 'not-opened') {
          Notification.error(`Could not open ${run.notebook}.`, {
            autoClose: 5000
          });
        }
      } catch (error) {
        Notification.error(
          `Could not open ${run.notebook}: ${describeError(error)}`,
          {
            autoClose: 5000
          }
        );
      }
    };

    const openSnapshot = async (run: IRunDetail): Promise<void> => {
      try {
        await openRunSnapshot(app, run);
      } catch (error) {
        Notification.error(
          `No snapshot for this run: ${describeError(error)}`,
          {
            autoClose: 5000
          }
        );
      }
    };

    /** Start a job; a run another user recorded (409) is started only after the user confirms. */
    const startConfirmed = async (request: IJobRequest): Promise<void> => {
      try {
        await jobs.start(request);
      } catch (error) {
        if (
          !(error instanceof JupyterExpRequestError) ||
          error.status !== 409
        ) {
          throw error;
        }
        const answer = await showDialog({
          title: 'Run code another user recorded?',
          body: describeError(error),
          buttons: [
            Dialog.cancelButton(),
            Dialog.warnButton({ label: 'Run their code' })
          ]
        });
        if (answer.button.accept) {
          await jobs.start({ ...request, confirm_foreign: true });
        }
      }
    };

    const reproduce = async (runId: string): Promise<void> => {
      const run =
        detail.state.detail?.run_id === runId
          ? detail.state.detail
          : runs.run(runId);
      const specs = app.serviceManager.kernelspecs;
      await specs.ready.catch(() => undefined);
      const kernels = kernelChoices(specs.specs?.kernelspecs);
      let draft: IReproduceDraft | undefined;
      for (;;) {
        const body = new ReproduceBody({
          runId,
          kernels,
          defaultKernel: settings.defaultKernelspec,
          runKernel: run?.kernel_name ?? null,
          draft
        });
        const result = await showDialog<ReturnType<ReproduceBody['getValue']>>({
          title: `Reproduce ${run?.run_name || runId.slice(0, 8)}`,
          body,
          buttons: [
            Dialog.cancelButton(),
            Dialog.okButton({ label: 'Reproduce' })
          ],
          focusNodeSelector: 'input.jp-exp-overrides-input'
        });
        if (!result.button.accept) {
          return;
        }
        if (!result.value) {
          // Bad overrides: ask again with the inputs kept and the error shown.
          draft = body.draft();
          continue;
        }
        try {
          await startConfirmed(result.value);
          app.shell.activateById(SIDEBAR_ID);
        } catch (error) {
          await showErrorMessage(
            'Could not start the reproduction',
            describeError(error)
          );
        }
        return;
      }
    };

    const compare = (runIds: string[]): void => {
      if (runIds.length < 2) {
        return;
      }
      const widget = createCompareWidget({
        runIds,
        fetchComparison: ids => client.compare(ids),
        rendermime
      });
      widget.toolbar.addItem(
        'refresh',
        new ToolbarButton({
          icon: refreshIcon,
          tooltip: 'Reload the comparison',
          onClick: () => void widget.content.load()
        })
      );
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      void widget.content.load();
    };

    const sidebar = new RunsSidebar({
      store,
      runs,
      detail,
      jobs,
      actions: {
        canGotoCell: tracker !== null,
        gotoCell: run => void gotoCell(run),
        openSnapshot: run => void openSnapshot(run),
        copyRunId: runId => {
          Clipboard.copyToSystem(runId);
          Notification.info('Run id copied.', { autoClose: 2000 });
        },
        reproduce: runId => void reproduce(runId),
        compare
      }
    });
    app.shell.add(sidebar, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(sidebar, SIDEBAR_ID);
    }

    // The notebook in focus decides the `notebook` and `experiment` scopes.
    if (tracker) {
      const follow = (): void => {
        const path = tracker.currentWidget?.context.path ?? null;
        if (path !== null && isSnapshotPath(path)) {
          return; // a run's recorded notebook: keep listing the runs of the notebook it came from
        }
        runs.setNotebookPath(path);
      };
      let watched: NotebookPanel | null = null;
      const onPathChanged = (): void => follow();
      tracker.currentChanged.connect(() => {
        if (watched && !watched.isDisposed) {
          watched.context.pathChanged.disconnect(onPathChanged);
        }
        const panel = tracker.currentWidget;
        watched = panel;
        panel?.context.pathChanged.connect(onPathChanged);
        follow();
      });
      follow();
    }

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Show Experiment Runs',
      caption: 'Show the jupyter-exp runs panel',
      icon: runsIcon,
      execute: () => {
        app.shell.activateById(SIDEBAR_ID);
      }
    });
    app.commands.addCommand(CommandIDs.refreshRuns, {
      label: 'Refresh Experiment Runs',
      caption: 'Reload the runs listed in the Runs panel',
      icon: refreshIcon,
      execute: async () => {
        await Promise.all([store.refresh(), runs.refresh(), detail.reload()]);
      }
    });
    app.commands.addCommand(CommandIDs.compareRuns, {
      label: args =>
        Array.isArray(args.runIds)
          ? `Compare ${args.runIds.length} Runs`
          : `Compare Selected Runs (${runs.state.selection.length})`,
      caption: 'Compare the runs selected in the Runs panel',
      isEnabled: args =>
        (Array.isArray(args.runIds)
          ? args.runIds.length
          : runs.state.selection.length) >= 2,
      execute: args => {
        const ids = Array.isArray(args.runIds)
          ? args.runIds.map(String)
          : [...runs.state.selection];
        compare(ids);
      }
    });
    app.commands.addCommand(CommandIDs.reproduceRun, {
      label: 'Reproduce Run…',
      caption: 'Replay a run in a fresh kernel and compare the results',
      isEnabled: args =>
        typeof args.runId === 'string' || detail.runId !== null,
      execute: async args => {
        const runId =
          typeof args.runId === 'string' ? args.runId : detail.runId;
        if (runId) {
          await reproduce(runId);
        }
      }
    });
    app.commands.addCommand(CommandIDs.openRun, {
      label: 'Show Run Detail',
      caption: 'Show a run in the Runs panel',
      isEnabled: args => typeof args.runId === 'string',
      execute: args => {
        if (typeof args.runId === 'string') {
          app.shell.activateById(SIDEBAR_ID);
          sidebar.openRun(args.runId);
        }
      }
    });
    runs.changed.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.compareRuns)
    );
    detail.changed.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.reproduceRun)
    );
    if (palette) {
      for (const command of [
        CommandIDs.openSidebar,
        CommandIDs.refreshRuns,
        CommandIDs.compareRuns,
        CommandIDs.reproduceRun
      ]) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }

    const start = (): void => {
      void store.refresh();
      void runs.refresh();
      void jobs.restore();
      store.startPolling();
      runs.startPolling();
    };
    const apply = (next: IExpSettings): void => {
      const previous = settings;
      settings = next;
      store.updateSettings(next);
      runs.setPollInterval(next.pollInterval);
      if (next.defaultScope !== previous.defaultScope) {
        runs.setScope(next.defaultScope);
      }
    };

    if (!settingRegistry) {
      start();
      return;
    }
    settingRegistry
      .load(PLUGIN_ID)
      .then(loaded => {
        const initial = readSettings(loaded.composite);
        settings = initial;
        store.updateSettings(initial);
        runs.setPollInterval(initial.pollInterval);
        runs.setScope(initial.defaultScope);
        loaded.changed.connect(() => apply(readSettings(loaded.composite)));
        start();
      })
      .catch(reason => {
        console.error(
          `jupyter-exp: failed to load settings for ${PLUGIN_ID}.`,
          reason
        );
        start();
      });
  }
};

export default plugin;
export { requestAPI, JupyterExpRequestError } from './request';
export { formatStoreLabel, parseStoreInfo } from './format';
export { StoreModel } from './model';
export { RunsModel } from './runsmodel';
export { JobsModel } from './jobsmodel';
export { ExpClient } from './api';
export { ExpClass } from './widgets/classes';
export type {
  IStoreInfo,
  IExpSettings,
  IRunSummary,
  IRunDetail,
  IComparison,
  IReproductionJob,
  IJobRequest,
  IRunQuery
} from './types';
