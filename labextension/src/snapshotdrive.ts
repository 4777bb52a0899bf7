/**
 * A read-only contents drive serving each run's recorded notebook, so JupyterLab opens it in a
 * normal (read-only) notebook tab: `JupyterExpSnapshots:<run_id>/<notebook name>`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { Contents, ServerConnection } from '@jupyterlab/services';

import { runPath } from './api';
import { directoryModel, ReadOnlyDrive } from './readonlydrive';
import { API_NAMESPACE } from './tokens';

export const SNAPSHOT_DRIVE_NAME = 'JupyterExpSnapshots';

/** Whether `path` is a document of the snapshot drive. */
export function isSnapshotPath(path: string): boolean {
  return path.startsWith(`${SNAPSHOT_DRIVE_NAME}:`);
}

/**
 * The drive path of a run's snapshot, e.g. `JupyterExpSnapshots:<id>/quickstart.ipynb`, or
 * `JupyterExpSnapshots:<id>/quickstart @ lr-0.1.ipynb` with the run's name: the file name is
 * the tab's label (a document tab renames its file when its label is changed).
 */
export function snapshotPath(
  runId: string,
  notebook: string | null,
  runName = ''
): string {
  const base = (notebook || '').split('/').pop() || 'snapshot.ipynb';
  const stem = base.endsWith('.ipynb') ? base.slice(0, -'.ipynb'.length) : base;
  // A path separator or drive colon in a run name would change the path, not just the name.
  const tag = runName.trim().replace(/[/\\:]+/g, '-');
  return `${SNAPSHOT_DRIVE_NAME}:${runId}/${tag ? `${stem} @ ${tag}` : stem}.ipynb`;
}

/** The date of the drive's directories (they have none of their own). */

/** A fetched snapshot and when it was fetched (its stable `last_modified`). */
interface ISnapshot {
  content: unknown;
  fetched: string;
}

/**
 * `content` with every cell marked untrusted, whatever the recorded file says: whoever writes to
 * the store is untrusted, so JupyterLab sanitizes the snapshot's outputs (no script, no event
 * handler) as it does for any notebook its notary does not know. The server does the same; this
 * holds for a server that does not.
 */
export function untrustedNotebook(content: unknown): unknown {
  const cells = (content as { cells?: unknown } | null)?.cells;
  if (!Array.isArray(cells)) {
    return content;
  }
  return {
    ...(content as object),
    cells: cells.map(cell => {
      if (typeof cell !== 'object' || cell === null) {
        return cell;
      }
      const metadata = (cell as { metadata?: unknown }).metadata;
      const kept =
        typeof metadata === 'object' &&
        metadata !== null &&
        !Array.isArray(metadata)
          ? metadata
          : {};
      return { ...cell, metadata: { ...kept, trusted: false } };
    })
  };
}

export class SnapshotDrive extends ReadOnlyDrive<ISnapshot> {
  constructor(options: SnapshotDrive.IOptions) {
    super(
      'Run snapshots are read-only: use "Save As…" to keep a copy, or reproduce the run.',
      options.serverSettings
    );
    this._fetchSnapshot = options.fetchSnapshot;
  }

  readonly name = SNAPSHOT_DRIVE_NAME;

  /** `<run_id>/<name>.ipynb` is the run's notebook; `''` and `<run_id>` are directories. */
  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const path = localPath.replace(/^\/+|\/+$/g, '');
    const [runId, ...rest] = path.split('/');
    const name = rest.join('/');
    if (!runId || !name) {
      return directoryModel(path);
    }
    const { content, fetched } = await this._snapshot(runId);
    return {
      name,
      path,
      type: 'notebook',
      writable: false,
      // Real dates: JupyterLab formats them (an empty one throws "Invalid time value").
      created: fetched,
      last_modified: fetched,
      mimetype: 'application/x-ipynb+json',
      content: options?.content === false ? null : content,
      format: 'json'
    };
  }

  async getDownloadUrl(localPath: string): Promise<string> {
    const runId = localPath.replace(/^\/+/, '').split('/')[0];
    return URLExt.join(
      this.serverSettings.baseUrl,
      API_NAMESPACE,
      runPath(runId, 'snapshot')
    );
  }

  /** The snapshot of a run, from the cache or the server. */
  private _snapshot(runId: string): Promise<ISnapshot> {
    return this.cached(runId, () =>
      this._fetchSnapshot(runId).then(content => ({
        content: untrustedNotebook(content),
        fetched: new Date().toISOString()
      }))
    );
  }

  private _fetchSnapshot: (runId: string) => Promise<unknown>;
}

export namespace SnapshotDrive {
  export interface IOptions {
    fetchSnapshot: (runId: string) => Promise<unknown>;
    serverSettings?: ServerConnection.ISettings;
  }
}
