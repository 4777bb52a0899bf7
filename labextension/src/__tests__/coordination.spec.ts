/**
 * @jest-environment jsdom
 */
import { ModelCoordinator, refreshAll, summaryKey } from '../coordination';
import { DetailModel } from '../detailmodel';
import { JobsModel, type IJobsClient } from '../jobsmodel';
import { StoreModel } from '../model';
import { RunsModel } from '../runsmodel';
import { SettingsModel } from '../settings';
import type { IExpModels } from '../tokens';
import type { IRunDetail, IRunSummary } from '../types';
import { makeJob, makeRun, waitFor } from './fixtures';

/** The five models over fake requests, coordinated; `rows` is what the server lists. */
function setup(rows: IRunSummary[]) {
  const server = { rows };
  const fetchStore = jest.fn(async () => ({
    tracking_uri: 'sqlite:///mlflow.db',
    kind: 'sqlite'
  }));
  const fetchRuns = jest.fn(async () => ({
    runs: server.rows,
    next_page_token: null
  }));
  const fetchRun = jest.fn(async (runId: string): Promise<IRunDetail> => ({
    ...(server.rows.find(r => r.run_id === runId) ?? makeRun()),
    params: {},
    tags: {},
    artifacts: [],
    cell_source: null,
    inputs: [],
    ui_url: null
  }));
  const job = makeJob({ id: 'job-1', run_id: 'a' });
  const client: IJobsClient = {
    startReproduction: jest.fn(async () => job),
    listJobs: jest.fn(async () => []),
    getJob: jest.fn(async () => job),
    cancelJob: jest.fn(async () => ({ ...job, state: 'cancelled' as const }))
  };
  const models: IExpModels = {
    store: new StoreModel({ fetchStore, pollInterval: 0 }),
    runs: new RunsModel({ fetchRuns, scope: 'all', pollInterval: 0 }),
    detail: new DetailModel({
      fetchRun,
      fetchMetrics: async runId => ({ run_id: runId, series: {} })
    }),
    jobs: new JobsModel({ client, interval: 0 }),
    settings: new SettingsModel()
  };
  const coordinator = new ModelCoordinator(models);
  const dispose = () => {
    coordinator.dispose();
    Object.values(models).forEach(model => model.dispose());
  };
  return {
    server,
    models,
    coordinator,
    fetchStore,
    fetchRuns,
    fetchRun,
    dispose
  };
}

describe('ModelCoordinator', () => {
  it('sets the polls and the scope from the settings', () => {
    const { models, dispose } = setup([]);
    models.settings.update({
      pollInterval: 5000,
      defaultScope: 'notebook',
      defaultKernelspec: ''
    });
    expect(models.store.pollInterval).toBe(5000);
    expect(models.runs.pollInterval).toBe(5000);
    // The scope follows a new default only, not every settings change.
    expect(models.runs.state.scope).toBe('all');
    models.settings.update({
      pollInterval: 5000,
      defaultScope: 'experiment',
      defaultKernelspec: ''
    });
    expect(models.runs.state.scope).toBe('experiment');
    models.runs.setScope('all');
    models.settings.update({
      pollInterval: 1000,
      defaultScope: 'experiment',
      defaultKernelspec: ''
    });
    expect(models.runs.state.scope).toBe('all');
    dispose();
  });

  it('reloads the detail when its run changed in the list, not on every poll', async () => {
    const { server, models, fetchRun, dispose } = setup([
      makeRun({ run_id: 'a', status: 'RUNNING', end_time: null })
    ]);
    await models.runs.refresh();
    await models.detail.open('a');
    expect(fetchRun).toHaveBeenCalledTimes(1);
    server.rows = [
      makeRun({ run_id: 'a', status: 'RUNNING', end_time: null }),
      makeRun({ run_id: 'b' })
    ];
    await models.runs.refresh(); // another row: the detail's run is the same
    expect(fetchRun).toHaveBeenCalledTimes(1);
    server.rows = [makeRun({ run_id: 'a', status: 'FINISHED' })];
    await models.runs.refresh();
    await waitFor(() => fetchRun.mock.calls.length === 2);
    expect(models.detail.state.detail?.status).toBe('FINISHED');
    dispose();
  });

  it('brings a run whose reproduction ended into the list and the detail', async () => {
    const { models, fetchRuns, fetchRun, dispose } = setup([makeRun()]);
    await models.detail.open('a');
    const runs = fetchRuns.mock.calls.length;
    await models.jobs.start({ run_id: 'a' } as never);
    expect(fetchRuns).toHaveBeenCalledTimes(runs);
    await models.jobs.cancel('job-1');
    await waitFor(() => fetchRuns.mock.calls.length === runs + 1);
    await waitFor(() => fetchRun.mock.calls.length === 2);
    dispose();
  });

  it('does nothing once disposed', async () => {
    const { models, coordinator, fetchRuns, dispose } = setup([]);
    coordinator.dispose();
    expect(coordinator.isDisposed).toBe(true);
    await models.jobs.start({ run_id: 'a' } as never);
    await models.jobs.cancel('job-1');
    models.settings.update({
      pollInterval: 5000,
      defaultScope: 'experiment',
      defaultKernelspec: ''
    });
    expect(models.runs.pollInterval).toBe(0);
    expect(models.runs.state.scope).toBe('all');
    expect(fetchRuns).not.toHaveBeenCalled();
    dispose();
  });
});

describe('refreshAll', () => {
  it('reloads the store line, the list and the detail', async () => {
    const { models, fetchStore, fetchRuns, fetchRun, dispose } = setup([
      makeRun({ run_id: 'a' })
    ]);
    await models.detail.open('a');
    await refreshAll(models);
    expect(fetchStore).toHaveBeenCalledTimes(1);
    expect(fetchRuns).toHaveBeenCalledTimes(1);
    expect(fetchRun).toHaveBeenCalledTimes(2);
    dispose();
  });
});

describe('summaryKey', () => {
  it('changes with what the detail shows of a row, not with the rest', () => {
    const run = makeRun();
    expect(summaryKey(undefined)).toBe('');
    expect(summaryKey({ ...run, seed: '8' })).toBe(summaryKey(run));
    expect(summaryKey({ ...run, note: 'better' })).not.toBe(summaryKey(run));
    expect(summaryKey({ ...run, status: 'FAILED' })).not.toBe(summaryKey(run));
  });
});
