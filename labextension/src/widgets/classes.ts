/**
 * Every `jp-exp-` class name of the frontend, in one place: browser tests rely on them.
 */
export namespace ExpClass {
  // Sidebar and store line.
  export const panel = 'jp-exp-sidebar';
  export const store = 'jp-exp-store';
  export const storeLine = 'jp-exp-store-line';
  export const storeLabel = 'jp-exp-store-label';
  export const status = 'jp-exp-status';
  export const error = 'jp-exp-error';
  export const caption = 'jp-exp-caption';
  export const value = 'jp-exp-value';
  export const empty = 'jp-exp-empty';
  export const section = 'jp-exp-section';

  // Toolbar.
  export const toolbar = 'jp-exp-toolbar';
  export const scope = 'jp-exp-scope';
  export const experiment = 'jp-exp-experiment';
  export const search = 'jp-exp-search';
  export const statusFilter = 'jp-exp-status-filter';
  export const sort = 'jp-exp-sort';
  export const sortDirection = 'jp-exp-sort-direction';
  export const userFilter = 'jp-exp-user-filter';
  export const userName = 'jp-exp-user-name';
  export const refresh = 'jp-exp-refresh';
  export const compareButton = 'jp-exp-compare-button';
  export const actions = 'jp-exp-actions';

  // Run list.
  export const runList = 'jp-exp-run-list';
  export const run = 'jp-exp-run';
  export const runSelect = 'jp-exp-run-select';
  export const runName = 'jp-exp-run-name';
  export const runStatus = 'jp-exp-run-status';
  export const runTime = 'jp-exp-run-time';
  export const runDuration = 'jp-exp-run-duration';
  export const runMetrics = 'jp-exp-run-metrics';
  export const metric = 'jp-exp-metric';
  export const runSeed = 'jp-exp-run-seed';
  export const runCommit = 'jp-exp-run-commit';
  export const runUser = 'jp-exp-run-user';
  export const runMeta = 'jp-exp-run-meta';
  // Seed groups in the list: a parent, its ▸/▾, its children, a metric as mean ± sd (n).
  export const runParent = 'jp-exp-run-parent';
  export const runChild = 'jp-exp-run-child';
  export const groupToggle = 'jp-exp-group-toggle';
  export const groupMetric = 'jp-exp-group-metric';
  export const active = 'jp-mod-active';
  export const loadMore = 'jp-exp-load-more';
  export const verdict = 'jp-exp-verdict';

  // Detail.
  export const detail = 'jp-exp-detail';
  export const detailHeader = 'jp-exp-detail-header';
  export const back = 'jp-exp-back';
  export const gotoCell = 'jp-exp-goto-cell';
  export const openSnapshot = 'jp-exp-open-snapshot';
  export const copyId = 'jp-exp-copy-id';
  export const reproduceButton = 'jp-exp-reproduce-button';
  export const mlflowLink = 'jp-exp-mlflow-link';
  export const params = 'jp-exp-params';
  export const metrics = 'jp-exp-metrics';
  export const sparkline = 'jp-exp-sparkline';
  export const tags = 'jp-exp-tags';
  export const note = 'jp-exp-note';
  export const artifacts = 'jp-exp-artifacts';
  export const inputs = 'jp-exp-inputs';
  export const cellSource = 'jp-exp-cell-source';
  export const kv = 'jp-exp-kv';

  // Compare.
  export const compare = 'jp-exp-compare';
  export const paramTable = 'jp-exp-param-table';
  export const differs = 'jp-exp-differs';
  export const showAll = 'jp-exp-show-all';
  export const finalMetrics = 'jp-exp-final-metrics';
  export const chart = 'jp-exp-chart';
  export const charts = 'jp-exp-charts';
  export const cellDiff = 'jp-exp-cell-diff';
  export const diffAdd = 'jp-exp-diff-add';
  export const diffDel = 'jp-exp-diff-del';
  export const diffHunk = 'jp-exp-diff-hunk';
  export const legend = 'jp-exp-legend';

  // Reproduce dialog.
  export const reproduceDialog = 'jp-exp-reproduce-dialog';
  export const kernelSelect = 'jp-exp-kernel-select';
  export const overridesInput = 'jp-exp-overrides-input';
  export const overridesError = 'jp-exp-overrides-error';
  export const deterministic = 'jp-exp-deterministic';
  export const checkout = 'jp-exp-checkout';
  export const zoneSelect = 'jp-exp-zone-select';
  export const zoneInput = 'jp-exp-zone-input';
  export const zoneError = 'jp-exp-zone-error';

  // Jobs.
  export const jobs = 'jp-exp-jobs';
  export const job = 'jp-exp-job';
  export const jobProgress = 'jp-exp-job-progress';
  export const jobCancel = 'jp-exp-job-cancel';
  export const jobDismiss = 'jp-exp-job-dismiss';
  export const jobSummary = 'jp-exp-job-summary';
  export const jobRun = 'jp-exp-job-run';
}
