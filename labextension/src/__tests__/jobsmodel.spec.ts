/**
 * @jest-environment jsdom
 */
import { JobsModel, type IJobsClient } from '../jobsmodel';
import { JupyterExpRequestError } from '../errors';
import type { IReproductionJob } from '../types';
import { makeJob, waitFor } from './fixtures';

function fakeClient(initial: IReproductionJob[] = []) {
  const jobs = new Map<string, IReproductionJob>(initial.map(j => [j.id, j]));
  const client: jest.Mocked<IJobsClient> = {
    startReproduction: jest.fn(async request => {
      const job = makeJob({ id: 'job-new', run_id: request.run_id });
      jobs.set(job.id, job);
      return job;
    }),
    listJobs: jest.fn(async () => [...jobs.values()]),
    getJob: jest.fn(async id => {
      const job = jobs.get(id);
      if (!job) {
        throw new JupyterExpRequestError(
          'Unknown job',
          404,
          `reproductions/${id}`
        );
      }
      return job;
    }),
    cancelJob: jest.fn(async id => {
      const job = jobs.get(id) as IReproductionJob;
      if (job.state !== 'running') {
        throw new JupyterExpRequestError('The job has already ended', 409, 'x');
      }
      const cancelled = { ...job, state: 'cancelled' as const, ended: 5 };
      jobs.set(id, cancelled);
      return cancelled;
    })
  };
  return { client, jobs };
}

describe('JobsModel', () => {
  let model: JobsModel;

  afterEach(() => model?.dispose());

  it('polls a started job until it ends, then stops and reports it once', async () => {
    const { client, jobs } = fakeClient();
    model = new JobsModel({ client, interval: 20 });
    const ended = jest.fn();
    model.jobEnded.connect((_, job) => ended(job.id, job.verdict));

    const job = await model.start({ run_id: 'r1', overrides: { lr: '0.05' } });
    expect(client.startReproduction).toHaveBeenCalledWith({
      run_id: 'r1',
      overrides: { lr: '0.05' }
    });
    expect(model.state.jobs.map(j => j.id)).toEqual([job.id]);
    expect(model.isPolling).toBe(true);

    jobs.set(job.id, {
      ...job,
      progress: { done: 2, total: 3, current: '[2] fit()' }
    });
    await waitFor(() => model.state.jobs[0].progress.done === 2);
    jobs.set(job.id, {
      ...job,
      state: 'finished',
      verdict: 'exact',
      reproduction_run_id: 'r2',
      progress: { done: 3, total: 3, current: null }
    });
    await waitFor(() => model.state.jobs[0].state === 'finished');
    expect(model.isPolling).toBe(false);
    const calls = client.getJob.mock.calls.length;
    await new Promise(resolve => setTimeout(resolve, 80));
    expect(client.getJob.mock.calls.length).toBe(calls);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(ended).toHaveBeenCalledWith(job.id, 'exact');
  });

  it('cancels a running job', async () => {
    const { client } = fakeClient([makeJob({ id: 'j1' })]);
    model = new JobsModel({ client, interval: 1000 });
    await model.restore();
    expect(model.state.jobs.map(j => j.state)).toEqual(['running']);
    await model.cancel('j1');
    expect(client.cancelJob).toHaveBeenCalledWith('j1');
    expect(model.state.jobs[0].state).toBe('cancelled');
    expect(model.state.error).toBeNull();
    expect(model.isPolling).toBe(false);
  });

  it('shows the server message when a job cannot be cancelled any more', async () => {
    const { client } = fakeClient([makeJob({ id: 'j1' })]);
    model = new JobsModel({ client, interval: 1000 });
    await model.restore();
    client.cancelJob.mockRejectedValueOnce(
      new JupyterExpRequestError('The job has already ended', 409, 'x')
    );
    client.getJob.mockResolvedValueOnce(
      makeJob({ id: 'j1', state: 'finished', verdict: 'close' })
    );
    await model.cancel('j1');
    expect(model.state.error).toBe('The job has already ended');
    expect(model.state.jobs[0].state).toBe('finished');
  });

  it('restores running jobs but not jobs that ended before, and dismisses', async () => {
    const { client } = fakeClient([
      makeJob({ id: 'old', state: 'finished', created: 1 }),
      makeJob({ id: 'live', created: 2 })
    ]);
    model = new JobsModel({ client, interval: 1000 });
    await model.restore();
    expect(model.state.jobs.map(j => j.id)).toEqual(['live']);
    model.dismiss('live');
    expect(model.state.jobs).toEqual([]);
  });
});
