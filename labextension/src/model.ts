/**
 * State of the store line, kept apart from the view: loads the store info from the server,
 * polls it, and emits `changed` whenever what the view shows changes.
 */
import { describeError } from './errors';
import { formatStoreLabel, parseStoreInfo } from './formatstore';
import { DEFAULT_SETTINGS } from './settings';
import { PolledModel } from './statemodel';
import type { IStoreInfo } from './types';

/** `loading`: first request in flight; `ready`: info loaded; `error`: the last request failed. */
export type StoreStatus = 'idle' | 'loading' | 'ready' | 'error';

/** What the view renders. */
export interface IStoreState {
  readonly status: StoreStatus;
  /** Last store info received (kept while a later refresh fails). */
  readonly info: IStoreInfo | null;
  /** Short label of the store (`formatStoreLabel`), '' before the first answer. */
  readonly label: string;
  /** Message of the last failed request, null when the last request succeeded. */
  readonly error: string | null;
}

export class StoreModel extends PolledModel<IStoreState> {
  constructor(options: StoreModel.IOptions) {
    super(
      { status: 'idle', info: null, label: '', error: null },
      {
        interval: options.pollInterval ?? DEFAULT_SETTINGS.pollInterval,
        name: 'jupyter-exp:store'
      }
    );
    this._fetchStore = options.fetchStore;
  }

  get info(): IStoreInfo | null {
    return this.state.info;
  }

  get error(): string | null {
    return this.state.error;
  }

  get status(): StoreStatus {
    return this.state.status;
  }

  protected async load(): Promise<void> {
    if (this.state.status === 'idle') {
      this.patch({ status: 'loading' });
    }
    const generation = this.generation;
    try {
      const info = parseStoreInfo(await this._fetchStore());
      if (this.isCurrent(generation)) {
        this.setState({
          status: 'ready',
          info,
          label: formatStoreLabel(info),
          error: null
        });
      }
    } catch (error) {
      if (this.isCurrent(generation)) {
        this.patch({ status: 'error', error: describeError(error) });
      }
      throw error;
    }
  }

  private _fetchStore: () => Promise<unknown>;
}

export namespace StoreModel {
  export interface IOptions {
    /** Returns the raw JSON of `GET /jupyter-exp/store` (injected so tests need no server). */
    fetchStore: () => Promise<unknown>;
    /** Poll interval in ms (default: the settings' default); 0 disables polling. */
    pollInterval?: number;
  }
}
