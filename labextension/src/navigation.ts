/**
 * "Go to cell": bring the run's notebook to front (opening it if needed) and activate the cell.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { Widget } from '@lumino/widgets';

/** Outcome of `goToCell`, for the caller to report. */
export type GotoResult = 'found' | 'cell-missing' | 'not-opened';

/**
 * Find (or open with `docmanager:open`) the notebook at `path`, activate it, and select and
 * scroll to the cell whose `model.id` is `cellId`.
 */
export async function goToCell(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  path: string,
  cellId: string | null
): Promise<GotoResult> {
  let panel: NotebookPanel | null =
    tracker.find(p => p.context.path === path) ?? null;
  if (!panel) {
    const opened = (await app.commands.execute('docmanager:open', {
      path
    })) as Widget | undefined;
    panel = tracker.find(p => p === opened || p.context.path === path) ?? null;
  }
  if (!panel) {
    return 'not-opened';
  }
  app.shell.activateById(panel.id);
  await panel.context.ready;
  await panel.revealed;
  if (!cellId) {
    return 'cell-missing';
  }
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
  if (index < 0) {
    return 'cell-missing';
  }
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  await notebook.scrollToCell(notebook.widgets[index], 'center');
  notebook.activeCell?.node.focus();
  return 'found';
}
