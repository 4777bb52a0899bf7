/**
 * The run shown in detail: its record and its metric curves (downsampled to 100 points).
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { describeError } from './errors';
import type { IRunDetail, IRunMetrics, IMetricSeries } from './types';

/** Points per sparkline. */
export const SPARKLINE_POINTS = 100;

export interface IDetailState {
  /** The run shown; null when the detail is closed. */
  readonly runId: string | null;
  readonly detail: IRunDetail | null;
  readonly series: Readonly<Record<string, IMetricSeries>>;
  readonly loading: boolean;
  /** The run could not be loaded. */
  readonly error: string | null;
  /** The curves could not be loaded (the rest of the detail still shows). */
  readonly seriesError: string | null;
}

const CLOSED: IDetailState = {
  runId: null,
  detail: null,
  series: {},
  loading: false,
  error: null,
  seriesError: null
};

export class DetailModel implements IDisposable {
  constructor(options: DetailModel.IOptions) {
    this._fetchRun = options.fetchRun;
    this._fetchMetrics = options.fetchMetrics;
  }

  get changed(): ISignal<this, IDetailState> {
    return this._changed;
  }

  get state(): IDetailState {
    return this._state;
  }

  get runId(): string | null {
    return this._state.runId;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Show a run (loads it); the same run again reloads it. */
  open(runId: string): Promise<void> {
    if (runId !== this._state.runId) {
      this._set({ ...CLOSED, runId, loading: true });
    }
    return this.reload();
  }

  close(): void {
    this._generation++;
    this._set(CLOSED);
  }

  /** Reload the run shown (e.g. after the list saw its status change). Never rejects. */
  async reload(): Promise<void> {
    const runId = this._state.runId;
    if (!runId) {
      return;
    }
    const generation = ++this._generation;
    const [run, metrics] = await Promise.allSettled([
      this._fetchRun(runId),
      this._fetchMetrics(runId, SPARKLINE_POINTS)
    ]);
    if (generation !== this._generation || this._isDisposed) {
      return;
    }
    this._set({
      runId,
      detail: run.status === 'fulfilled' ? run.value : this._state.detail,
      error: run.status === 'rejected' ? describeError(run.reason) : null,
      series:
        metrics.status === 'fulfilled'
          ? (metrics.value.series ?? {})
          : this._state.series,
      seriesError:
        metrics.status === 'rejected' ? describeError(metrics.reason) : null,
      loading: false
    });
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _set(next: IDetailState): void {
    if (JSON.stringify(next) === JSON.stringify(this._state)) {
      return;
    }
    this._state = next;
    this._changed.emit(next);
  }

  private _fetchRun: (runId: string) => Promise<IRunDetail>;
  private _fetchMetrics: (
    runId: string,
    maxPoints: number
  ) => Promise<IRunMetrics>;
  private _state: IDetailState = CLOSED;
  private _generation = 0;
  private _isDisposed = false;
  private _changed = new Signal<this, IDetailState>(this);
}

export namespace DetailModel {
  export interface IOptions {
    fetchRun: (runId: string) => Promise<IRunDetail>;
    fetchMetrics: (runId: string, maxPoints: number) => Promise<IRunMetrics>;
  }
}
