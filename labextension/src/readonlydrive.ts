/**
 * The part of a read-only contents drive that does not depend on what it serves (run snapshots,
 * run artifacts): every write is refused with one message, nothing has checkpoints, and fetched
 * documents are kept in a small cache (opening a tab reads the model more than once).
 */
import { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

/** Documents kept in memory. */
const CACHE_SIZE = 8;

/** The date of what has none (JupyterLab formats dates: an empty one throws "Invalid time value"). */
export const EPOCH = new Date(0).toISOString();

/** A folder of a read-only drive (the root, a run's folder). */
export function directoryModel(path: string): Contents.IModel {
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

export abstract class ReadOnlyDrive<T> implements Contents.IDrive {
  constructor(
    readOnlyMessage: string,
    serverSettings?: ServerConnection.ISettings
  ) {
    this._readOnlyMessage = readOnlyMessage;
    this.serverSettings = serverSettings ?? ServerConnection.makeSettings();
  }

  abstract readonly name: string;
  readonly serverSettings: ServerConnection.ISettings;

  abstract get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel>;

  get fileChanged(): ISignal<Contents.IDrive, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  async getDownloadUrl(localPath: string): Promise<string> {
    throw this.readOnlyError();
  }

  newUntitled(): Promise<Contents.IModel> {
    return Promise.reject(this.readOnlyError());
  }

  delete(): Promise<void> {
    return Promise.reject(this.readOnlyError());
  }

  rename(): Promise<Contents.IModel> {
    return Promise.reject(this.readOnlyError());
  }

  save(): Promise<Contents.IModel> {
    return Promise.reject(this.readOnlyError());
  }

  copy(): Promise<Contents.IModel> {
    return Promise.reject(this.readOnlyError());
  }

  createCheckpoint(): Promise<Contents.ICheckpointModel> {
    return Promise.reject(this.readOnlyError());
  }

  async listCheckpoints(): Promise<Contents.ICheckpointModel[]> {
    return [];
  }

  restoreCheckpoint(): Promise<void> {
    return Promise.reject(this.readOnlyError());
  }

  deleteCheckpoint(): Promise<void> {
    return Promise.reject(this.readOnlyError());
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._cache.clear();
    Signal.clearData(this);
  }

  protected readOnlyError(): Error {
    return new Error(this._readOnlyMessage);
  }

  /** `key`'s document from the cache, else fetched; a failure is not kept (a later open asks again). */
  protected cached(key: string, fetch: () => Promise<T>): Promise<T> {
    let pending = this._cache.get(key);
    if (!pending) {
      pending = fetch();
      this._cache.set(key, pending);
      pending.catch(() => this._cache.delete(key));
      while (this._cache.size > CACHE_SIZE) {
        this._cache.delete(this._cache.keys().next().value as string);
      }
    }
    return pending;
  }

  private _readOnlyMessage: string;
  private _cache = new Map<string, Promise<T>>();
  private _isDisposed = false;
  private _fileChanged = new Signal<Contents.IDrive, Contents.IChangedArgs>(
    this
  );
}
