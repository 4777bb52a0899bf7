/** Shared test data and helpers (not a test file: no `.spec`). */
import type {
  ICompareGroups,
  IComparison,
  IGroupStatistic,
  IReproductionJob,
  IRunSummary
} from '../types';
import { NO_FILTERS } from '../runfilters';
import type { IRunsState } from '../runsmodel';
import { untranslated, type Trans } from '../widgets/dom';

/** A translator that brackets every message, so a test sees which strings went through it. */
export const bracketed: Trans = {
  __: (msgid: string, ...args: unknown[]) =>
    untranslated.__(`[${msgid}]`, ...args),
  _n: (msgid: string, plural: string, n: number, ...args: unknown[]) =>
    untranslated._n(`[${msgid}]`, `[${plural}]`, n, ...args)
};

export function makeRun(overrides: Partial<IRunSummary> = {}): IRunSummary {
  return {
    run_id: 'a1b2c3d4e5f6',
    run_name: 'quickstart-3',
    experiment_id: '1',
    experiment_name: 'examples/quickstart.ipynb',
    status: 'FINISHED',
    start_time: 1_763_900_000_000,
    end_time: 1_763_900_012_000,
    notebook: 'examples/quickstart.ipynb',
    cell_id: 'cell-1',
    execution_count: 3,
    seed: '7',
    git_commit: '0123abcdef456789',
    git_dirty: true,
    kernel_name: 'python3',
    device: 'cpu',
    note: null,
    reproduced_from: null,
    verdict: null,
    metrics: { 'system/wall_time_s': 3.2, 'train/loss': 0.12 },
    ...overrides
  };
}

export function makeJob(
  overrides: Partial<IReproductionJob> = {}
): IReproductionJob {
  return {
    id: 'job-1',
    run_id: 'a1b2c3d4e5f6',
    kernel: 'python3',
    overrides: {},
    state: 'running',
    progress: { done: 0, total: 3, current: null },
    reproduction_run_id: null,
    verdict: null,
    summary: null,
    error: null,
    created: 1_763_900_000_000,
    ended: null,
    ...overrides
  };
}

/** Wait (real timers) until `condition` holds, or fail after `timeout` ms. */
export async function waitFor(
  condition: () => boolean,
  timeout = 3000
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeout) {
      throw new Error('Timed out waiting for condition');
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

/** Two runs compared: one param differs, one metric (final value of the second missing). */
export const COMPARISON: IComparison = {
  runs: [
    makeRun({ run_id: 'aaaaaaaa1', run_name: 'one' }),
    makeRun({ run_id: 'bbbbbbbb2', run_name: 'two' })
  ],
  params: {
    keys: ['lr', 'seed'],
    differing: ['lr'],
    values: { lr: ['0.1', '0.2'], seed: ['7', '7'] }
  },
  metrics: { keys: ['train/loss'], final: { 'train/loss': [0.12, null] } },
  series: {
    'train/loss': [
      { run_id: 'aaaaaaaa1', steps: [0, 1, 2], values: [0.9, 0.5, 0.12] },
      { run_id: 'bbbbbbbb2', steps: [0, 1], values: [0.8, 0.3] }
    ]
  },
  cells: [
    { run_id: 'aaaaaaaa1', source: 'x = 1', diff: null },
    {
      run_id: 'bbbbbbbb2',
      source: 'x = 2',
      diff: '--- a\n+++ b\n@@ -1 +1 @@\n-x = 1\n+x = 2'
    }
  ]
};

/** Two groups of seeds, the second better on eval/acc. */
const STATISTIC: IGroupStatistic = {
  metric: 'eval/acc',
  side: 1,
  baseline: 'lr=0.05',
  label: 'lr=0.2',
  lower_is_better: false,
  a: { mean: 0.9, std: 0.01, n: 6, ci_low: 0.89, ci_high: 0.91 },
  b: { mean: 0.95, std: 0.01, n: 6, ci_low: 0.94, ci_high: 0.96 },
  difference: 0.05,
  ci_low: 0.04,
  ci_high: 0.06,
  ci_method: 'BCa',
  paired: true,
  cohens_d: 5,
  test: 'paired permutation',
  p_value: 0.03125,
  p_adjusted: 0.03125,
  outcome: 'better' as const,
  verdict: 'better',
  notes: ['paired by seed']
};
export const GROUPS: ICompareGroups = {
  groups: [
    {
      label: 'lr=0.05',
      run_ids: ['a1', 'a2'],
      seeds: ['0', '1'],
      summaries: {}
    },
    {
      label: 'lr=0.2',
      run_ids: ['b1', 'b2'],
      seeds: ['0', null],
      summaries: {}
    }
  ],
  metrics: ['eval/acc'],
  statistics: [STATISTIC],
  notes: ['paired by seed: both sides ran the same seeds'],
  series: {}
};

/** A runs model's state: every run of the store, ready, nothing selected. */
export function makeRunsState(overrides: Partial<IRunsState> = {}): IRunsState {
  return {
    scope: 'all',
    notebookPath: null,
    experiment: null,
    filters: NO_FILTERS,
    sort: 'start_time DESC',
    runs: [],
    nextPageToken: null,
    selection: [],
    status: 'ready',
    error: null,
    emptyReason: null,
    loadingMore: false,
    ...overrides
  };
}
