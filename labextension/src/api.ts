/**
 * One function per route of the server extension (docs/rest-api.md), over an injected request
 * function (`requestAPI` in the lab, a fake in tests). No JupyterLab imports.
 */
import { parseStoreInfo } from './format';
import type {
  IComparison,
  IJobRequest,
  IReproductionJob,
  IRunDetail,
  IRunMetrics,
  IRunQuery,
  IRunsPage,
  IRunRelations,
  IStoreInfo
} from './types';
import type { ISweep } from './widgets/sweep/types';

/** Signature of `requestAPI`: `<baseUrl>/jupyter-exp/<endPoint>`, JSON answer. */
export type RequestFunction = <T>(
  endPoint?: string,
  init?: RequestInit
) => Promise<T>;

/** `?a=1&b=2`, or '' when there are no parameters. */
function withQuery(endPoint: string, params: URLSearchParams): string {
  const query = params.toString();
  return query ? `${endPoint}?${query}` : endPoint;
}

/** The path of one run's route: `runs/<encoded id>[/suffix]`. */
export function runPath(runId: string, suffix = ''): string {
  return `runs/${encodeURIComponent(runId)}${suffix ? '/' + suffix : ''}`;
}

/** Query parameters of `GET /jupyter-exp/runs`; empty values are left out. */
export function runsQueryParams(query: IRunQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.notebook) {
    params.set('notebook', query.notebook);
  }
  if (query.experiment) {
    params.set('experiment', query.experiment);
  }
  if (query.status && query.status.length > 0) {
    params.set('status', query.status.join(','));
  }
  for (const tag of query.tags ?? []) {
    params.append('tag', tag);
  }
  if (query.user && query.user.trim()) {
    params.set('user', query.user.trim());
  }
  if (query.filter && query.filter.trim()) {
    params.set('filter', query.filter.trim());
  }
  if (query.order) {
    params.set('order', query.order);
  }
  if (query.max_results !== undefined) {
    params.set('max_results', String(query.max_results));
  }
  if (query.page_token) {
    params.set('page_token', query.page_token);
  }
  return params;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** Validate the shape of a runs page, so a server mismatch shows as a readable error. */
export function parseRunsPage(data: unknown): IRunsPage {
  if (!isObject(data) || !Array.isArray(data.runs)) {
    throw new TypeError(
      'Unexpected answer from /jupyter-exp/runs: no "runs" list'
    );
  }
  const runs = data.runs.filter(
    (run): run is IRunsPage['runs'][number] =>
      isObject(run) && typeof run.run_id === 'string'
  );
  for (const run of runs) {
    if (!isObject(run.metrics)) {
      run.metrics = {};
    }
  }
  const token = data.next_page_token;
  return {
    runs,
    next_page_token: typeof token === 'string' && token ? token : null
  };
}

/** The jupyter-exp REST client. */
export class ExpClient {
  constructor(request: RequestFunction) {
    this._request = request;
  }

  async store(): Promise<IStoreInfo> {
    return parseStoreInfo(await this._request<unknown>('store'));
  }

  async listRuns(query: IRunQuery = {}): Promise<IRunsPage> {
    const data = await this._request<unknown>(
      withQuery('runs', runsQueryParams(query))
    );
    return parseRunsPage(data);
  }

  getRun(runId: string): Promise<IRunDetail> {
    return this._request<IRunDetail>(runPath(runId));
  }

  getMetrics(
    runId: string,
    options: { keys?: string[]; maxPoints?: number } = {}
  ): Promise<IRunMetrics> {
    const params = new URLSearchParams();
    if (options.keys && options.keys.length > 0) {
      params.set('keys', options.keys.join(','));
    }
    if (options.maxPoints !== undefined) {
      params.set('max_points', String(options.maxPoints));
    }
    return this._request<IRunMetrics>(
      withQuery(runPath(runId, 'metrics'), params)
    );
  }

  /** The runs a run links to (parent, children, reproductions) and a parent's group summary. */
  getRelations(runId: string): Promise<IRunRelations> {
    return this._request<IRunRelations>(runPath(runId, 'relations'));
  }

  /** A sweep's trials, best trial and param importance (its parent run's id). */
  getSweep(runId: string): Promise<ISweep> {
    return this._request<ISweep>(`sweeps/${encodeURIComponent(runId)}`);
  }

  /** The recorded notebook (nbformat JSON). */
  getSnapshot(runId: string): Promise<unknown> {
    return this._request<unknown>(runPath(runId, 'snapshot'));
  }

  compare(runIds: string[], maxPoints?: number): Promise<IComparison> {
    const params = new URLSearchParams({ run_ids: runIds.join(',') });
    if (maxPoints !== undefined) {
      params.set('max_points', String(maxPoints));
    }
    return this._request<IComparison>(withQuery('compare', params));
  }

  startReproduction(request: IJobRequest): Promise<IReproductionJob> {
    return this._request<IReproductionJob>('reproductions', {
      method: 'POST',
      body: JSON.stringify(request)
    });
  }

  async listJobs(): Promise<IReproductionJob[]> {
    const data = await this._request<{ jobs?: IReproductionJob[] }>(
      'reproductions'
    );
    return Array.isArray(data?.jobs) ? data.jobs : [];
  }

  getJob(jobId: string): Promise<IReproductionJob> {
    return this._request<IReproductionJob>(
      `reproductions/${encodeURIComponent(jobId)}`
    );
  }

  cancelJob(jobId: string): Promise<IReproductionJob> {
    return this._request<IReproductionJob>(
      `reproductions/${encodeURIComponent(jobId)}/cancel`,
      { method: 'POST' }
    );
  }

  private _request: RequestFunction;
}
