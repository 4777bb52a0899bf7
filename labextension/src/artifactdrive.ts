/**
 * A read-only contents drive serving a run's artifacts, so JupyterLab opens them in its own viewers
 * (text editor, JSON viewer, image viewer, notebook): `JupyterExpArtifacts:<run_id>/<artifact path>`.
 * The server decides what can be shown (text, JSON, images, notebooks), follows no link and marks a
 * notebook's cells untrusted; the drive marks them again and never writes.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

import type { IArtifactContent } from './manageapi';
import { SNAPSHOT_KERNEL_PREFERENCE } from './snapshot';
import { untrustedNotebook } from './snapshotdrive';

export const ARTIFACT_DRIVE_NAME = 'JupyterExpArtifacts';

/** The drive path of a run's artifact. */
export function artifactPath(runId: string, path: string): string {
  return `${ARTIFACT_DRIVE_NAME}:${runId}/${path}`;
}

/** Whether `path` is a document of the artifact drive. */
export function isArtifactPath(path: string): boolean {
  return path.startsWith(`${ARTIFACT_DRIVE_NAME}:`);
}

const EPOCH = new Date(0).toISOString();

/** Artifacts kept in memory. */
const CACHE_SIZE = 8;

function readOnlyError(): Error {
  return new Error(
    'Run artifacts are read-only: use "Save As…" to keep a copy.'
  );
}

/** The contents model of a fetched artifact. */
export function artifactModel(
  path: string,
  artifact: IArtifactContent,
  withContent = true
): Contents.IModel {
  const notebook = artifact.kind === 'notebook';
  const now = new Date().toISOString();
  return {
    name: path.split('/').pop() ?? path,
    path,
    type: notebook ? 'notebook' : 'file',
    writable: false,
    created: now,
    last_modified: now,
    mimetype: artifact.mimetype,
    content: withContent
      ? notebook
        ? untrustedNotebook(artifact.content)
        : artifact.content
      : null,
    format: notebook
      ? 'json'
      : artifact.format === 'base64'
        ? 'base64'
        : 'text',
    size: artifact.size
  };
}

export class ArtifactDrive implements Contents.IDrive {
  constructor(options: ArtifactDrive.IOptions) {
    this._fetch = options.fetchArtifact;
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
  }

  readonly name = ARTIFACT_DRIVE_NAME;
  readonly serverSettings: ServerConnection.ISettings;

  get fileChanged(): ISignal<Contents.IDrive, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const path = localPath.replace(/^\/+|\/+$/g, '');
    const [runId, ...rest] = path.split('/');
    const artifact = rest.join('/');
    if (!runId || !artifact) {
      return {
        name: path.split('/').pop() ?? '',
        path,
        type: 'directory',
        writable: false,
        created: EPOCH,
        last_modified: EPOCH,
        mimetype: '',
        content: [],
        format: 'json'
      };
    }
    const found = await this._artifact(runId, artifact);
    return artifactModel(path, found, options?.content !== false);
  }

  async getDownloadUrl(): Promise<string> {
    throw readOnlyError();
  }

  newUntitled(): Promise<Contents.IModel> {
    return Promise.reject(readOnlyError());
  }

  delete(): Promise<void> {
    return Promise.reject(readOnlyError());
  }

  rename(): Promise<Contents.IModel> {
    return Promise.reject(readOnlyError());
  }

  save(): Promise<Contents.IModel> {
    return Promise.reject(readOnlyError());
  }

  copy(): Promise<Contents.IModel> {
    return Promise.reject(readOnlyError());
  }

  createCheckpoint(): Promise<Contents.ICheckpointModel> {
    return Promise.reject(readOnlyError());
  }

  async listCheckpoints(): Promise<Contents.ICheckpointModel[]> {
    return [];
  }

  restoreCheckpoint(): Promise<void> {
    return Promise.reject(readOnlyError());
  }

  deleteCheckpoint(): Promise<void> {
    return Promise.reject(readOnlyError());
  }

  dispose(): void {
    if (!this._isDisposed) {
      this._isDisposed = true;
      this._cache.clear();
      Signal.clearData(this);
    }
  }

  /** An artifact from the cache or the server (opening a tab reads the model more than once). */
  private _artifact(runId: string, path: string): Promise<IArtifactContent> {
    const key = `${runId}/${path}`;
    let pending = this._cache.get(key);
    if (!pending) {
      pending = this._fetch(runId, path);
      this._cache.set(key, pending);
      pending.catch(() => this._cache.delete(key)); // a failure is asked again
      while (this._cache.size > CACHE_SIZE) {
        this._cache.delete(this._cache.keys().next().value as string);
      }
    }
    return pending;
  }

  private _fetch: (runId: string, path: string) => Promise<IArtifactContent>;
  private _cache = new Map<string, Promise<IArtifactContent>>();
  private _isDisposed = false;
  private _fileChanged = new Signal<Contents.IDrive, Contents.IChangedArgs>(
    this
  );
}

export namespace ArtifactDrive {
  export interface IOptions {
    fetchArtifact: (runId: string, path: string) => Promise<IArtifactContent>;
    serverSettings?: ServerConnection.ISettings;
  }
}

/** The part of a document widget used here. */
interface IDocumentTab {
  context?: {
    ready: Promise<void>;
    model: { readOnly: boolean; dirty: boolean };
  };
}

/**
 * Open a run's artifact in JupyterLab's default viewer for its type, read-only (a notebook with no
 * kernel). Rejects, before any tab opens, when the server cannot show it.
 */
export async function openRunArtifact(
  app: JupyterFrontEnd,
  runId: string,
  path: string
): Promise<Widget | undefined> {
  const drivePath = artifactPath(runId, path);
  await app.serviceManager.contents.get(drivePath, { content: false });
  const widget = (await app.commands.execute('docmanager:open', {
    path: drivePath,
    kernelPreference: SNAPSHOT_KERNEL_PREFERENCE
  })) as Widget | undefined;
  const context = (widget as IDocumentTab | undefined)?.context;
  if (context) {
    await context.ready;
    context.model.readOnly = true;
    context.model.dirty = false;
  }
  return widget;
}
