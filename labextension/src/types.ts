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
