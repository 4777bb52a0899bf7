/**
 * @jest-environment jsdom
 */
import { CommandRegistry } from '@lumino/commands';
import type { JupyterFrontEnd } from '@jupyterlab/application';

import { SNAPSHOT_KERNEL_PREFERENCE, openRunSnapshot } from '../snapshot';
import { SnapshotDrive } from '../snapshotdrive';

const NOTEBOOK = { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 };
const RUN = { run_id: 'r1', run_name: 'lr/0.1', notebook: 'nb/train.ipynb' };

/** A front end whose contents are the snapshot drive and whose `docmanager:open` records its args. */
function frontEnd(fetchSnapshot: (runId: string) => Promise<unknown>) {
  const drive = new SnapshotDrive({
    fetchSnapshot,
    serverSettings: { baseUrl: 'http://localhost:8888/' } as never
  });
  const opened: { path: string; kernelPreference: unknown }[] = [];
  const model = { readOnly: false, dirty: true };
  const tab = { context: { ready: Promise.resolve(), model } };
  const commands = new CommandRegistry();
  commands.addCommand('docmanager:open', {
    execute: args => {
      opened.push(args as never);
      return tab; // openOrReveal: the same tab each time
    }
  });
  const contents = {
    get: (path: string, options?: { content?: boolean }) =>
      drive.get(path.slice(path.indexOf(':') + 1), options)
  };
  const app = {
    commands,
    serviceManager: { contents }
  } as unknown as JupyterFrontEnd;
  return { app, opened, model };
}

describe('openRunSnapshot', () => {
  it('opens the recorded notebook without a kernel and marks it read-only', async () => {
    const { app, opened, model } = frontEnd(async () => NOTEBOOK);
    await openRunSnapshot(app, RUN);
    expect(opened).toEqual([
      {
        path: 'JupyterExpSnapshots:r1/train @ lr-0.1.ipynb',
        kernelPreference: SNAPSHOT_KERNEL_PREFERENCE
      }
    ]);
    expect(SNAPSHOT_KERNEL_PREFERENCE).toMatchObject({
      shouldStart: false,
      canStart: false
    });
    expect(model.readOnly).toBe(true);
    expect(model.dirty).toBe(false); // what loading filled in is no edit
    // Opened again, the tab is revealed as it is: an edit made since stays unsaved, not dropped.
    model.dirty = true;
    await openRunSnapshot(app, RUN);
    expect(opened).toHaveLength(2);
    expect(model.dirty).toBe(true);
  });

  it('opens no tab when the run has no snapshot', async () => {
    const { app, opened } = frontEnd(async () => {
      throw new Error('run r1 has no notebook snapshot');
    });
    await expect(openRunSnapshot(app, RUN)).rejects.toThrow(/no notebook/);
    expect(opened).toEqual([]);
  });
});
