/**
 * Run management from the Runs panel: rename (F2), tag, edit the note, delete (Delete) and restore
 * (MLflow's deleted lifecycle), a run's charts and its artifacts in JupyterLab's viewers. Commands,
 * a context menu on a run (its row or its detail) and key bindings in the panel. The store decides:
 * a refusal shows its one-line message.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  InputDialog,
  MainAreaWidget,
  Notification,
  showDialog,
  showErrorMessage,
  type ICommandPalette
} from '@jupyterlab/apputils';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { tableRowsIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { ArtifactDrive, openRunArtifact } from './artifactdrive';
import { refreshAll } from './coordination';
import { describeError } from './errors';
import { runsIcon } from './icons';
import { ManageClient, parseTagEdit } from './manageapi';
import type { RequestFunction } from './api';
import { PALETTE_CATEGORY, SIDEBAR_ID, type IExpModels } from './tokens';
import { RunChartsContent } from './widgets/charts/runcharts';
import { RunsTableContent } from './widgets/runstableview';
import { DeletedRunsContent } from './widgets/deletedruns';

export namespace ManageCommandIDs {
  export const rename = 'jupyter-exp:rename-run';
  export const tag = 'jupyter-exp:tag-run';
  export const note = 'jupyter-exp:edit-run-note';
  export const remove = 'jupyter-exp:delete-run';
  export const restore = 'jupyter-exp:restore-run';
  export const charts = 'jupyter-exp:open-run-charts';
  export const artifact = 'jupyter-exp:open-run-artifact';
  export const deleted = 'jupyter-exp:show-deleted-runs';
  export const table = 'jupyter-exp:open-runs-table';
}

/** Where a run's row or detail is in the DOM (its id in `data-run-id`). */
const RUN_NODE = '[data-run-id]';

/** A textarea body for the note dialog. */
class NoteBody extends Widget {
  constructor(note: string, placeholder: string) {
    const area = document.createElement('textarea');
    area.className = 'jp-mod-styled jp-exp-note-input';
    area.rows = 8;
    area.cols = 50;
    area.value = note;
    area.placeholder = placeholder;
    super({ node: area });
  }

  getValue(): string {
    return (this.node as HTMLTextAreaElement).value;
  }
}

export function addRunManagement(
  app: JupyterFrontEnd,
  options: {
    request: RequestFunction;
    models: IExpModels;
    trans: TranslationBundle;
    palette: ICommandPalette | null;
    rendermime: IRenderMimeRegistry | null;
  }
): ManageClient {
  const { commands } = app;
  const { models, trans, palette, rendermime } = options;
  const client = new ManageClient(options.request);
  app.serviceManager.contents.addDrive(
    new ArtifactDrive({
      fetchArtifact: (runId, path) => client.artifact(runId, path),
      serverSettings: app.serviceManager.serverSettings
    })
  );

  /** The run a command acts on: its argument, the run under the context menu, the focused row, the
   * run in detail, or the one selected run. */
  const targetRun = (args: Record<string, unknown>): string | null => {
    if (typeof args.runId === 'string') {
      return args.runId;
    }
    const hit = app.contextMenuHitTest(node => node.matches?.(RUN_NODE));
    if (hit?.dataset.runId) {
      return hit.dataset.runId;
    }
    const focused = document.activeElement?.closest<HTMLElement>(RUN_NODE);
    if (focused?.dataset.runId && focused.closest(`#${SIDEBAR_ID}`)) {
      return focused.dataset.runId;
    }
    if (models.detail.runId) {
      return models.detail.runId;
    }
    const selected = models.runs.state.selection;
    return selected.length === 1 ? selected[0] : null;
  };

  const runName = (runId: string): string =>
    models.detail.state.detail?.run_id === runId
      ? models.detail.state.detail.run_name
      : (models.runs.state.runs.find(r => r.run_id === runId)?.run_name ??
        runId.slice(0, 8));

  const refused = async (what: string, error: unknown): Promise<void> => {
    await showErrorMessage(what, describeError(error));
  };

  const refresh = (): Promise<void> => refreshAll(models);

  const restore = async (runId: string): Promise<boolean> => {
    try {
      await client.restoreRun(runId);
    } catch (error) {
      await refused(trans.__('Could not restore the run'), error);
      return false;
    }
    await refresh();
    return true;
  };

  /**
   * A command that edits the run it targets: `ask` the user (null: cancelled), `act` on the store, then
   * refresh; a refusal is one message headed `failure`.
   */
  const addEditCommand = <T>(
    id: string,
    options: {
      label: string;
      caption: string;
      failure: string;
      ask: (runId: string) => Promise<T | null>;
      act: (runId: string, value: T) => Promise<unknown>;
      done?: (runId: string, value: T) => void;
    }
  ): void => {
    commands.addCommand(id, {
      label: options.label,
      caption: options.caption,
      isEnabled: args => targetRun(args) !== null,
      execute: async args => {
        const runId = targetRun(args);
        const value = runId ? await options.ask(runId) : null;
        if (!runId || value === null) {
          return;
        }
        try {
          await options.act(runId, value);
        } catch (error) {
          return refused(options.failure, error);
        }
        await refresh();
        options.done?.(runId, value);
      }
    });
  };

  addEditCommand(ManageCommandIDs.rename, {
    label: trans.__('Rename Run…'),
    caption: trans.__('Give the run a new name (F2)'),
    failure: trans.__('Could not rename the run'),
    ask: async runId => {
      const answer = await InputDialog.getText({
        title: trans.__('Rename run'),
        text: runName(runId),
        okLabel: trans.__('Rename')
      });
      return answer.button.accept ? answer.value : null;
    },
    act: (runId, name) => client.rename(runId, name)
  });

  addEditCommand(ManageCommandIDs.tag, {
    label: trans.__('Tag Run…'),
    caption: trans.__('Set a tag (key=value) or remove one (-key)'),
    failure: trans.__('Could not tag the run'),
    ask: async runId => {
      const answer = await InputDialog.getText({
        title: trans.__('Tag run %1', runName(runId)),
        placeholder: trans.__('key=value to set, -key to remove'),
        okLabel: trans.__('Apply')
      });
      if (!answer.button.accept || !answer.value) {
        return null;
      }
      const edit = parseTagEdit(answer.value);
      if (!edit) {
        await refused(
          trans.__('Could not tag the run'),
          trans.__('Write key=value to set a tag, or -key to remove one.')
        );
      }
      return edit;
    },
    act: (runId, edit) => client.updateTags(runId, edit.set, edit.remove)
  });

  addEditCommand(ManageCommandIDs.note, {
    label: trans.__('Edit Run Note…'),
    caption: trans.__("The run's note (shown by the MLflow UI too)"),
    failure: trans.__('Could not save the note'),
    ask: async runId => {
      const current =
        models.detail.state.detail?.run_id === runId
          ? (models.detail.state.detail.note ?? '')
          : (models.runs.state.runs.find(r => r.run_id === runId)?.note ?? '');
      const answer = await showDialog({
        title: trans.__('Note of %1', runName(runId)),
        body: new NoteBody(current, trans.__('Empty removes the note')),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Save') })
        ]
      });
      return answer.button.accept ? answer.value : null;
    },
    act: (runId, note) => client.setNote(runId, note)
  });

  addEditCommand(ManageCommandIDs.remove, {
    label: trans.__('Delete Run…'),
    caption: trans.__('Move the run to the deleted runs (it can be restored)'),
    failure: trans.__('Could not delete the run'),
    ask: async runId => {
      const answer = await showDialog({
        title: trans.__('Delete run %1?', runName(runId)),
        body: trans.__(
          'The run moves to the deleted runs (Experiment Tracking: Show Deleted Runs), where it can be restored until the store is garbage-collected.'
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.warnButton({ label: trans.__('Delete') })
        ]
      });
      return answer.button.accept ? runName(runId) : null;
    },
    act: runId => client.deleteRun(runId),
    done: (runId, name) =>
      Notification.success(trans.__('Run %1 deleted.', name), {
        autoClose: 8000,
        actions: [
          { label: trans.__('Undo'), callback: () => void restore(runId) }
        ]
      })
  });

  commands.addCommand(ManageCommandIDs.restore, {
    label: trans.__('Restore Run'),
    caption: trans.__('Bring a deleted run back'),
    isEnabled: args => targetRun(args) !== null,
    execute: async args => {
      const runId = targetRun(args);
      if (runId) {
        await restore(runId);
      }
    }
  });

  commands.addCommand(ManageCommandIDs.charts, {
    label: trans.__('Open Run Charts'),
    caption: trans.__(
      "The run's metrics as charts (the selected runs overlaid): zoom, step or time axis, smoothing"
    ),
    icon: runsIcon,
    isEnabled: args =>
      Array.isArray(args.runIds) ||
      targetRun(args) !== null ||
      models.runs.state.selection.length > 0,
    execute: async args => {
      let runIds = Array.isArray(args.runIds) ? args.runIds.map(String) : [];
      if (runIds.length === 0) {
        const target = targetRun(args);
        const selected = [...models.runs.state.selection];
        runIds = target
          ? [target, ...selected.filter(id => id !== target)]
          : selected;
      }
      if (runIds.length === 0) {
        return;
      }
      const content = new RunChartsContent({
        runIds,
        fetchHistories: ids => client.histories(ids, { maxPoints: 1000 }),
        rendermime,
        trans
      });
      const widget = new MainAreaWidget({ content });
      widget.id = `jupyter-exp-charts-${Date.now()}`;
      widget.title.label =
        runIds.length === 1
          ? trans.__('Charts: %1', runName(runIds[0]))
          : trans.__('Charts: %1 runs', runIds.length);
      widget.title.icon = runsIcon;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      await content.load();
    }
  });

  commands.addCommand(ManageCommandIDs.artifact, {
    label: trans.__('Open Artifact'),
    caption: trans.__("Open one of the run's artifacts (read-only)"),
    isEnabled: args => typeof args.path === 'string',
    execute: async args => {
      const runId = targetRun(args);
      if (!runId || typeof args.path !== 'string') {
        return undefined;
      }
      try {
        return await openRunArtifact(app, runId, args.path);
      } catch (error) {
        await refused(trans.__('Could not open %1', args.path), error);
        return undefined;
      }
    }
  });

  commands.addCommand(ManageCommandIDs.deleted, {
    label: trans.__('Show Deleted Runs'),
    caption: trans.__('Deleted runs, to restore'),
    execute: async () => {
      const content = new DeletedRunsContent({
        fetchDeleted: () =>
          options.request('runs?lifecycle=deleted&user=all&max_results=200'),
        restore,
        trans
      });
      const widget = new MainAreaWidget({ content });
      widget.id = `jupyter-exp-deleted-${Date.now()}`;
      widget.title.label = trans.__('Deleted Runs');
      widget.title.icon = runsIcon;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      await content.load();
    }
  });

  commands.addCommand(ManageCommandIDs.table, {
    label: trans.__('Open Runs Table'),
    caption: trans.__(
      'Params against metrics: the selected runs, else the experiment listed (columns, sort, CSV, parallel coordinates, scatter)'
    ),
    icon: tableRowsIcon,
    execute: async args => {
      const { runs } = models;
      let runIds = Array.isArray(args.runIds) ? args.runIds.map(String) : [];
      let experiment =
        typeof args.experiment === 'string' ? args.experiment : '';
      if (runIds.length === 0 && !experiment) {
        runIds = [...runs.state.selection];
      }
      if (runIds.length === 0 && !experiment) {
        const listed = new Set(runs.state.runs.map(r => r.experiment_id));
        if (listed.size === 1) {
          experiment = [...listed][0];
        } else {
          runIds = runs.state.runs.map(r => r.run_id);
        }
      }
      if (runIds.length === 0 && !experiment) {
        return;
      }
      const title = runIds.length
        ? trans.__('%1 runs', runIds.length)
        : (runs.state.runs[0]?.experiment_name ?? experiment);
      const content = new RunsTableContent({
        title,
        fetchMatrix: () =>
          client.table(runIds.length ? { runIds } : { experiment }),
        onOpenRun: runId =>
          void commands.execute('jupyter-exp:open-run', { runId }),
        rendermime,
        trans
      });
      const widget = new MainAreaWidget({ content });
      widget.id = `jupyter-exp-table-${Date.now()}`;
      widget.title.label = trans.__('Runs: %1', title);
      widget.title.icon = tableRowsIcon;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      await content.load();
    }
  });

  // A run's row or detail: its context menu; in the panel, F2 renames and Delete deletes.
  const selector = `#${SIDEBAR_ID} ${RUN_NODE}`;
  [
    ManageCommandIDs.charts,
    ManageCommandIDs.rename,
    ManageCommandIDs.tag,
    ManageCommandIDs.note,
    ManageCommandIDs.remove
  ].forEach((command, rank) =>
    app.contextMenu.addItem({ command, selector, rank: 20 + rank })
  );
  app.contextMenu.addItem({
    command: ManageCommandIDs.table,
    selector: `#${SIDEBAR_ID} .jp-exp-run-list`,
    rank: 30
  });
  // keys on a focused run row or inside the detail (never in the filter box)
  for (const where of ['.jp-exp-run', '.jp-exp-detail']) {
    commands.addKeyBinding({
      command: ManageCommandIDs.rename,
      keys: ['F2'],
      selector: `#${SIDEBAR_ID} ${where}`
    });
    commands.addKeyBinding({
      command: ManageCommandIDs.remove,
      keys: ['Delete'],
      selector: `#${SIDEBAR_ID} ${where}`
    });
  }
  if (palette) {
    for (const command of [
      ManageCommandIDs.charts,
      ManageCommandIDs.rename,
      ManageCommandIDs.tag,
      ManageCommandIDs.note,
      ManageCommandIDs.remove,
      ManageCommandIDs.deleted,
      ManageCommandIDs.table
    ]) {
      palette.addItem({ command, category: trans.__(PALETTE_CATEGORY) });
    }
  }
  return client;
}
