/**
 * The run shown in detail: its record, its metric curves (downsampled to 100 points) and the runs it
 * links to (a seed group's parent or children, reproductions both ways).
 */
import { describeError } from './errors';
import { RunShownModel } from './statemodel';
import type {
  IRunDetail,
  IRunMetrics,
  IMetricSeries,
  IRunRelations
} from './types';

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
  /** Parent, children, reproductions; null until loaded, or from a server without them. */
  readonly relations?: IRunRelations | null;
}

const CLOSED: IDetailState = {
  runId: null,
  detail: null,
  series: {},
  loading: false,
  error: null,
  seriesError: null,
  relations: null
};

export class DetailModel extends RunShownModel<IDetailState> {
  constructor(options: DetailModel.IOptions) {
    super(CLOSED);
    this._fetchRun = options.fetchRun;
    this._fetchMetrics = options.fetchMetrics;
    this._fetchRelations = options.fetchRelations ?? null;
  }

  /** Reload the run shown (e.g. after the list saw its status change). Never rejects. */
  async reload(): Promise<void> {
    const runId = this.state.runId;
    if (!runId) {
      return;
    }
    const generation = this.invalidate();
    const [run, metrics, relations] = await Promise.allSettled([
      this._fetchRun(runId),
      this._fetchMetrics(runId, SPARKLINE_POINTS),
      this._fetchRelations ? this._fetchRelations(runId) : Promise.resolve(null)
    ]);
    if (!this.isCurrent(generation)) {
      return;
    }
    this.setState({
      runId,
      detail: run.status === 'fulfilled' ? run.value : this.state.detail,
      error: run.status === 'rejected' ? describeError(run.reason) : null,
      series:
        metrics.status === 'fulfilled'
          ? (metrics.value.series ?? {})
          : this.state.series,
      seriesError:
        metrics.status === 'rejected' ? describeError(metrics.reason) : null,
      // an older server has no relations: the detail shows without them
      relations:
        relations.status === 'fulfilled'
          ? relations.value
          : runId === this.state.relations?.run_id
            ? this.state.relations
            : null,
      loading: false
    });
  }

  private _fetchRun: (runId: string) => Promise<IRunDetail>;
  private _fetchMetrics: (
    runId: string,
    maxPoints: number
  ) => Promise<IRunMetrics>;
  private _fetchRelations: ((runId: string) => Promise<IRunRelations>) | null;
}

export namespace DetailModel {
  export interface IOptions {
    fetchRun: (runId: string) => Promise<IRunDetail>;
    fetchMetrics: (runId: string, maxPoints: number) => Promise<IRunMetrics>;
    /** `GET runs/<id>/relations`; without it the detail has no relations. */
    fetchRelations?: (runId: string) => Promise<IRunRelations>;
  }
}
