/**
 * State of the run list, kept apart from the view: scope, filters, sort, the loaded pages,
 * the selection (for compare), and a poll that keeps running runs' status current. The filter
 * and sort vocabulary is in runfilters.ts and runsort.ts.
 */
import { JSONExt, type ReadonlyPartialJSONValue } from '@lumino/coreutils';

import { describeError } from './errors';
import { NO_FILTERS, filtersQuery, type IRunFilters } from './runfilters';
import {
  DEFAULT_SORT,
  sortByField,
  sortInDirection,
  type SortDirection
} from './runsort';
import { DEFAULT_SETTINGS } from './settings';
import { PolledModel } from './statemodel';
import type {
  IRunQuery,
  IRunsPage,
  IRunSummary,
  RunScope,
  RunStatus
} from './types';

/** Why the list is empty without asking the server. */
export type EmptyReason = 'no-notebook' | 'no-experiment' | null;

export type RunsStatus = 'idle' | 'loading' | 'ready' | 'error';

/** What the view renders. */
export interface IRunsState {
  readonly scope: RunScope;
  /** Path of the notebook in focus (relative to the server root), null when none. */
  readonly notebookPath: string | null;
  /** Experiment picked by the user for scope `experiment`; null: the notebook's. */
  readonly experiment: string | null;
  readonly filters: IRunFilters;
  /** `order` parameter, e.g. `start_time DESC` or `metrics.loss ASC`. */
  readonly sort: string;
  readonly runs: readonly IRunSummary[];
  readonly nextPageToken: string | null;
  /** Runs ticked for compare; kept while filters, scope or sort change the rows shown. */
  readonly selection: readonly string[];
  readonly status: RunsStatus;
  /** One-line message of the last failed request; null after a success. */
  readonly error: string | null;
  readonly emptyReason: EmptyReason;
  readonly loadingMore: boolean;
}

const MAX_PAGE = 1000;

/** A query as the JSON value it is sent as (for `JSONExt.deepEqual`). */
function asJSON(query: IRunQuery | null): ReadonlyPartialJSONValue {
  return query as ReadonlyPartialJSONValue;
}

export class RunsModel extends PolledModel<IRunsState> {
  constructor(options: RunsModel.IOptions) {
    super(
      {
        scope: options.scope ?? 'notebook',
        notebookPath: null,
        experiment: null,
        filters: NO_FILTERS,
        sort: DEFAULT_SORT,
        runs: [],
        nextPageToken: null,
        selection: [],
        status: 'idle',
        error: null,
        emptyReason: null,
        loadingMore: false
      },
      {
        interval: options.pollInterval ?? DEFAULT_SETTINGS.pollInterval,
        name: 'jupyter-exp:runs'
      }
    );
    this.poll.standby = () => (this._visible ? 'when-hidden' : true);
    this._fetchRuns = options.fetchRuns;
    this._pageSize = Math.min(MAX_PAGE, Math.max(1, options.pageSize ?? 50));
  }

  get pageSize(): number {
    return this._pageSize;
  }

  /** Whether the view is shown; the poll stands by while it is not. */
  get visible(): boolean {
    return this._visible;
  }
  set visible(value: boolean) {
    if (this._visible === value) {
      return;
    }
    this._visible = value;
    if (value && this.isPolling) {
      void this.refresh();
    }
  }

  /** The run in the list with this id, if loaded. */
  run(runId: string): IRunSummary | undefined {
    return this.state.runs.find(r => r.run_id === runId);
  }

  /**
   * The query of the current state, without paging; null when the scope cannot be resolved
   * (scope `notebook` without a notebook in focus).
   */
  query(state: IRunsState = this.state): IRunQuery | null {
    const query: IRunQuery = { order: state.sort };
    if (state.scope === 'notebook') {
      if (!state.notebookPath) {
        return null;
      }
      query.notebook = state.notebookPath;
    } else if (state.scope === 'experiment') {
      const experiment = state.experiment || state.notebookPath;
      if (!experiment) {
        return null;
      }
      query.experiment = experiment;
    }
    return { ...query, ...filtersQuery(state.filters) };
  }

  setScope(scope: RunScope): void {
    this._requery({ scope });
  }

  /** Set by the plugin from the notebook in focus; null when no notebook has the focus. */
  setNotebookPath(path: string | null): void {
    this._requery({ notebookPath: path || null });
  }

  /** The experiment of scope `experiment`; '' or null goes back to the notebook's. */
  setExperiment(experiment: string | null): void {
    this._requery({ experiment: experiment?.trim() || null });
  }

  setFilter<K extends keyof IRunFilters>(key: K, value: IRunFilters[K]): void {
    this._requery({ filters: { ...this.state.filters, [key]: value } });
  }

  setSearch(search: string): void {
    this.setFilter('search', search);
  }

  setStatusFilter(status: RunStatus | ''): void {
    this.setFilter('status', status);
  }

  /** `mine`, `all`, a user name, or '' for the server's default. */
  setUserFilter(user: string): void {
    this.setFilter('user', user.trim());
  }

  setSort(sort: string): void {
    this._requery({ sort });
  }

  /** Sort by an attribute (with its usual direction) or by `metrics.KEY` (direction kept). */
  setSortField(field: string): void {
    this.setSort(sortByField(this.state.sort, field));
  }

  setSortDirection(direction: SortDirection): void {
    this.setSort(sortInDirection(this.state.sort, direction));
  }

  isSelected(runId: string): boolean {
    return this.state.selection.includes(runId);
  }

  /** Select or unselect a run for comparison. */
  toggleSelected(runId: string, selected = !this.isSelected(runId)): void {
    const current = this.state.selection;
    if (selected === current.includes(runId)) {
      return;
    }
    this.patch({
      selection: selected
        ? [...current, runId]
        : current.filter(id => id !== runId)
    });
  }

  clearSelection(): void {
    this.patch({ selection: [] });
  }

  /** Append the next page. Never rejects. */
  async loadMore(): Promise<void> {
    const query = this.query();
    const token = this.state.nextPageToken;
    if (!query || !token || this.state.loadingMore) {
      return;
    }
    const generation = this.generation;
    this.patch({ loadingMore: true });
    try {
      const page = await this._fetchRuns({
        ...query,
        max_results: this._pageSize,
        page_token: token
      });
      if (!this.isCurrent(generation)) {
        return;
      }
      const known = new Set(this.state.runs.map(r => r.run_id));
      const added = page.runs.filter(r => !known.has(r.run_id));
      this.patch({
        runs: [...this.state.runs, ...added],
        nextPageToken: page.next_page_token,
        loadingMore: false,
        error: null
      });
    } catch (error) {
      if (this.isCurrent(generation)) {
        this.patch({ loadingMore: false, error: describeError(error) });
      }
    }
  }

  /** Apply a change of the query: reset the rows (the selection stays) and reload. */
  private _requery(change: Partial<IRunsState>): void {
    const next = { ...this.state, ...change };
    const after = this.query(next);
    if (JSONExt.deepEqual(asJSON(this.query()), asJSON(after))) {
      // Same query (e.g. the notebook changed while listing all runs): nothing to reload.
      this.setState(next);
      return;
    }
    this.invalidate();
    this.setState({
      ...next,
      runs: [],
      nextPageToken: null,
      status: after ? 'loading' : 'ready',
      emptyReason: after
        ? null
        : next.scope === 'notebook'
          ? 'no-notebook'
          : 'no-experiment',
      error: null,
      loadingMore: false
    });
    if (after) {
      void this.refresh();
    }
  }

  /** One request for the loaded rows; records the outcome and rethrows (so the poll backs off). */
  protected async load(): Promise<void> {
    const query = this.query();
    if (!query) {
      this.patch({
        status: 'ready',
        runs: [],
        nextPageToken: null,
        error: null,
        emptyReason:
          this.state.scope === 'notebook' ? 'no-notebook' : 'no-experiment'
      });
      return;
    }
    const generation = this.generation;
    if (this.state.status === 'idle') {
      this.patch({ status: 'loading' });
    }
    const count = Math.min(
      MAX_PAGE,
      Math.max(this._pageSize, this.state.runs.length)
    );
    try {
      const page = await this._fetchRuns({ ...query, max_results: count });
      if (!this.isCurrent(generation)) {
        return;
      }
      this.patch({
        runs: page.runs,
        nextPageToken: page.next_page_token,
        status: 'ready',
        error: null,
        emptyReason: null
      });
    } catch (error) {
      if (this.isCurrent(generation)) {
        this.patch({ status: 'error', error: describeError(error) });
      }
      throw error;
    }
  }

  private _fetchRuns: (query: IRunQuery) => Promise<IRunsPage>;
  private _pageSize: number;
  private _visible = true;
}

export namespace RunsModel {
  export interface IOptions {
    /** `GET /jupyter-exp/runs` (injected so tests need no server). */
    fetchRuns: (query: IRunQuery) => Promise<IRunsPage>;
    scope?: RunScope;
    /** Rows per page (default 50). */
    pageSize?: number;
    /** Poll interval in ms (default 2000); 0 disables polling. */
    pollInterval?: number;
  }
}
