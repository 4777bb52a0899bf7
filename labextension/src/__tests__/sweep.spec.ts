/**
 * @jest-environment jsdom
 */
import { JupyterExpRequestError } from '../errors';
import { JobsModel, type IJobsClient } from '../jobsmodel';
import type { IJobRequest, IReproductionJob } from '../types';
import { SweepModel, sortTrials, topTrials } from '../widgets/sweep/sweepmodel';
import {
  parallelColumns,
  paramScatterSpec,
  sweepParallelSpec
} from '../widgets/sweep/sweepcharts';
import { SweepView } from '../widgets/sweep/sweepview';
import type { ISweep, ISweepTrial } from '../widgets/sweep/types';
import { makeJob, waitFor } from './fixtures';

function trial(
  number: number,
  state: ISweepTrial['state'],
  value: number | null,
  params: ISweepTrial['params']
): ISweepTrial {
  return {
    number,
    run_id: `run${number}`,
    run_name: `demo-t${number}`,
    status: state === 'COMPLETE' ? 'FINISHED' : 'KILLED',
    state,
    value,
    params,
    pruned_at: state === 'PRUNED' ? 1 : null,
    verdict: null,
    reproduction_run_id: null
  };
}

function makeSweep(overrides: Partial<ISweep> = {}): ISweep {
  return {
    run_id: 'parent1',
    run_name: 'sweep-demo',
    sweep: 'demo',
    status: 'FINISHED',
    user: 'me',
    metric: 'score',
    direction: 'maximize',
    sampler: 'TPESampler seed=3',
    pruner: 'MedianPruner',
    counts: { COMPLETE: 3, PRUNED: 1, FAIL: 0, RUNNING: 0 },
    best: { number: 2, value: 0.9, run_id: 'run2' },
    params: ['act', 'lr'],
    space: {
      lr: { name: 'FloatDistribution', attributes: { log: true } },
      act: { name: 'CategoricalDistribution', attributes: {} }
    },
    trials: [
      trial(0, 'COMPLETE', 0.5, { lr: 0.01, act: 'relu' }),
      trial(1, 'PRUNED', null, { lr: 0.5, act: 'tanh' }),
      trial(2, 'COMPLETE', 0.9, {
        lr: 0.001,
        act: '<img src=x onerror=alert(1)>'
      }),
      trial(3, 'COMPLETE', 0.7, { lr: 0.1, act: 'relu' })
    ],
    importance: { lr: 0.8, act: 0.2 },
    importance_reason: null,
    truncated: false,
    ...overrides
  };
}

/** A jobs client whose jobs end with `verdict` once polled; `foreign` runs answer 409 unless confirmed. */
function jobsClient(foreign = new Set<string>()) {
  const jobs = new Map<string, IReproductionJob>();
  let next = 0;
  const client: jest.Mocked<IJobsClient> = {
    startReproduction: jest.fn(async (request: IJobRequest) => {
      if (foreign.has(request.run_id) && !request.confirm_foreign) {
        throw new JupyterExpRequestError(
          'run recorded by alice: confirm to run their code',
          409,
          'reproductions'
        );
      }
      const job = makeJob({ id: `job${next++}`, run_id: request.run_id });
      jobs.set(job.id, job);
      return job;
    }),
    listJobs: jest.fn(async () => [...jobs.values()]),
    getJob: jest.fn(async id => {
      const job = jobs.get(id) as IReproductionJob;
      const done = {
        ...job,
        state: 'finished' as const,
        verdict: job.run_id === 'run2' ? ('exact' as const) : ('close' as const)
      };
      jobs.set(id, done);
      return done;
    }),
    cancelJob: jest.fn()
  };
  return client;
}

describe('sweep trials', () => {
  const sweep = makeSweep();

  it('are sorted best first by default, missing values last', () => {
    expect(
      sortTrials(sweep.trials, null, 'maximize').map(t => t.number)
    ).toEqual([2, 3, 0, 1]);
    expect(
      sortTrials(sweep.trials, null, 'minimize').map(t => t.number)
    ).toEqual([0, 3, 2, 1]);
  });

  it('sort by a param as numbers, by text, and by state', () => {
    const byLr = sortTrials(
      sweep.trials,
      { key: 'param:lr', descending: false },
      'maximize'
    );
    expect(byLr.map(t => t.number)).toEqual([2, 0, 3, 1]);
    const byAct = sortTrials(
      sweep.trials,
      { key: 'param:act', descending: true },
      'maximize'
    );
    expect(byAct.map(t => t.number)).toEqual([1, 0, 3, 2]);
    const byState = sortTrials(
      sweep.trials,
      { key: 'state', descending: false },
      'maximize'
    );
    expect(byState.map(t => t.state)).toEqual([
      'COMPLETE',
      'COMPLETE',
      'COMPLETE',
      'PRUNED'
    ]);
  });

  it('top k are the best complete trials', () => {
    expect(topTrials(sweep, 2).map(t => t.run_id)).toEqual(['run2', 'run3']);
    expect(topTrials(sweep, 10).map(t => t.run_id)).toEqual([
      'run2',
      'run3',
      'run0'
    ]);
    expect(topTrials(makeSweep({ direction: 'minimize' }), 1)[0].run_id).toBe(
      'run0'
    );
  });

  it('chart specs: numeric params to the objective; a log axis; a strip per choice', () => {
    expect(parallelColumns(sweep).map(c => c.key)).toEqual(['lr', 'score']);
    const parallel = sweepParallelSpec(sweep) as {
      data: { values: unknown[] };
    };
    expect(parallel.data.values).toHaveLength(3); // the complete trials
    const lr = paramScatterSpec(sweep, 'lr') as any;
    expect(lr.encoding.x.scale).toEqual({ type: 'log' });
    expect(lr.title).toBe('score against lr');
    const act = paramScatterSpec(sweep, 'act') as any;
    expect(act.encoding.x.type).toBe('nominal');
    expect(JSON.stringify(act.encoding)).not.toContain('<img'); // values are data, not fields
    expect(
      sweepParallelSpec(makeSweep({ trials: sweep.trials.slice(0, 1) }))
    ).toBeNull();
  });
});

describe('SweepModel', () => {
  let jobs: JobsModel;
  let model: SweepModel;

  afterEach(() => {
    model?.dispose();
    jobs?.dispose();
  });

  function setUp(client: IJobsClient, confirm = jest.fn(async () => true)) {
    jobs = new JobsModel({ client, interval: 20 });
    const fetchSweep = jest.fn(async (runId: string) => {
      if (runId !== 'parent1') {
        throw new JupyterExpRequestError(
          'run plain123 is not a sweep',
          400,
          'sweeps/x'
        );
      }
      return makeSweep();
    });
    model = new SweepModel({ fetchSweep, jobs, confirmForeign: confirm });
    return { fetchSweep, confirm };
  }

  it('loads a sweep, sorts on request, and closes', async () => {
    setUp(jobsClient());
    await model.open('parent1');
    expect(model.state.sweep?.sweep).toBe('demo');
    expect(model.rows.map(t => t.number)).toEqual([2, 3, 0, 1]);
    model.setSort('number');
    expect(model.rows.map(t => t.number)).toEqual([0, 1, 2, 3]);
    model.setSort('number');
    expect(model.rows.map(t => t.number)).toEqual([3, 2, 1, 0]);
    model.close();
    expect(model.state.runId).toBeNull();
    expect(model.rows).toEqual([]);
  });

  it('shows the server’s one-line error for a run that is no sweep', async () => {
    setUp(jobsClient());
    await model.open('plain123');
    expect(model.state.sweep).toBeNull();
    expect(model.state.error).toContain('is not a sweep');
  });

  it('verifies the top k through the jobs model; each verdict arrives in the state', async () => {
    const client = jobsClient();
    setUp(client);
    await model.open('parent1');
    await model.verifyTop(2);
    expect(client.startReproduction.mock.calls.map(c => c[0])).toEqual([
      { run_id: 'run2' },
      { run_id: 'run3' }
    ]);
    expect(jobs.state.jobs).toHaveLength(2); // the sidebar's jobs list shows them too
    await waitFor(() =>
      Object.values(model.state.verifying).every(v => v.verdict)
    );
    expect(model.state.verifying.run2.verdict).toBe('exact');
    expect(model.state.verifying.run3.verdict).toBe('close');
    await model.verifyTop(2); // already verified here: nothing started again
    expect(client.startReproduction).toHaveBeenCalledTimes(2);
  });

  it('asks once before running another user’s code, then starts every one confirmed', async () => {
    const client = jobsClient(new Set(['run2', 'run3', 'run0']));
    const { confirm } = setUp(client);
    await model.open('parent1');
    await model.verifyTop(3);
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(confirm.mock.calls[0]).toEqual([
      'run recorded by alice: confirm to run their code'
    ]);
    const started = client.startReproduction.mock.calls.map(c => c[0]);
    expect(started.filter(r => r.confirm_foreign).map(r => r.run_id)).toEqual([
      'run2',
      'run3',
      'run0'
    ]);
    expect(Object.keys(model.state.verifying).sort()).toEqual([
      'run0',
      'run2',
      'run3'
    ]);
  });

  it('declined, nothing is started and no error shows', async () => {
    const client = jobsClient(new Set(['run2']));
    setUp(
      client,
      jest.fn(async () => false)
    );
    await model.open('parent1');
    await model.verifyTop(2);
    expect(client.startReproduction).toHaveBeenCalledTimes(1); // the refused first try only
    expect(model.state.verifying).toEqual({});
    expect(model.state.verifyError).toBeNull();
  });
});

describe('SweepView', () => {
  let jobs: JobsModel;
  let view: SweepView;

  afterEach(() => {
    view?.model.dispose();
    view?.dispose();
    jobs?.dispose();
  });

  let fetched = 0;

  async function render(sweep: ISweep) {
    jobs = new JobsModel({ client: jobsClient(), interval: 20 });
    fetched = 0;
    const model = new SweepModel({
      fetchSweep: async () => {
        fetched++; // a running sweep: a trial more on the next load
        const more = trial(4, 'RUNNING', null, { lr: 0.2 });
        return fetched > 1
          ? { ...sweep, trials: [...sweep.trials, more] }
          : sweep;
      },
      jobs,
      confirmForeign: async () => true
    });
    const opened: string[] = [];
    view = new SweepView({ model, onOpenRun: id => opened.push(id) });
    document.body.appendChild(view.node);
    await model.open(sweep.run_id);
    return { model, opened, node: view.node };
  }

  it('shows one row per trial, best first, values as text; headers sort; a number opens the run', async () => {
    const { node, opened } = await render(makeSweep());
    const rows = [
      ...node.querySelectorAll<HTMLElement>('tr.jp-exp-sweep-trial')
    ];
    expect(rows.map(r => r.dataset.trial)).toEqual(['2', '3', '0', '1']);
    expect(rows[0].classList.contains('jp-mod-best')).toBe(true);
    expect(node.querySelector('img')).toBeNull(); // a param value is text
    expect(rows[0].textContent).toContain('<img src=x onerror=alert(1)>');
    node
      .querySelector<HTMLButtonElement>('th[data-sort="number"] button')
      ?.click();
    const sorted = [
      ...node.querySelectorAll<HTMLElement>('tr.jp-exp-sweep-trial')
    ];
    expect(sorted.map(r => r.dataset.trial)).toEqual(['0', '1', '2', '3']);
    sorted[1]
      .querySelector<HTMLAnchorElement>('a.jp-exp-sweep-trial-link')
      ?.click();
    expect(opened).toEqual(['run1']);
    // ↻ loads it again: a running sweep's new trial shows
    node.querySelector<HTMLButtonElement>('.jp-exp-sweep-reload')?.click();
    await waitFor(
      () => node.querySelectorAll('tr.jp-exp-sweep-trial').length === 5
    );
    const added = node.querySelector('tr[data-trial="4"]');
    expect(added?.getAttribute('data-state')).toBe('RUNNING');
  });

  it('shows the importance bars, or the reason there are none', async () => {
    const { node } = await render(makeSweep());
    const items = [
      ...node.querySelectorAll<HTMLElement>('.jp-exp-sweep-importance-list li')
    ];
    expect(items.map(i => i.dataset.param)).toEqual(['lr', 'act']);
    expect(items[0].textContent).toContain('80.0%');
    view.model.dispose();
    view.dispose();
    jobs.dispose();
    const reason =
      'importance needs 2 or more complete trials with recorded values; there are 1';
    const second = await render(
      makeSweep({ importance: null, importance_reason: reason })
    );
    expect(
      second.node.querySelector('.jp-exp-sweep-importance-reason')?.textContent
    ).toBe(reason);
  });

  it('"Verify" reproduces the top k and each verdict shows in its row', async () => {
    const { node } = await render(makeSweep());
    const input = node.querySelector<HTMLInputElement>(
      'input.jp-exp-sweep-k'
    ) as HTMLInputElement;
    input.value = '1';
    input.dispatchEvent(new Event('change'));
    node
      .querySelector<HTMLButtonElement>('.jp-exp-sweep-verify-button')
      ?.click();
    await waitFor(
      () =>
        !!node.querySelector(
          'tr[data-run-id="run2"] .jp-exp-verdict[data-verdict="exact"]'
        )
    );
    expect(
      node.querySelectorAll('.jp-exp-sweep-verdict .jp-exp-verdict')
    ).toHaveLength(1);
  });
});
