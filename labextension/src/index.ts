import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ExpActions } from './actions';
import { ExpClient } from './api';
import { addCommands } from './commands';
import { ModelCoordinator } from './coordination';
import { DetailModel } from './detailmodel';
import { JobsModel } from './jobsmodel';
import { StoreModel } from './model';
import { requestAPI } from './request';
import { ManageCommandIDs, addRunManagement } from './runmanage';
import { RunsModel } from './runsmodel';
import { SettingsModel } from './settings';
import { SnapshotDrive, isSnapshotPath } from './snapshotdrive';
import { IExpModels, PLUGIN_ID, SIDEBAR_ID } from './tokens';
import { addModelViews } from './widgets/models/setup';
import { RunsSidebar } from './widgets/sidebar';
import { SweepModel } from './widgets/sweep/sweepmodel';
import { SweepView } from './widgets/sweep/sweepview';

/** The models, kept consistent with each other (and with the settings) by a ModelCoordinator. */
function createModels(client: ExpClient): IExpModels {
  const settings = new SettingsModel();
  const initial = settings.state;
  const store = new StoreModel({
    fetchStore: () => requestAPI<unknown>('store'),
    pollInterval: initial.pollInterval
  });
  const runs = new RunsModel({
    fetchRuns: query => client.listRuns(query),
    scope: initial.defaultScope,
    pollInterval: initial.pollInterval
  });
  const detail = new DetailModel({
    fetchRun: runId => client.getRun(runId),
    fetchMetrics: (runId, maxPoints) => client.getMetrics(runId, { maxPoints }),
    fetchRelations: runId => client.getRelations(runId)
  });
  const jobs = new JobsModel({ client });
  const models = { store, runs, detail, jobs, settings };
  new ModelCoordinator(models); // for the application's lifetime
  return models;
}

/** The notebook in focus decides the `notebook` and `experiment` scopes. */
function followNotebook(tracker: INotebookTracker, runs: RunsModel): void {
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

/** Settings from the registry (the defaults when there is none or it fails), then polling. */
async function loadSettings(
  registry: ISettingRegistry | null,
  settings: SettingsModel
): Promise<void> {
  if (!registry) {
    return;
  }
  try {
    const loaded = await registry.load(PLUGIN_ID);
    settings.load(loaded.composite);
    loaded.changed.connect(() => settings.load(loaded.composite));
  } catch (reason) {
    console.error(
      `jupyter-exp: failed to load settings for ${PLUGIN_ID}.`,
      reason
    );
  }
}

/**
 * jupyter-exp frontend: the "Runs" panel in the left area, backed by the server extension.
 */
const plugin: JupyterFrontEndPlugin<IExpModels> = {
  id: PLUGIN_ID,
  description:
    'Experiment runs sidebar for jupyter-exp (notebook experiment tracking on MLflow).',
  autoStart: true,
  requires: [],
  provides: IExpModels,
  optional: [
    ICommandPalette,
    ISettingRegistry,
    ILayoutRestorer,
    INotebookTracker,
    IRenderMimeRegistry,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    tracker: INotebookTracker | null,
    rendermime: IRenderMimeRegistry | null,
    translator: ITranslator | null
  ): IExpModels => {
    const trans = (translator ?? nullTranslator).load('jupyter_exp');
    const client = new ExpClient(requestAPI);
    const models = createModels(client);
    app.serviceManager.contents.addDrive(
      new SnapshotDrive({
        fetchSnapshot: runId => client.getSnapshot(runId),
        serverSettings: app.serviceManager.serverSettings
      })
    );

    const actions = new ExpActions({
      app,
      client,
      models,
      tracker,
      rendermime,
      trans
    });
    addCommands(app, { models, actions, trans, palette });
    const manage = addRunManagement(app, {
      request: requestAPI,
      models,
      trans,
      palette,
      rendermime
    });

    const sweepView = new SweepView({
      model: new SweepModel({
        fetchSweep: runId => client.getSweep(runId),
        jobs: models.jobs,
        confirmForeign: message => actions.confirmForeign(message)
      }),
      rendermime,
      trans,
      onOpenRun: runId => {
        sweepView.model.close();
        sidebar.openRun(runId);
      }
    });
    const modelViews = addModelViews(app, {
      request: requestAPI,
      models,
      trans,
      palette,
      confirmForeign: message => actions.confirmForeign(message)
    });
    const sidebar = new RunsSidebar({
      ...models,
      sweepView,
      commands: app.commands,
      translator: translator ?? undefined,
      actions: {
        canGotoCell: actions.canGotoCell,
        gotoCell: run => void actions.gotoCell(run),
        openSnapshot: run => void actions.openSnapshot(run),
        copyRunId: runId => actions.copyRunId(runId),
        reproduce: runId => void actions.reproduce(runId),
        openArtifact: (runId, path) =>
          void app.commands.execute(ManageCommandIDs.artifact, { runId, path }),
        openCharts: runId =>
          void app.commands.execute(ManageCommandIDs.charts, { runId }),
        restore: runId =>
          void app.commands.execute(ManageCommandIDs.restore, { runId }),
        checkpointsNode: run => modelViews.checkpointsNode(run),
        loadImage: (runId, path) => manage.imageUrl(runId, path)
      }
    });
    app.shell.add(sidebar, 'left', { rank: 850 });
    sidebar.insertWidget(0, modelViews.bar); // the Models button, above the store line
    restorer?.add(sidebar, SIDEBAR_ID);
    if (tracker) {
      followNotebook(tracker, models.runs);
    }

    void loadSettings(settingRegistry, models.settings).then(() => {
      const { store, runs, jobs } = models;
      void store.refresh();
      void runs.refresh();
      void jobs.restore();
      store.startPolling();
      runs.startPolling();
    });
    return models;
  }
};

export default plugin;
export { requestAPI, JupyterExpRequestError } from './request';
export { formatStoreLabel, parseStoreInfo } from './formatstore';
export { StoreModel } from './model';
export { RunsModel } from './runsmodel';
export { JobsModel } from './jobsmodel';
export { DetailModel } from './detailmodel';
export { SettingsModel } from './settings';
export { StateModel } from './statemodel';
export { ExpClient } from './api';
export { CommandIDs, IExpModels } from './tokens';
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
