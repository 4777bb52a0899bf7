/**
 * `GET /jupyter-exp/sweeps/<parent run id>` (jupyter_exp/query/sweeps.py): a sweep's trials, best trial
 * and Optuna's param importance. Every string in it comes from the record: shown as text only.
 */
import type { Verdict } from '../../types';

/** Optuna's state of a trial; RUNNING while its run still runs. */
export type TrialState = 'COMPLETE' | 'PRUNED' | 'FAIL' | 'RUNNING';

/** A suggested value as Optuna gave it. */
export type ParamValue = string | number | boolean | null;

export interface ISweepTrial {
  number: number | null;
  run_id: string;
  run_name: string;
  status: string;
  state: TrialState;
  /** The objective; null unless complete (or not recorded). */
  value: number | null;
  params: Record<string, ParamValue>;
  pruned_at: number | null;
  /** The newest reproduction's verdict, if any. */
  verdict: Verdict | null;
  reproduction_run_id: string | null;
}

export interface ISweep {
  run_id: string;
  run_name: string;
  sweep: string;
  status: string;
  user: string | null;
  /** Empty: the objective is the cell's last expression. */
  metric: string;
  direction: 'maximize' | 'minimize';
  sampler: string | null;
  pruner: string | null;
  counts: Record<TrialState, number>;
  best: {
    number: number | null;
    value: number | null;
    run_id: string | null;
  } | null;
  params: string[];
  /** Each param's Optuna distribution (Optuna's JSON: `{name, attributes}`). */
  space: Record<
    string,
    { name?: string; attributes?: Record<string, unknown> }
  >;
  trials: ISweepTrial[];
  /** Most important first; null with `importance_reason` saying why. */
  importance: Record<string, number> | null;
  importance_reason: string | null;
  truncated: boolean;
}
