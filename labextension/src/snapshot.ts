/**
 * "Open snapshot": a run's recorded notebook in a read-only tab of its own, without a kernel.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { Widget } from '@lumino/widgets';

import { snapshotPath } from './snapshotdrive';
import type { IRunDetail } from './types';

/**
 * No kernel for a record nobody runs: none is started on opening, none can be started from the
 * tab's kernel picker, and one started anyway (e.g. "Change Kernel…") ends with the tab.
 */
export const SNAPSHOT_KERNEL_PREFERENCE = {
  shouldStart: false,
  canStart: false,
  autoStartDefault: false,
  shutdownOnDispose: true
} as const;

/** The part of a document widget used here (`DocumentWidget`, without depending on docregistry). */
interface IDocumentTab {
  context?: {
    ready: Promise<void>;
    model: { readOnly: boolean; dirty: boolean };
  };
}

/** The snapshot tabs' contexts already set up (a second open reveals a tab, maybe edited since). */
const prepared = new WeakSet<object>();

/**
 * Open (or reveal, when it is open already) the notebook recorded with `run`. Rejects when the run
 * has no snapshot, before any tab is opened.
 */
export async function openRunSnapshot(
  app: JupyterFrontEnd,
  run: Pick<IRunDetail, 'run_id' | 'run_name' | 'notebook'>
): Promise<Widget | undefined> {
  const path = snapshotPath(run.run_id, run.notebook, run.run_name);
  // Fetch first, so a run without snapshot reports one clear error instead of a broken tab.
  await app.serviceManager.contents.get(path, { content: false });
  const widget = (await app.commands.execute('docmanager:open', {
    path,
    kernelPreference: SNAPSHOT_KERNEL_PREFERENCE
  })) as Widget | undefined;
  const context = (widget as IDocumentTab | undefined)?.context;
  if (context && !prepared.has(context)) {
    prepared.add(context);
    await context.ready;
    // The title stays the file name: relabelling a document tab renames its file.
    context.model.readOnly = true;
    // Loading fills in metadata a notebook saved before its kernel started lacks (language_info):
    // that is no change of the user's, and closing the untouched tab must not ask to save it.
    context.model.dirty = false;
  }
  return widget;
}
