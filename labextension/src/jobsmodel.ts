/**
 * Reproduction jobs: start one (POST), poll the running ones every second until they end,
 * cancel, dismiss. Kept apart from the view; `changed` fires when what the view shows changes.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { describeError } from './errors';
import type { IJobRequest, IReproductionJob } from './types';

/** The server calls the model needs (a subset of `ExpClient`). */
export interface IJobsClient {
  startReproduction(request: IJobRequest): Promise<IReproductionJob>;
  listJobs(): Promise<IReproductionJob[]>;
  getJob(jobId: string): Promise<IReproductionJob>;
  cancelJob(jobId: string): Promise<IReproductionJob>;
}

export interface IJobsState {
  /** Jobs shown, newest first (dismissed ones left out). */
  readonly jobs: readonly IReproductionJob[];
  /** One-line message of the last failed request. */
  readonly error: string | null;
}

/** Whether a job may still change (anything not ended counts as running, e.g. a queued job). */
export function isJobActive(job: IReproductionJob): boolean {
  return (
    job.state !== 'finished' &&
    job.state !== 'failed' &&
    job.state !== 'cancelled'
  );
}

export class JobsModel implements IDisposable {
  constructor(options: JobsModel.IOptions) {
    this._client = options.client;
    this._interval = options.interval ?? 1000;
  }

  get changed(): ISignal<this, IJobsState> {
    return this._changed;
  }

  /** Emitted once per job when it ends (so the run list can show the reproduction run). */
  get jobEnded(): ISignal<this, IReproductionJob> {
    return this._jobEnded;
  }

  get state(): IJobsState {
    return this._state;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Whether running jobs are being polled. */
  get isPolling(): boolean {
    return this._poll !== null;
  }

  /** Start a reproduction; rejects (with the server's message) on bad input. */
  async start(request: IJobRequest): Promise<IReproductionJob> {
    const job = await this._client.startReproduction(request);
    this._dismissed.delete(job.id);
    this._upsert(job, null);
    return job;
  }

  /**
   * Load the jobs this server knows: running ones are shown (and polled); jobs that ended
   * before this page loaded are not. Never rejects.
   */
  async restore(): Promise<void> {
    try {
      const jobs = await this._client.listJobs();
      for (const job of jobs) {
        if (!isJobActive(job) && !this._byId.has(job.id)) {
          this._dismissed.add(job.id);
        }
        this._byId.set(job.id, job);
      }
      this._emit(null);
      this._ensurePolling();
    } catch (error) {
      this._emit(describeError(error));
    }
  }

  /** Cancel a job. Never rejects: a failure (e.g. 409, it ended meanwhile) shows as the error. */
  async cancel(jobId: string): Promise<void> {
    try {
      const job = await this._client.cancelJob(jobId);
      this._upsert(job, null);
    } catch (error) {
      this._emit(describeError(error));
      try {
        this._upsert(await this._client.getJob(jobId), this._state.error);
      } catch {
        // The error above already says what went wrong.
      }
    }
  }

  /** Hide an ended job. */
  dismiss(jobId: string): void {
    this._dismissed.add(jobId);
    this._emit(this._state.error);
  }

  /** Fetch every running job once; rethrows the first failure (so the poll backs off). */
  async update(): Promise<void> {
    const active = [...this._byId.values()].filter(isJobActive);
    let failure: unknown = null;
    await Promise.all(
      active.map(async job => {
        try {
          this._byId.set(job.id, await this._client.getJob(job.id));
        } catch (error) {
          failure = failure ?? error;
        }
      })
    );
    this._emit(failure ? describeError(failure) : null);
    if (!this._hasActive()) {
      this._stopPolling();
    }
    if (failure) {
      throw failure;
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._stopPolling();
    Signal.clearData(this);
  }

  private _upsert(job: IReproductionJob, error: string | null): void {
    this._byId.set(job.id, job);
    this._emit(error);
    if (this._hasActive()) {
      this._ensurePolling();
    } else {
      this._stopPolling();
    }
  }

  private _hasActive(): boolean {
    return [...this._byId.values()].some(isJobActive);
  }

  private _ensurePolling(): void {
    if (this._isDisposed || this._poll || !this._hasActive()) {
      return;
    }
    this._poll = new Poll({
      auto: true,
      factory: () => this.update(),
      frequency: { interval: this._interval, backoff: true, max: 30_000 },
      name: 'jupyter-exp:jobs',
      standby: 'never'
    });
  }

  private _stopPolling(): void {
    if (this._poll) {
      const poll = this._poll;
      this._poll = null;
      // Disposing from inside the poll's own tick is safe: the next tick is not scheduled.
      poll.dispose();
    }
  }

  /** Recompute the state, emit `jobEnded` for jobs that just ended, and `changed` if needed. */
  private _emit(error: string | null): void {
    if (this._isDisposed) {
      return;
    }
    for (const job of this._byId.values()) {
      if (
        !isJobActive(job) &&
        !this._ended.has(job.id) &&
        !this._dismissed.has(job.id)
      ) {
        this._ended.add(job.id);
        this._jobEnded.emit(job);
      } else if (!isJobActive(job)) {
        this._ended.add(job.id);
      }
    }
    const jobs = [...this._byId.values()]
      .filter(job => !this._dismissed.has(job.id))
      .sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
    const next: IJobsState = { jobs, error };
    if (JSON.stringify(next) === JSON.stringify(this._state)) {
      return;
    }
    this._state = next;
    this._changed.emit(next);
  }

  private _client: IJobsClient;
  private _interval: number;
  private _byId = new Map<string, IReproductionJob>();
  private _dismissed = new Set<string>();
  private _ended = new Set<string>();
  private _state: IJobsState = { jobs: [], error: null };
  private _poll: Poll | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, IJobsState>(this);
  private _jobEnded = new Signal<this, IReproductionJob>(this);
}

export namespace JobsModel {
  export interface IOptions {
    client: IJobsClient;
    /** Poll interval of running jobs in ms (default 1000). */
    interval?: number;
  }
}
