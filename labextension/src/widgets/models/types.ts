/**
 * The model registry's REST documents (docs/rest-api.md): a run's checkpoints, the registered models,
 * one model's versions, a registration. Everything in them came from the store: shown as text only.
 */

/** One checkpoint of `GET runs/<id>/checkpoints`. */
export interface ICheckpoint {
  model_id: string;
  step: number;
  metrics: Record<string, number>;
  objective_value: number | null;
  sha256: string;
  format: string;
  created: number;
  /** Bytes of the state file; null when the store does not say. */
  size: number | null;
  best: boolean;
  last: boolean;
}

/** `GET runs/<id>/checkpoints`: best first by the run's objective. */
export interface IRunCheckpoints {
  run_id: string;
  objective: string | null;
  /** The alias the server grants only to a run that reproduced (`champion`). */
  promotion_alias?: string;
  checkpoints: ICheckpoint[];
}

/** One model of `GET models`. */
export interface IModelSummary {
  name: string;
  description: string;
  /** alias -> version */
  aliases: Record<string, string>;
  latest_version: string | null;
  created: number;
  updated: number;
}

/** One version of `GET models/<name>`, with where it came from. */
export interface IModelVersion {
  version: string;
  model_id: string | null;
  source: string;
  status: string;
  created: number;
  aliases: string[];
  verdict: string;
  reproduction: string | null;
  run_id: string | null;
  run_name: string | null;
  step: number | null;
  notebook: string | null;
  cell_id: string | null;
  execution_count: number | null;
  git_commit: string | null;
  snapshot_sha256: string | null;
  /** path -> sha256 (null: not hashed) */
  inputs: Record<string, string | null>;
  group_interval: string | null;
}

/** `GET models/<name>`. */
export interface IModelDetail {
  name: string;
  description: string;
  aliases: Record<string, string>;
  /** The alias that needs a reproduced run (`champion`). */
  promotion_alias: string;
  versions: IModelVersion[];
}

/** `POST models/<name>/versions`: what was registered. */
export interface IRegistered {
  name: string;
  version: string;
  model_id: string;
  run_id: string;
  step: number;
  verdict: string;
  alias: string | null;
}
