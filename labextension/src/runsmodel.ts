/**
 * State of the run list, kept apart from the view: scope, filters, sort, the loaded pages,
 * the selection (for compare), and a poll that keeps running runs' status current.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { describeError } from './errors';
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
  /** MLflow filter string, sent as `filter`. */
  readonly search: string;
  /** '' for all statuses. */
  readonly statusFilter: RunStatus | '';
  /** `order` parameter, e.g. `start_time DESC`. */
  readonly sort: string;
  readonly runs: readonly IRunSummary[];
  readonly nextPageToken: string | null;
  readonly selection: readonly string[];
  readonly status: RunsStatus;
  /** One-line message of the last failed request; null after a success. */
  readonly error: string | null;
  readonly emptyReason: EmptyReason;
  readonly loadingMore: boolean;
}

/** Sort orders offered by the view. */
export const SORT_OPTIONS: readonly { value: string; label: string }[] = [
  { value: 'start_time DESC', label: 'Newest first' },
  { value: 'start_time ASC', label: 'Oldest first' },
  { value: 'end_time DESC', label: 'Recently ended' },
  { value: 'run_name ASC', label: 'Name' },
  { value: 'status ASC', label: 'Status' }
];

export const STATUS_OPTIONS: readonly RunStatus[] = [
  'RUNNING',
  'FINISHED',
  'FAILED',
  'KILLED',
  'SCHEDULED'
];

/** Backoff ceiling of the poll while the server keeps failing. */
const MAX_POLL_INTERVAL = 60_000;
const MAX_PAGE = 1000;

export class RunsModel implements IDisposable {
  constructor(options: RunsModel.IOptions) {
    this._fetchRuns = options.fetchRuns;
    this._pageSize = Math.min(MAX_PAGE, Math.max(1, options.pageSize ?? 50));
    this._pollInterval = options.pollInterval ?? 2000;
    this._state = {
      scope: options.scope ?? 'notebook',
      notebookPath: null,
      experiment: null,
      search: '',
      statusFilter: '',
      sort: SORT_OPTIONS[0].value,
      runs: [],
      nextPageToken: null,
      selection: [],
      status: 'idle',
      error: null,
      emptyReason: null,
      loadingMore: false
    };
  }

  /** Emitted with the new state whenever what the view shows changes. */
  get changed(): ISignal<this, IRunsState> {
    return this._changed;
  }

  get state(): IRunsState {
    return this._state;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get isPolling(): boolean {
    return this._poll !== null;
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
    if (value && this._poll) {
      void this._poll.refresh();
    }
  }

  /** The run in the list with this id, if loaded. */
  run(runId: string): IRunSummary | undefined {
    return this._state.runs.find(r => r.run_id === runId);
  }

  /**
   * The query of the current state, without paging; null when the scope cannot be resolved
   * (scope `notebook` without a notebook in focus).
   */
  query(): IRunQuery | null {
    const s = this._state;
    const query: IRunQuery = { order: s.sort };
    if (s.scope === 'notebook') {
      if (!s.notebookPath) {
        return null;
      }
      query.notebook = s.notebookPath;
    } else if (s.scope === 'experiment') {
      const experiment = s.experiment || s.notebookPath;
      if (!experiment) {
        return null;
      }
      query.experiment = experiment;
    }
    if (s.statusFilter) {
      query.status = [s.statusFilter];
    }
    if (s.search.trim()) {
      query.filter = s.search.trim();
    }
    return query;
  }

  setScope(scope: RunScope): void {
    this._update({ scope });
  }

  /** Set by the plugin from the notebook in focus; null when no notebook has the focus. */
  setNotebookPath(path: string | null): void {
    this._update({ notebookPath: path || null });
  }

  /** The experiment of scope `experiment`; '' or null goes back to the notebook's. */
  setExperiment(experiment: string | null): void {
    this._update({ experiment: experiment?.trim() || null });
  }

  setSearch(search: string): void {
    this._update({ search });
  }

  setStatusFilter(status: RunStatus | ''): void {
    this._update({ statusFilter: status });
  }

  setSort(sort: string): void {
    this._update({ sort });
  }

  /** Set the poll interval (ms); 0 turns polling off. */
  setPollInterval(interval: number): void {
    if (interval === this._pollInterval) {
      return;
    }
    this._pollInterval = interval;
    if (this._poll) {
      this.stopPolling();
      this.startPolling();
    }
  }

  isSelected(runId: string): boolean {
    return this._state.selection.includes(runId);
  }

  /** Select or unselect a run for comparison. */
  toggleSelected(runId: string, selected = !this.isSelected(runId)): void {
    const current = this._state.selection;
    if (selected === current.includes(runId)) {
      return;
    }
    const selection = selected
      ? [...current, runId]
      : current.filter(id => id !== runId);
    this._setState({ ...this._state, selection });
  }

  clearSelection(): void {
    if (this._state.selection.length > 0) {
      this._setState({ ...this._state, selection: [] });
    }
  }

  /**
   * Reload the listed runs (as many as are loaded, at least one page). Never rejects:
   * a failure is recorded in `state.error`. Concurrent calls share one request.
   */
  refresh(): Promise<IRunsState> {
    if (!this._pending) {
      const pending = this._load()
        .catch(() => undefined)
        .then(() => {
          if (this._pending === pending) {
            this._pending = null;
          }
          return this._state;
        });
      this._pending = pending;
    }
    return this._pending;
  }

  /** Append the next page. Never rejects. */
  async loadMore(): Promise<void> {
    const query = this.query();
    const token = this._state.nextPageToken;
    if (!query || !token || this._state.loadingMore) {
      return;
    }
    const generation = this._generation;
    this._setState({ ...this._state, loadingMore: true });
    try {
      const page = await this._fetchRuns({
        ...query,
        max_results: this._pageSize,
        page_token: token
      });
      if (generation !== this._generation) {
        return;
      }
      const known = new Set(this._state.runs.map(r => r.run_id));
      const added = page.runs.filter(r => !known.has(r.run_id));
      this._setState({
        ...this._state,
        runs: [...this._state.runs, ...added],
        nextPageToken: page.next_page_token,
        loadingMore: false,
        error: null
      });
    } catch (error) {
      if (generation === this._generation) {
        this._setState({
          ...this._state,
          loadingMore: false,
          error: describeError(error)
        });
      }
    }
  }

  /** Poll every `pollInterval` ms (backoff on errors, standby while hidden); 0 disables it. */
  startPolling(): void {
    if (this._isDisposed || this._poll || this._pollInterval <= 0) {
      return;
    }
    const interval = this._pollInterval;
    this._poll = new Poll({
      auto: true,
      factory: () => this._load(),
      frequency: {
        interval,
        backoff: true,
        max: Math.max(MAX_POLL_INTERVAL, interval)
      },
      name: 'jupyter-exp:runs',
      standby: () => (this._visible ? 'when-hidden' : true)
    });
  }

  stopPolling(): void {
    if (this._poll) {
      this._poll.dispose();
      this._poll = null;
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.stopPolling();
    Signal.clearData(this);
  }

  /** Apply a change of the query: reset the list and reload. */
  private _update(change: Partial<IRunsState>): void {
    const next = { ...this._state, ...change };
    const before = this.query();
    this._state = next;
    const after = this.query();
    if (JSON.stringify(before) === JSON.stringify(after)) {
      // Same query (e.g. the notebook changed while listing all runs): nothing to reload.
      this._state = { ...next };
      this._changed.emit(this._state);
      return;
    }
    this._generation++;
    this._pending = null;
    this._state = {
      ...next,
      runs: [],
      nextPageToken: null,
      selection: [],
      status: after ? 'loading' : 'ready',
      emptyReason: after
        ? null
        : next.scope === 'notebook'
          ? 'no-notebook'
          : 'no-experiment',
      error: null,
      loadingMore: false
    };
    this._changed.emit(this._state);
    if (after) {
      void this.refresh();
    }
  }

  /** One request for the loaded rows; records the outcome and rethrows (so the poll backs off). */
  private async _load(): Promise<void> {
    const query = this.query();
    if (!query) {
      this._setState({
        ...this._state,
        status: 'ready',
        runs: [],
        nextPageToken: null,
        selection: [],
        error: null,
        emptyReason:
          this._state.scope === 'notebook' ? 'no-notebook' : 'no-experiment'
      });
      return;
    }
    const generation = this._generation;
    if (this._state.status === 'idle') {
      this._setState({ ...this._state, status: 'loading' });
    }
    const count = Math.min(
      MAX_PAGE,
      Math.max(this._pageSize, this._state.runs.length)
    );
    try {
      const page = await this._fetchRuns({ ...query, max_results: count });
      if (generation !== this._generation) {
        return;
      }
      const ids = new Set(page.runs.map(r => r.run_id));
      this._setState({
        ...this._state,
        runs: page.runs,
        nextPageToken: page.next_page_token,
        selection: this._state.selection.filter(id => ids.has(id)),
        status: 'ready',
        error: null,
        emptyReason: null
      });
    } catch (error) {
      if (generation === this._generation) {
        this._setState({
          ...this._state,
          status: 'error',
          error: describeError(error)
        });
      }
      throw error;
    }
  }

  private _setState(next: IRunsState): void {
    if (this._isDisposed || RunsModel.sameState(this._state, next)) {
      return;
    }
    this._state = next;
    this._changed.emit(next);
  }

  private _fetchRuns: (query: IRunQuery) => Promise<IRunsPage>;
  private _pageSize: number;
  private _pollInterval: number;
  private _state: IRunsState;
  private _visible = true;
  private _generation = 0;
  private _pending: Promise<IRunsState> | null = null;
  private _poll: Poll | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, IRunsState>(this);
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

  /** Whether two states render the same. */
  export function sameState(a: IRunsState, b: IRunsState): boolean {
    if (a === b) {
      return true;
    }
    const keys = Object.keys(a) as (keyof IRunsState)[];
    return keys.every(key =>
      key === 'runs' || key === 'selection'
        ? JSON.stringify(a[key]) === JSON.stringify(b[key])
        : a[key] === b[key]
    );
  }
}
