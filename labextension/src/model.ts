/**
 * State of the runs sidebar, kept apart from the view: loads the store info from the server,
 * polls it, and emits `changed` whenever what the view shows changes.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { describeError } from './errors';
import { formatStoreLabel, parseStoreInfo } from './format';
import { DEFAULT_SETTINGS } from './settings';
import type { IExpSettings, IStoreInfo } from './types';

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

/** Backoff ceiling of the poll while the server keeps failing. */
const MAX_POLL_INTERVAL = 60_000;

export class StoreModel implements IDisposable {
  constructor(options: StoreModel.IOptions) {
    this._fetchStore = options.fetchStore;
    this._settings = { ...(options.settings ?? DEFAULT_SETTINGS) };
  }

  /** Emitted with the new state whenever status, info or error changes. */
  get changed(): ISignal<this, IStoreState> {
    return this._changed;
  }

  /** Emitted when the settings change. */
  get settingsChanged(): ISignal<this, IExpSettings> {
    return this._settingsChanged;
  }

  get state(): IStoreState {
    return this._state;
  }

  get info(): IStoreInfo | null {
    return this._state.info;
  }

  get error(): string | null {
    return this._state.error;
  }

  get status(): StoreStatus {
    return this._state.status;
  }

  get settings(): Readonly<IExpSettings> {
    return this._settings;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Whether a poll is running. */
  get isPolling(): boolean {
    return this._poll !== null;
  }

  /**
   * Fetch the store info once. Never rejects: a failure is recorded in `state.error`.
   * Concurrent calls share one request.
   */
  refresh(): Promise<IStoreState> {
    if (!this._pending) {
      this._pending = this._load()
        .catch(() => undefined)
        .then(() => {
          this._pending = null;
          return this._state;
        });
    }
    return this._pending;
  }

  /** Apply new settings; restarts polling when the interval changed and polling is on. */
  updateSettings(settings: IExpSettings): void {
    const previous = this._settings;
    this._settings = { ...settings };
    if (
      previous.pollInterval !== settings.pollInterval ||
      previous.defaultScope !== settings.defaultScope ||
      previous.defaultKernelspec !== settings.defaultKernelspec
    ) {
      this._settingsChanged.emit(this._settings);
    }
    if (this._poll && previous.pollInterval !== settings.pollInterval) {
      this.stopPolling();
      this.startPolling();
    }
  }

  /** Poll the store every `settings.pollInterval` ms (with backoff on errors); 0 disables it. */
  startPolling(): void {
    if (this._isDisposed || this._poll) {
      return;
    }
    const interval = this._settings.pollInterval;
    if (interval <= 0) {
      return;
    }
    this._poll = new Poll({
      auto: true,
      factory: () => this._load(),
      frequency: {
        interval,
        backoff: true,
        max: Math.max(MAX_POLL_INTERVAL, interval)
      },
      name: 'jupyter-exp:store',
      standby: 'when-hidden'
    });
  }

  stopPolling(): void {
    if (this._poll) {
      this._poll.dispose();
      this._poll = null;
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.stopPolling();
    Signal.clearData(this);
  }

  /** One request; records the outcome and rethrows failures (so the poll backs off). */
  private async _load(): Promise<void> {
    if (this._state.status === 'idle') {
      this._setState({ ...this._state, status: 'loading' });
    }
    try {
      const info = parseStoreInfo(await this._fetchStore());
      this._setState({
        status: 'ready',
        info,
        label: formatStoreLabel(info),
        error: null
      });
    } catch (error) {
      this._setState({
        ...this._state,
        status: 'error',
        error: describeError(error)
      });
      throw error;
    }
  }

  private _setState(next: IStoreState): void {
    if (this._isDisposed || StoreModel.sameState(this._state, next)) {
      return;
    }
    this._state = next;
    this._changed.emit(next);
  }

  private _fetchStore: () => Promise<unknown>;
  private _settings: IExpSettings;
  private _state: IStoreState = {
    status: 'idle',
    info: null,
    label: '',
    error: null
  };
  private _pending: Promise<IStoreState> | null = null;
  private _poll: Poll | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, IStoreState>(this);
  private _settingsChanged = new Signal<this, IExpSettings>(this);
}

export namespace StoreModel {
  export interface IOptions {
    /** Returns the raw JSON of `GET /jupyter-exp/store` (injected so tests need no server). */
    fetchStore: () => Promise<unknown>;
    settings?: IExpSettings;
  }

  /** Whether two states render the same. */
  export function sameState(a: IStoreState, b: IStoreState): boolean {
    return (
      a.status === b.status &&
      a.error === b.error &&
      a.label === b.label &&
      JSON.stringify(a.info) === JSON.stringify(b.info)
    );
  }
}
