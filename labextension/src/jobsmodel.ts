/**
 * Reproduction jobs: start one (POST), poll the running ones every second until they end,
 * cancel, dismiss. Kept apart from the view; `changed` fires when what the view shows changes.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { describeError } from './errors';
import { PolledModel } from './statemodel';
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

export class JobsModel extends PolledModel<IJobsState> {
  constructor(options: JobsModel.IOptions) {
    super(
      { jobs: [], error: null },
      {
        interval: options.interval ?? 1000,
        name: 'jupyter-exp:jobs',
        standby: 'never'
      }
    );
    this._client = options.client;
  }

  /** Emitted once per job when it ends (so the run list can show the reproduction run). */
  get jobEnded(): ISignal<this, IReproductionJob> {
    return this._jobEnded;
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
      this._followActive();
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
        this._upsert(await this._client.getJob(jobId), this.state.error);
      } catch {
        // The error above already says what went wrong.
      }
    }
  }

  /** Hide an ended job. */
  dismiss(jobId: string): void {
    this._dismissed.add(jobId);
    this._emit(this.state.error);
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
    this._followActive();
    if (failure) {
      throw failure;
    }
  }

  protected load(): Promise<void> {
    return this.update();
  }

  private _upsert(job: IReproductionJob, error: string | null): void {
    this._byId.set(job.id, job);
    this._emit(error);
    this._followActive();
  }

  /** Poll while a job runs, not otherwise. */
  private _followActive(): void {
    if (this.isDisposed) {
      return;
    }
    if ([...this._byId.values()].some(isJobActive)) {
      this.startPolling();
    } else {
      this.stopPolling();
    }
  }

  /** Recompute the state, emit `jobEnded` for jobs that just ended, and `changed` if needed. */
  private _emit(error: string | null): void {
    if (this.isDisposed) {
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
    this.setState({ jobs, error });
  }

  private _client: IJobsClient;
  private _byId = new Map<string, IReproductionJob>();
  private _dismissed = new Set<string>();
  private _ended = new Set<string>();
  private _jobEnded = new Signal<this, IReproductionJob>(this);
}

export namespace JobsModel {
  export interface IOptions {
    client: IJobsClient;
    /** Poll interval of running jobs in ms (default 1000). */
    interval?: number;
  }
}
