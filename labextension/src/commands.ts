/**
 * The extension's commands (palette, toolbar, other plugins), kept current with the models.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';

import type { ExpActions } from './actions';
import { refreshAll } from './coordination';
import { runsIcon } from './icons';
import {
  CommandIDs,
  PALETTE_CATEGORY,
  SIDEBAR_ID,
  type IExpModels
} from './tokens';

/** The run ids a command was given (`args.runIds`), or null for the panel's selection. */
function argRunIds(args: Record<string, unknown>): string[] | null {
  return Array.isArray(args.runIds) ? args.runIds.map(String) : null;
}

export function addCommands(
  app: JupyterFrontEnd,
  options: {
    models: IExpModels;
    actions: ExpActions;
    trans: TranslationBundle;
    palette: ICommandPalette | null;
  }
): void {
  const { commands } = app;
  const { models, actions, trans, palette } = options;
  const { runs, detail } = models;

  commands.addCommand(CommandIDs.openSidebar, {
    label: trans.__('Show Experiment Runs'),
    caption: trans.__('Show the jupyter-exp runs panel'),
    icon: runsIcon,
    execute: () => {
      app.shell.activateById(SIDEBAR_ID);
    }
  });
  commands.addCommand(CommandIDs.refreshRuns, {
    label: trans.__('Refresh Experiment Runs'),
    caption: trans.__('Reload the runs listed in the Runs panel'),
    icon: refreshIcon,
    execute: () => refreshAll(models)
  });
  commands.addCommand(CommandIDs.compareRuns, {
    label: args => {
      const ids = argRunIds(args);
      return ids
        ? trans.__('Compare %1 Runs', ids.length)
        : trans.__('Compare Selected Runs (%1)', runs.state.selection.length);
    },
    caption: trans.__('Compare the selected runs (select 2 or more)'),
    className: 'jp-exp-compare-button',
    isEnabled: args => (argRunIds(args) ?? runs.state.selection).length >= 2,
    execute: args => {
      actions.compare(argRunIds(args) ?? [...runs.state.selection]);
    }
  });
  commands.addCommand(CommandIDs.reproduceRun, {
    label: trans.__('Reproduce Run…'),
    caption: trans.__('Replay a run in a fresh kernel and compare the results'),
    isEnabled: args => typeof args.runId === 'string' || detail.runId !== null,
    execute: async args => {
      const runId = typeof args.runId === 'string' ? args.runId : detail.runId;
      if (runId) {
        await actions.reproduce(runId);
      }
    }
  });
  commands.addCommand(CommandIDs.openRun, {
    label: trans.__('Show Run Detail'),
    caption: trans.__('Show a run in the Runs panel'),
    isEnabled: args => typeof args.runId === 'string',
    execute: args => {
      if (typeof args.runId === 'string') {
        app.shell.activateById(SIDEBAR_ID);
        void detail.open(args.runId);
      }
    }
  });

  let selected = runs.state.selection.length;
  runs.changed.connect((_, state) => {
    if (state.selection.length !== selected) {
      selected = state.selection.length;
      commands.notifyCommandChanged(CommandIDs.compareRuns);
    }
  });
  detail.changed.connect(() =>
    commands.notifyCommandChanged(CommandIDs.reproduceRun)
  );

  if (palette) {
    for (const command of [
      CommandIDs.openSidebar,
      CommandIDs.refreshRuns,
      CommandIDs.compareRuns,
      CommandIDs.reproduceRun
    ]) {
      palette.addItem({ command, category: trans.__(PALETTE_CATEGORY) });
    }
  }
}
