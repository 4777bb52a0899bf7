/**
 * The run list's filter vocabulary: which filters there are, how each narrows the `runs` query,
 * and what they say about the rows. Pure, no JupyterLab imports.
 */
import type { IRunQuery, IRunSummary, RunStatus } from './types';

/**
 * The filters of the list. Each one adds its parameters to the query in `FILTER_QUERY`; a new
 * filter is a field here, its default in `NO_FILTERS` and its entry there.
 */
export interface IRunFilters {
  /**
   * The filter box's text, sent as `filter`: words, `lr=0.2` or MLflow syntax; the server translates
   * it (jupyter_exp/query/search_text.py) and its 400 message, shown as the list's error, says how to
   * write one.
   */
  readonly search: string;
  /** '' for all statuses. */
  readonly status: RunStatus | '';
  /**
   * Whose runs, sent as `user`: `mine`, `all` or a user name; '' sends nothing, so the server's
   * default applies (mine on a shared store, everyone's on a local one).
   */
  readonly user: string;
}

export const NO_FILTERS: IRunFilters = { search: '', status: '', user: '' };

/** The statuses the status filter offers. */
export const STATUS_OPTIONS: readonly RunStatus[] = [
  'RUNNING',
  'FINISHED',
  'FAILED',
  'KILLED',
  'SCHEDULED'
];

/** The `user` values that are no user name. */
export const USER_MINE = 'mine';
export const USER_ALL = 'all';

/** How each filter narrows the query. */
const FILTER_QUERY: {
  [K in keyof IRunFilters]: (value: IRunFilters[K]) => Partial<IRunQuery>;
} = {
  search: value => (value.trim() ? { filter: value.trim() } : {}),
  status: value => (value ? { status: [value] } : {}),
  user: value => (value.trim() ? { user: value.trim() } : {})
};

const FILTER_KEYS = Object.keys(FILTER_QUERY) as (keyof IRunFilters)[];

/** The query parameters of one filter. */
function filterQuery(filters: IRunFilters, key: keyof IRunFilters) {
  return FILTER_QUERY[key](filters[key] as never);
}

/** The query parameters of all the filters together. */
export function filtersQuery(filters: IRunFilters): Partial<IRunQuery> {
  return FILTER_KEYS.reduce<Partial<IRunQuery>>(
    (query, key) => ({ ...query, ...filterQuery(filters, key) }),
    {}
  );
}

/** Whether the list holds other users' runs too (then each row shows its user). */
export function listsOthersRuns(filters: IRunFilters): boolean {
  const user = filters.user.trim();
  return user !== '' && user !== USER_MINE;
}

/** Whether any filter narrows the list (`mine` and `all` do not: they are whose runs). */
export function isFiltered(filters: IRunFilters): boolean {
  return FILTER_KEYS.some(key =>
    key === 'user'
      ? listsOthersRuns(filters) && filters.user.trim() !== USER_ALL
      : Object.keys(filterQuery(filters, key)).length > 0
  );
}

/** The users who recorded the loaded runs, sorted (for the user filter's choices). */
export function runUsers(runs: readonly IRunSummary[]): string[] {
  const users = new Set<string>();
  for (const run of runs) {
    if (run.user) {
      users.add(run.user);
    }
  }
  return [...users].sort((a, b) => a.localeCompare(b));
}
