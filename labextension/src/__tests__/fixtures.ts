/** Shared test data and helpers (not a test file: no `.spec`). */
import type { IReproductionJob, IRunSummary } from '../types';
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
