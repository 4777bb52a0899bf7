/**
 * The run shown in detail: its record and its metric curves (downsampled to 100 points).
 */
import { describeError } from './errors';
import { StateModel } from './statemodel';
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

export class DetailModel extends StateModel<IDetailState> {
  constructor(options: DetailModel.IOptions) {
    super(CLOSED);
    this._fetchRun = options.fetchRun;
    this._fetchMetrics = options.fetchMetrics;
  }

  get runId(): string | null {
    return this.state.runId;
  }

  /** Show a run (loads it); the same run again reloads it. */
  open(runId: string): Promise<void> {
    if (runId !== this.state.runId) {
      this.setState({ ...CLOSED, runId, loading: true });
    }
    return this.reload();
  }

  close(): void {
    this.invalidate();
    this.setState(CLOSED);
  }

  /** Reload the run shown (e.g. after the list saw its status change). Never rejects. */
  async reload(): Promise<void> {
    const runId = this.state.runId;
    if (!runId) {
      return;
    }
    const generation = this.invalidate();
    const [run, metrics] = await Promise.allSettled([
      this._fetchRun(runId),
      this._fetchMetrics(runId, SPARKLINE_POINTS)
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
      loading: false
    });
  }

  private _fetchRun: (runId: string) => Promise<IRunDetail>;
  private _fetchMetrics: (
    runId: string,
    maxPoints: number
  ) => Promise<IRunMetrics>;
}

export namespace DetailModel {
  export interface IOptions {
    fetchRun: (runId: string) => Promise<IRunDetail>;
    fetchMetrics: (runId: string, maxPoints: number) => Promise<IRunMetrics>;
  }
}
