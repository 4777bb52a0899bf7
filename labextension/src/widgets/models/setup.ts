/**
 * The model registry in the lab: the checkpoints section of the run in detail (register, reproduce
 * then promote), the "Models" button of the Runs panel and the model view's tab. Wires the models of
 * this folder to JupyterLab's dialogs, commands and the reproduction jobs.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  MainAreaWidget,
  showDialog,
  type ICommandPalette
} from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { RequestFunction } from '../../api';
import { JupyterExpRequestError, describeError } from '../../errors';
import { runsIcon } from '../../icons';
import { isJobActive, type JobsModel } from '../../jobsmodel';
import { CommandIDs, PALETTE_CATEGORY, type IExpModels } from '../../tokens';
import type { IReproductionJob, IRunDetail } from '../../types';
import { button, el } from '../dom';
import { CheckpointsModel } from './checkpointsmodel';
import { renderCheckpoints } from './checkpointsview';
import { ModelsClient } from './client';
import { ModelsModel } from './modelsmodel';
import { ModelsContent } from './modelsview';
import { RegisterBody } from './registerbody';
import type { ICheckpoint } from './types';

export namespace ModelCommandIDs {
  export const open = 'jupyter-exp:open-models';
}

/** The job once it has ended (the jobs model polls it). */
export function jobEnded(
  jobs: JobsModel,
  jobId: string
): Promise<IReproductionJob> {
  return new Promise(resolve => {
    const ended = jobs.state.jobs.find(j => j.id === jobId && !isJobActive(j));
    if (ended) {
      resolve(ended);
      return;
    }
    const onEnded = (_: JobsModel, job: IReproductionJob): void => {
      if (job.id === jobId) {
        jobs.jobEnded.disconnect(onEnded);
        resolve(job);
      }
    };
    jobs.jobEnded.connect(onEnded);
  });
}

export interface IModelViews {
  /** The checkpoints section of `run`'s detail (one node, re-rendered by its model). */
  checkpointsNode(run: IRunDetail): HTMLElement;
  /** The Runs panel's bar with the "Models" button. */
  bar: Widget;
}

export function addModelViews(
  app: JupyterFrontEnd,
  options: {
    request: RequestFunction;
    models: IExpModels;
    trans: TranslationBundle;
    palette: ICommandPalette | null;
    /** The reproduction's question before running code another user recorded (actions.ts). */
    confirmForeign(message: string): Promise<boolean>;
  }
): IModelViews {
  const { models, trans } = options;
  const client = new ModelsClient(options.request);

  /** A reproduction job of the run, as the Reproduce dialog starts one: another user's run asks first. */
  const reproduce = async (runId: string): Promise<IReproductionJob | null> => {
    try {
      return await models.jobs.start({ run_id: runId });
    } catch (error) {
      if (!(error instanceof JupyterExpRequestError) || error.status !== 409) {
        throw error;
      }
      return (await options.confirmForeign(describeError(error)))
        ? models.jobs.start({ run_id: runId, confirm_foreign: true })
        : null;
    }
  };

  const checkpoints = new CheckpointsModel({
    fetchCheckpoints: runId => client.checkpoints(runId),
    register: request =>
      client.register(request.name, request.checkpoint, request.alias),
    reproduce,
    waitForJob: jobId => jobEnded(models.jobs, jobId)
  });
  const host = el(document, 'section', 'jp-exp-section jp-exp-checkpoints');
  host.hidden = true;
  let lastName = '';
  let view: MainAreaWidget<ModelsContent> | null = null;

  const register = async (checkpoint: ICheckpoint): Promise<void> => {
    const runId = checkpoints.state.runId;
    if (!runId) {
      return;
    }
    const runName = models.detail.state.detail?.run_name ?? '';
    const body = new RegisterBody({
      name: lastName || runName,
      promotionAlias: checkpoints.state.list?.promotion_alias,
      trans
    });
    const answer = await showDialog<ReturnType<RegisterBody['getValue']>>({
      title: trans.__('Register the checkpoint of step %1', checkpoint.step),
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Register') })
      ],
      focusNodeSelector: 'input.jp-exp-register-name'
    });
    const choice = answer.value;
    if (!answer.button.accept || !choice) {
      return;
    }
    lastName = choice.name;
    const done = await checkpoints.register({
      runId,
      name: choice.name,
      checkpoint: checkpoint.model_id,
      alias: choice.alias
    });
    if (done) {
      void view?.content.model.load();
    }
  };

  const render = (): void =>
    renderCheckpoints(
      host,
      checkpoints.state,
      {
        onRegister: checkpoint => void register(checkpoint),
        onReproduceThenPromote: () =>
          void checkpoints.reproduceThenPromote().then(() => {
            void models.detail.reload();
            void view?.content.model.load();
          }),
        onDismiss: () => checkpoints.dismissPromotion(),
        onOpenModel: name =>
          void app.commands.execute(ModelCommandIDs.open, { name })
      },
      trans
    );
  checkpoints.changed.connect(render);

  // follow the run in detail; a run that changed (it ended, a checkpoint arrived) is listed again
  let seen = '';
  models.detail.changed.connect(() => {
    const run = models.detail.state.detail;
    const runId = models.detail.runId;
    const key = `${runId}|${run?.status}|${run?.end_time}`;
    if (runId !== checkpoints.state.runId) {
      void checkpoints.open(runId);
    } else if (key !== seen) {
      void checkpoints.reload();
    }
    seen = key;
  });

  app.commands.addCommand(ModelCommandIDs.open, {
    label: trans.__('Open Registered Models'),
    caption: trans.__(
      'The registered models: versions, verdicts, aliases and where each came from'
    ),
    icon: runsIcon,
    execute: async args => {
      const name = typeof args.name === 'string' ? args.name : null;
      if (!view || view.isDisposed) {
        const model = new ModelsModel({
          listModels: () => client.listModels(),
          getModel: modelName => client.getModel(modelName),
          selected: name
        });
        const content = new ModelsContent({
          model,
          trans,
          onOpenRun: runId =>
            void app.commands.execute(CommandIDs.openRun, { runId })
        });
        view = new MainAreaWidget({ content });
        view.id = 'jupyter-exp-models';
        view.title.label = trans.__('Models');
        view.title.icon = runsIcon;
        view.title.closable = true;
        app.shell.add(view, 'main');
        await model.load();
      } else if (name) {
        await view.content.model.select(name);
      } else {
        await view.content.model.load();
      }
      app.shell.activateById(view.id);
    }
  });
  options.palette?.addItem({
    command: ModelCommandIDs.open,
    category: trans.__(PALETTE_CATEGORY)
  });

  const bar = new Widget({ node: el(document, 'div', 'jp-exp-models-bar') });
  bar.node.appendChild(
    button(document, 'jp-exp-models-button', trans.__('Models'), {
      title: trans.__('The registered models (versions, verdicts, aliases)'),
      onClick: () => void app.commands.execute(ModelCommandIDs.open)
    })
  );
  return {
    checkpointsNode: () => host, // rendered by its own model's changes only
    bar
  };
}
