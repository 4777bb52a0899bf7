/**
 * The sweep view's model: the sweep shown (loaded from `GET sweeps/<parent>`), how its trials are
 * sorted, and "verify top k": a reproduction job for each of the best k complete trials (the jobs
 * endpoint the sidebar uses, asking once before running code another user recorded), each trial's
 * job state and verdict followed as the jobs model polls them. No DOM.
 */
import type { ISignal } from '@lumino/signaling';

import { JupyterExpRequestError, describeError } from '../../errors';
import { RunShownModel } from '../../statemodel';
import type { IJobRequest, IReproductionJob, Verdict } from '../../types';
import type { ISweep, ISweepTrial, ParamValue } from './types';

/** What the table is sorted by: a fixed column or `param:<key>`. */
export type SortKey = 'number' | 'state' | 'value' | `param:${string}`;

export interface ISort {
  readonly key: SortKey;
  readonly descending: boolean;
}

/** A trial's reproduction started from this view. */
export interface IVerification {
  readonly jobId: string;
  /** The job's state: queued, running, finished, failed, cancelled… */
  readonly state: string;
  readonly verdict: Verdict | null;
  readonly error: string | null;
}

export interface ISweepState {
  /** The parent run shown; null when the view is closed. */
  readonly runId: string | null;
  readonly sweep: ISweep | null;
  readonly loading: boolean;
  readonly error: string | null;
  /** null: best first (by the sweep's direction). */
  readonly sort: ISort | null;
  /** By trial run id. */
  readonly verifying: Readonly<Record<string, IVerification>>;
  /** Starting the verification failed (one line). */
  readonly verifyError: string | null;
}

/** What the model needs of the jobs model (a subset of `JobsModel`). */
export interface ISweepJobs {
  start(request: IJobRequest): Promise<IReproductionJob>;
  readonly state: { readonly jobs: readonly IReproductionJob[] };
  readonly changed: ISignal<unknown, unknown>;
}

const CLOSED: ISweepState = {
  runId: null,
  sweep: null,
  loading: false,
  error: null,
  sort: null,
  verifying: {},
  verifyError: null
};

const STATE_ORDER: Record<string, number> = {
  COMPLETE: 0,
  RUNNING: 1,
  PRUNED: 2,
  FAIL: 3
};

/** A value comparable across trials: numbers as numbers, text as text, missing as null. */
function comparable(value: ParamValue | undefined): number | string | null {
  if (value === undefined || value === null || value === '') {
    return null;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return Number(value);
  }
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
}

function sortValue(trial: ISweepTrial, key: SortKey): number | string | null {
  if (key === 'number') {
    return trial.number;
  }
  if (key === 'state') {
    return STATE_ORDER[trial.state] ?? 4;
  }
  if (key === 'value') {
    return trial.state === 'COMPLETE' ? trial.value : null;
  }
  return comparable(trial.params[key.slice('param:'.length)]);
}

/** The trials in the table's order; missing values last either way, then by trial number. */
export function sortTrials(
  trials: readonly ISweepTrial[],
  sort: ISort | null,
  direction: ISweep['direction']
): ISweepTrial[] {
  const { key, descending } = sort ?? {
    key: 'value' as const,
    descending: direction === 'maximize'
  };
  const sign = descending ? -1 : 1;
  const byNumber = (a: ISweepTrial, b: ISweepTrial) =>
    (a.number ?? Infinity) - (b.number ?? Infinity);
  return [...trials].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === null || y === null) {
      return x === y ? byNumber(a, b) : x === null ? 1 : -1;
    }
    const order =
      typeof x === 'number' && typeof y === 'number'
        ? x - y
        : String(x).localeCompare(String(y));
    return order !== 0 ? sign * order : byNumber(a, b);
  });
}

/** The best `k` complete trials with a value, best first. */
export function topTrials(sweep: ISweep, k: number): ISweepTrial[] {
  const valued = sweep.trials.filter(
    t => t.state === 'COMPLETE' && t.value !== null
  );
  return sortTrials(valued, null, sweep.direction).slice(0, Math.max(0, k));
}

export class SweepModel extends RunShownModel<ISweepState> {
  constructor(options: SweepModel.IOptions) {
    super(CLOSED);
    this._fetchSweep = options.fetchSweep;
    this._jobs = options.jobs;
    this._confirmForeign = options.confirmForeign;
    this._jobs.changed.connect(this._onJobsChanged, this);
  }

  /** The trials in the order shown. */
  get rows(): ISweepTrial[] {
    const sweep = this.state.sweep;
    return sweep
      ? sortTrials(sweep.trials, this.state.sort, sweep.direction)
      : [];
  }

  /** Load the sweep again. Never rejects: a failure is the state's error. */
  async reload(): Promise<void> {
    const runId = this.state.runId;
    if (!runId) {
      return;
    }
    const generation = this.invalidate();
    this.patch({ loading: true });
    try {
      const sweep = await this._fetchSweep(runId);
      if (this.isCurrent(generation)) {
        this.patch({ sweep, loading: false, error: null });
      }
    } catch (error) {
      if (this.isCurrent(generation)) {
        this.patch({ loading: false, error: describeError(error) });
      }
    }
  }

  /** Sort by `key`; the same key again reverses the order. */
  setSort(key: SortKey): void {
    const current = this.state.sort;
    const descending =
      current?.key === key ? !current.descending : key === 'value';
    this.patch({ sort: { key, descending } });
  }

  /**
   * Reproduce the best `k` complete trials (those not already being verified here), one job each.
   * A 409 (another user recorded the run) asks once; declined, nothing more is started. Never rejects.
   */
  async verifyTop(k: number): Promise<void> {
    const sweep = this.state.sweep;
    if (!sweep) {
      return;
    }
    const runId = this.state.runId;
    let confirmed = false;
    this.patch({ verifyError: null });
    for (const trial of topTrials(sweep, k)) {
      if (this.state.verifying[trial.run_id] || this.state.runId !== runId) {
        continue;
      }
      const request: IJobRequest = { run_id: trial.run_id };
      let started: { job: IReproductionJob; confirmed: boolean };
      try {
        started = await this._start(request, confirmed);
      } catch (error) {
        if (!(error instanceof Declined)) {
          this.patch({ verifyError: describeError(error) });
        }
        return;
      }
      confirmed = started.confirmed;
      this._follow(trial.run_id, started.job);
    }
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._jobs.changed.disconnect(this._onJobsChanged, this);
    }
    super.dispose();
  }

  /**
   * Start a job; on a 409 ask (unless already confirmed) and start it again confirmed. Resolves with
   * the job and whether the user has confirmed running another user's code.
   */
  private async _start(
    request: IJobRequest,
    confirmed: boolean
  ): Promise<{ job: IReproductionJob; confirmed: boolean }> {
    try {
      const job = await this._jobs.start({
        ...request,
        ...(confirmed ? { confirm_foreign: true } : {})
      });
      return { job, confirmed };
    } catch (error) {
      if (
        confirmed ||
        !(error instanceof JupyterExpRequestError) ||
        error.status !== 409
      ) {
        throw error;
      }
      if (!(await this._confirmForeign(describeError(error)))) {
        throw new Declined();
      }
      const job = await this._jobs.start({ ...request, confirm_foreign: true });
      return { job, confirmed: true };
    }
  }

  private _follow(trialRunId: string, job: IReproductionJob): void {
    this.patch({
      verifying: { ...this.state.verifying, [trialRunId]: verification(job) }
    });
  }

  private _onJobsChanged(): void {
    const byId = new Map(this._jobs.state.jobs.map(job => [job.id, job]));
    const verifying: Record<string, IVerification> = {};
    for (const [runId, entry] of Object.entries(this.state.verifying)) {
      const job = byId.get(entry.jobId);
      verifying[runId] = job ? verification(job) : entry;
    }
    this.patch({ verifying });
  }

  private _fetchSweep: (runId: string) => Promise<ISweep>;
  private _jobs: ISweepJobs;
  private _confirmForeign: (message: string) => Promise<boolean>;
}

/** The user declined to run another user's code. */
class Declined extends Error {}

function verification(job: IReproductionJob): IVerification {
  return {
    jobId: job.id,
    state: job.state,
    verdict: job.verdict,
    error: job.error
  };
}

export namespace SweepModel {
  export interface IOptions {
    fetchSweep: (runId: string) => Promise<ISweep>;
    jobs: ISweepJobs;
    /** Asked with the server's message when a run is another user's: run their code? */
    confirmForeign: (message: string) => Promise<boolean>;
  }
}
