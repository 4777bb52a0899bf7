/**
 * Shapes exchanged with the server extension (jupyter_exp/server).
 */

/** Answer of `GET /jupyter-exp/store`. */
export interface IStoreInfo {
  /** MLflow tracking URI the server reads, e.g. `sqlite:////abs/path/mlflow.db`. */
  tracking_uri: string;
  /** Default artifact root, e.g. `/abs/path/mlartifacts`. */
  artifact_root: string;
  /** Project root the paths are resolved against. */
  root: string;
  /** Version of the Python package serving the API. */
  version: string;
  /**
   * Whether other people write to the store too (an MLflow or database server); when the server
   * does not say, `parseStoreInfo` derives it from `tracking_uri` as the server does.
   */
  shared?: boolean;
}

/** Which runs the sidebar lists by default. */
export type RunScope = 'notebook' | 'experiment' | 'all';

/** User settings (labextension/schema/plugin.json). */
export interface IExpSettings {
  /** Refresh interval in milliseconds; 0 disables polling. */
  pollInterval: number;
  defaultScope: RunScope;
  /** Kernelspec preselected for reproduction; '' means the run's own kernel. */
  defaultKernelspec: string;
}

/** MLflow run statuses. */
export type RunStatus =
  'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

/** Verdict of a reproduction (`%reproduce` or a job). */
export type Verdict =
  'exact' | 'close' | 'diverged' | 'failed' | 'varied' | 'unverified';

/** One run as listed by `GET /jupyter-exp/runs` (docs/rest-api.md, `RunSummary`). */
export interface IRunSummary {
  run_id: string;
  run_name: string;
  experiment_id: string;
  experiment_name: string;
  status: RunStatus;
  /** Milliseconds since the epoch; null when unknown. */
  start_time: number | null;
  end_time: number | null;
  notebook: string | null;
  cell_id: string | null;
  execution_count: number | null;
  seed: string | null;
  git_commit: string | null;
  git_dirty: boolean | null;
  kernel_name: string | null;
  device: string | null;
  note: string | null;
  reproduced_from: string | null;
  verdict: Verdict | null;
  /** Who recorded it (`mlflow.user`); absent from servers that do not send it. */
  user?: string | null;
  /** A `--seeds` child: its parent's run id; absent from older servers. */
  parent_run_id?: string | null;
  /** A `%%track --sweep` parent: the sweep's name; absent from older servers. */
  sweep?: string | null;
  /** Last value of each metric. */
  metrics: Record<string, number>;
}

/** An artifact of a run. */
export interface IArtifact {
  path: string;
  size: number | null;
}

/** `GET /jupyter-exp/runs/<run_id>`. */
export interface IRunDetail extends IRunSummary {
  params: Record<string, string>;
  tags: Record<string, string>;
  artifacts: IArtifact[];
  cell_source: string | null;
  /** Files the tracked cell read (`inputs.json`); absent from older servers. */
  inputs?: IInputFile[];
  /** The run's page in the MLflow UI, null when the store is not an MLflow server. */
  ui_url: string | null;
  /** MLflow's lifecycle: a deleted run can be restored (absent from older servers). */
  lifecycle?: 'active' | 'deleted';
}

/** A file a tracked cell read: path relative to the root, size, sha256 (null over the size cap). */
export interface IInputFile {
  path: string;
  size: number | null;
  sha256: string | null;
}

/** One (possibly downsampled) metric history. */
export interface IMetricSeries {
  steps: number[];
  values: number[];
  total_points: number;
  downsampled: boolean;
}

/** `GET /jupyter-exp/runs/<run_id>/metrics`. */
export interface IRunMetrics {
  run_id: string;
  series: Record<string, IMetricSeries>;
}

/** One run's curve of a metric in a comparison. */
export interface ICompareSeries {
  run_id: string;
  steps: number[];
  values: number[];
}

/** `GET /jupyter-exp/compare?run_ids=…`; `values[key][i]` and `final[key][i]` belong to `runs[i]`. */
export interface IComparison {
  runs: IRunSummary[];
  params: {
    keys: string[];
    differing: string[];
    values: Record<string, (string | null)[]>;
  };
  metrics: {
    keys: string[];
    final: Record<string, (number | null)[]>;
  };
  series: Record<string, ICompareSeries[]>;
  cells: { run_id: string; source: string | null; diff: string | null }[];
  /** Present when some runs share a configuration (params minus the seed); null otherwise. */
  groups?: ICompareGroups | null;
  /** `groups` when the ids are `--seeds` parents, each a side standing for its children. */
  sides?: 'runs' | 'groups';
}

/** A sample's summary (mean, sample sd, n, Student-t interval); `std`/`ci_*` are null for one run. */
export interface ISampleSummary {
  mean: number;
  std: number | null;
  n: number;
  ci_low: number | null;
  ci_high: number | null;
}

/** One metric of a group against the first group of a comparison, with the plain verdict. */
export interface IGroupStatistic {
  metric: string;
  side: number;
  baseline: string;
  label: string;
  lower_is_better: boolean;
  a: ISampleSummary | null;
  b: ISampleSummary | null;
  difference: number | null;
  ci_low: number | null;
  ci_high: number | null;
  ci_method: string | null;
  paired: boolean;
  cohens_d: number | null;
  test: string | null;
  p_value: number | null;
  p_adjusted: number | null;
  outcome: 'better' | 'worse' | 'no evidence' | 'no statistics';
  verdict: string;
  notes: string[];
}

/** A group's curve of a metric: the mean over its runs and mean ∓ one sd at each step. */
export interface IGroupBand {
  group: number;
  steps: number[];
  mean: number[];
  low: number[];
  high: number[];
  runs: number;
  downsampled: boolean;
}

/** `groups` of a comparison whose runs share configurations (params minus the seed). */
export interface ICompareGroups {
  groups: {
    label: string;
    run_ids: string[];
    seeds: (string | null)[];
    summaries: Record<string, ISampleSummary | null>;
  }[];
  metrics: string[];
  statistics: IGroupStatistic[];
  notes: string[];
  series: Record<string, IGroupBand[]>;
}

/** State of a reproduction job. */
export type JobState = 'running' | 'finished' | 'failed' | 'cancelled';

/** A reproduction job of the server (`/jupyter-exp/reproductions`). */
export interface IReproductionJob {
  id: string;
  run_id: string;
  kernel: string | null;
  overrides: Record<string, string>;
  state: JobState;
  progress: { done: number; total: number; current: string | null };
  reproduction_run_id: string | null;
  verdict: Verdict | null;
  summary: string | null;
  error: string | null;
  created: number | null;
  ended: number | null;
}

/** Body of `POST /jupyter-exp/reproductions`; only `run_id` is required. */
export interface IJobRequest {
  run_id: string;
  /** Kernelspec name; null means the run's own kernelspec. */
  kernel?: string | null;
  /** Values are Python literals, as in `%reproduce --set`. */
  overrides?: Record<string, string>;
  rtol?: number;
  atol?: number;
  checkout?: boolean;
  deterministic?: boolean;
  /** Run it although another user recorded it (the server answers 409 without it). */
  confirm_foreign?: boolean;
  /** true: only the tracked cell's dependency slice (`%reproduce --slice`); false: the full history; null: the default. */
  slice?: boolean | null;
  /** The replay kernel's time zone (`%reproduce --tz`): a name, `current` (the server's); null: the recorded one. */
  tz?: string | null;
}

/** Query of `GET /jupyter-exp/runs`; every field is optional. */
export interface IRunQuery {
  notebook?: string;
  experiment?: string;
  status?: RunStatus[];
  /** `key=value` pairs, sent as repeated `tag` parameters. */
  tags?: string[];
  /** Whose runs: `mine`, `all` or a user name; not sent: the server's default. */
  user?: string;
  /** MLflow filter string. */
  filter?: string;
  /** e.g. `start_time DESC`, `metrics.loss ASC`. */
  order?: string;
  max_results?: number;
  page_token?: string;
}

/** One page of `GET /jupyter-exp/runs`. */
export interface IRunsPage {
  runs: IRunSummary[];
  next_page_token: string | null;
}

/** Another run a run's detail links to: its parent, a child, a reproduction. */
export interface IRunLink {
  run_id: string;
  run_name: string;
  status: string;
  seed: string | null;
  verdict: Verdict | null;
}

/** `GET /jupyter-exp/runs/<run_id>/relations`: the runs a run links to; a `--seeds` parent's group. */
export interface IRunRelations {
  run_id: string;
  parent: IRunLink | null;
  /** A parent's children, oldest first ([] for any other run). */
  children: IRunLink[];
  /** Params every child has with one value. */
  shared_params: Record<string, string>;
  /** Params whose value differs between the children (the seed among them). */
  varying_params: string[];
  /** Each metric over the finished children, user metrics first. */
  summaries: Record<string, ISampleSummary | null>;
  reproduced_from: IRunLink | null;
  /** Runs reproducing this one, newest first. */
  reproductions: IRunLink[];
  /** Whose recorded notebook "Open snapshot" opens (a parent: its first child's); null: none. */
  snapshot_run_id: string | null;
}
