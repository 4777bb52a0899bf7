/**
 * The checkpoints of the run in detail and registering one: a version of a named model, with an
 * alias. The promotion alias on a run that has not reproduced is refused by the server (409); then
 * "reproduce, then promote" starts a reproduction job and registers again once its verdict is exact
 * or close. Kept apart from the view; no JupyterLab imports.
 */
import { JupyterExpRequestError, describeError } from '../../errors';
import { StateModel } from '../../statemodel';
import type { IReproductionJob } from '../../types';
import type { IRegistered, IRunCheckpoints } from './types';

/** Verdicts the promotion alias accepts (the server's gate decides; this only says when to try again). */
export const PASSING_VERDICTS: readonly string[] = ['exact', 'close'];

export interface IRegisterRequest {
  runId: string;
  name: string;
  /** The checkpoint's model id. */
  checkpoint: string;
  alias: string | null;
}

/**
 * A promotion the server refused, and what became of it: `refused` (the server's line), `reproducing`
 * (the job), `promoting` (registering again), `promoted`, or `failed` (the reproduction did not come
 * back exact or close, or the job failed: `message` says why).
 */
export interface IPromotion {
  readonly request: IRegisterRequest;
  readonly phase:
    'refused' | 'reproducing' | 'promoting' | 'promoted' | 'failed';
  readonly message: string;
  readonly jobId: string | null;
  readonly verdict: string | null;
}

export interface ICheckpointsState {
  readonly runId: string | null;
  readonly list: IRunCheckpoints | null;
  readonly loading: boolean;
  /** The list could not be loaded. */
  readonly error: string | null;
  /** The last registration of this run's checkpoints. */
  readonly registered: IRegistered | null;
  /** A registration refused for another reason than the verdict (one line). */
  readonly registerError: string | null;
  readonly promotion: IPromotion | null;
}

const CLOSED: ICheckpointsState = {
  runId: null,
  list: null,
  loading: false,
  error: null,
  registered: null,
  registerError: null,
  promotion: null
};

export class CheckpointsModel extends StateModel<ICheckpointsState> {
  constructor(options: CheckpointsModel.IOptions) {
    super(CLOSED);
    this._options = options;
  }

  /** Show a run's checkpoints (loads them); null closes. */
  open(runId: string | null): Promise<void> {
    if (runId !== this.state.runId) {
      this.invalidate();
      this.setState({ ...CLOSED, runId, loading: runId !== null });
    }
    return this.reload();
  }

  /** Load the list again. Never rejects. */
  async reload(): Promise<void> {
    const runId = this.state.runId;
    if (!runId) {
      return;
    }
    const generation = this.invalidate();
    try {
      const list = await this._options.fetchCheckpoints(runId);
      if (this.isCurrent(generation)) {
        this.patch({ list, error: null, loading: false });
      }
    } catch (error) {
      if (this.isCurrent(generation)) {
        this.patch({ error: describeError(error), loading: false });
      }
    }
  }

  /** Register a checkpoint. Never rejects: a refusal of the promotion alias becomes `promotion`. */
  async register(request: IRegisterRequest): Promise<IRegistered | null> {
    try {
      const done = await this._options.register(request);
      this._patchRun(request.runId, {
        registered: done,
        registerError: null,
        promotion: null
      });
      return done;
    } catch (error) {
      if (error instanceof JupyterExpRequestError && error.status === 409) {
        this._patchRun(request.runId, {
          registerError: null,
          promotion: this._promotion(request, 'refused', describeError(error))
        });
      } else {
        this._patchRun(request.runId, { registerError: describeError(error) });
      }
      return null;
    }
  }

  /**
   * The refused promotion: reproduce the run (a job, with the reproduction's confirmations), wait for
   * its verdict, then register again. Never rejects.
   */
  async reproduceThenPromote(): Promise<void> {
    const promotion = this.state.promotion;
    if (
      !promotion ||
      (promotion.phase !== 'refused' && promotion.phase !== 'failed')
    ) {
      return;
    }
    const { request } = promotion;
    let job: IReproductionJob | null;
    try {
      job = await this._options.reproduce(request.runId);
    } catch (error) {
      this._phase(request, 'failed', describeError(error));
      return;
    }
    if (!job) {
      return; // not confirmed: still refused
    }
    this._phase(request, 'reproducing', '', job.id);
    const ended = await this._options.waitForJob(job.id);
    const verdict = ended.verdict ?? null;
    if (ended.state !== 'finished' || !verdict) {
      const why = ended.error ?? ended.state;
      this._phase(request, 'failed', why, job.id);
      return;
    }
    if (!PASSING_VERDICTS.includes(verdict)) {
      this._phase(request, 'failed', ended.summary ?? '', job.id, verdict);
      return;
    }
    this._phase(request, 'promoting', '', job.id, verdict);
    try {
      const done = await this._options.register(request);
      this._patchRun(request.runId, {
        registered: done,
        promotion: this._promotion(
          request,
          'promoted',
          '',
          job.id,
          done.verdict
        )
      });
    } catch (error) {
      this._phase(request, 'failed', describeError(error), job.id, verdict);
    }
  }

  /** Forget the refusal (the user closed it). */
  dismissPromotion(): void {
    this.patch({ promotion: null, registerError: null });
  }

  private _promotion(
    request: IRegisterRequest,
    phase: IPromotion['phase'],
    message: string,
    jobId: string | null = null,
    verdict: string | null = null
  ): IPromotion {
    return { request, phase, message, jobId, verdict };
  }

  private _phase(
    request: IRegisterRequest,
    phase: IPromotion['phase'],
    message: string,
    jobId: string | null = null,
    verdict: string | null = null
  ): void {
    this._patchRun(request.runId, {
      promotion: this._promotion(request, phase, message, jobId, verdict)
    });
  }

  /** A change for `runId`'s state, dropped when another run is shown meanwhile. */
  private _patchRun(runId: string, change: Partial<ICheckpointsState>): void {
    if (this.state.runId === runId) {
      this.patch(change);
    }
  }

  private _options: CheckpointsModel.IOptions;
}

export namespace CheckpointsModel {
  export interface IOptions {
    fetchCheckpoints(runId: string): Promise<IRunCheckpoints>;
    register(request: IRegisterRequest): Promise<IRegistered>;
    /** Start a reproduction of the run (asking what the reproduction asks); null: not started. */
    reproduce(runId: string): Promise<IReproductionJob | null>;
    /** The job once it has ended. */
    waitForJob(jobId: string): Promise<IReproductionJob>;
  }
}
