/**
 * The base of the frontend's models: one immutable JSON state, a `changed` signal that fires
 * only when the state really changed (`JSONExt.deepEqual`: a key holding `undefined` counts as
 * absent), a generation counter that drops answers of requests made for an outdated state, and
 * polls that are disposed with the model.
 */
import { JSONExt, type ReadonlyPartialJSONValue } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

/** Backoff ceiling of a poll while the server keeps failing. */
export const MAX_POLL_INTERVAL = 60_000;

/** A poll's frequency for `interval` ms; 0 (or less) never ticks on its own. */
export function pollFrequency(interval: number, max = MAX_POLL_INTERVAL) {
  return interval > 0
    ? { interval, backoff: true, max: Math.max(max, interval) }
    : { interval: Poll.NEVER, backoff: true, max: Poll.NEVER };
}

export abstract class StateModel<S> implements IDisposable {
  constructor(initial: S) {
    this._state = initial;
  }

  /** Emitted with the new state whenever it changes (never for a deep-equal one). */
  get changed(): ISignal<this, S> {
    return this._changed;
  }

  get state(): S {
    return this._state;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._generation++;
    for (const poll of this._polls) {
      poll.dispose();
    }
    this._polls = [];
    Signal.clearData(this);
  }

  /** Replace the state; emits `changed` unless disposed or deep-equal. Returns whether it changed. */
  protected setState(next: S): boolean {
    if (
      this._isDisposed ||
      JSONExt.deepEqual(
        this._state as ReadonlyPartialJSONValue,
        next as ReadonlyPartialJSONValue
      )
    ) {
      return false;
    }
    this._state = next;
    this._changed.emit(next);
    return true;
  }

  /** `setState` of the current state with `change` applied. */
  protected patch(change: Partial<S>): boolean {
    return this.setState({ ...this._state, ...change });
  }

  /** The generation of requests made now; an answer is stale once `invalidate()` ran since. */
  protected get generation(): number {
    return this._generation;
  }

  /** Make every request in flight stale (their answers are dropped by `isCurrent`). */
  protected invalidate(): number {
    return ++this._generation;
  }

  /** Whether an answer to a request made at `generation` may still be applied. */
  protected isCurrent(generation: number): boolean {
    return !this._isDisposed && generation === this._generation;
  }

  /** A poll owned by the model (disposed with it). Built once; change its `frequency` in place. */
  protected createPoll(options: Poll.IOptions<void, unknown, 'standby'>): Poll {
    const poll = new Poll<void, unknown, 'standby'>({
      auto: false,
      ...options
    });
    this._polls.push(poll);
    return poll;
  }

  private _state: S;
  private _generation = 0;
  private _isDisposed = false;
  private _polls: Poll[] = [];
  private _changed = new Signal<this, S>(this);
}

/** The state of a model that shows one run at a time (its detail, its sweep). */
export interface IRunShownState {
  readonly runId: string | null;
  readonly loading: boolean;
}

/**
 * A model that shows one run at a time: `open(runId)` shows it (the same run again reloads it),
 * `close()` drops it and any answer still in flight.
 */
export abstract class RunShownModel<
  S extends IRunShownState
> extends StateModel<S> {
  constructor(closed: S) {
    super(closed);
    this._closed = closed;
  }

  get runId(): string | null {
    return this.state.runId;
  }

  /** Show `runId` (loads it); the same run again reloads it. */
  open(runId: string): Promise<void> {
    if (runId !== this.state.runId) {
      this.setState({ ...this._closed, runId, loading: true });
    }
    return this.reload();
  }

  close(): void {
    this.invalidate();
    this.setState(this._closed);
  }

  /** Load the run shown again. Never rejects: a failure is the state's error. */
  abstract reload(): Promise<void>;

  private readonly _closed: S;
}

/**
 * A model whose state is loaded by one poll: `refresh()` asks the poll for a tick now and
 * resolves when it ran; `startPolling()` / `stopPolling()` / `setPollInterval()` change the
 * poll's frequency in place.
 */
export abstract class PolledModel<S> extends StateModel<S> {
  constructor(initial: S, options: PolledModel.IOptions) {
    super(initial);
    this._interval = options.interval;
    this.poll = this.createPoll({
      factory: () => this._tick(),
      frequency: pollFrequency(0),
      name: options.name,
      standby: options.standby ?? 'when-hidden'
    });
  }

  /** Whether the poll ticks on its own. */
  get isPolling(): boolean {
    return this._polling && this._interval > 0 && !this.isDisposed;
  }

  get pollInterval(): number {
    return this._interval;
  }

  /**
   * Load now (one tick of the poll). Never rejects: a failure is recorded in the state.
   * Concurrent calls share one request.
   */
  async refresh(): Promise<S> {
    if (this.isDisposed) {
      return this.state;
    }
    if (this._running !== null && this._running !== this.generation) {
      // The tick running now loads for an outdated state: tick again rather than share it.
      await this.poll.schedule({
        interval: Poll.IMMEDIATE,
        phase: 'refreshed'
      });
    } else {
      await this.poll.refresh();
    }
    await this.poll.tick.catch(() => undefined);
    return this.state;
  }

  /** Tick every `pollInterval` ms (backoff on errors); an interval of 0 never ticks. */
  startPolling(): void {
    if (this.isDisposed || this._polling) {
      return;
    }
    this._polling = true;
    this._applyFrequency();
  }

  stopPolling(): void {
    if (!this._polling) {
      return;
    }
    this._polling = false;
    this._applyFrequency();
  }

  /** Change the interval (ms) of the poll in place; 0 turns polling off. */
  setPollInterval(interval: number): void {
    if (interval === this._interval) {
      return;
    }
    this._interval = interval;
    this._applyFrequency();
  }

  /** One request; records the outcome in the state and rethrows failures (so the poll backs off). */
  protected abstract load(): Promise<void>;

  protected readonly poll: Poll;

  /** Set the poll's frequency in place and (re)schedule its next tick, unless one is pending. */
  private _applyFrequency(): void {
    if (this.isDisposed) {
      return;
    }
    const ticking = this.isPolling;
    this.poll.frequency = pollFrequency(ticking ? this._interval : 0);
    const phase = this.poll.state.phase;
    if (phase === 'refreshed' || phase === 'started') {
      return; // a tick is pending or running: it schedules the next one with the new frequency
    }
    if (ticking) {
      void this.poll.schedule({ phase: 'standby' });
    } else if (phase !== 'stopped' && phase !== 'constructed') {
      void this.poll.stop();
    }
  }

  private async _tick(): Promise<void> {
    this._running = this.generation;
    try {
      await this.load();
    } finally {
      this._running = null;
    }
  }

  private _interval: number;
  private _polling = false;
  /** The generation of the tick running now, null between ticks. */
  private _running: number | null = null;
}

export namespace PolledModel {
  export interface IOptions {
    /** Poll interval in ms; 0 never polls. */
    interval: number;
    name: string;
    standby?: Poll.Standby | (() => boolean | Poll.Standby);
  }
}
