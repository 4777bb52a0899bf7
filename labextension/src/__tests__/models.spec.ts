/**
 * @jest-environment jsdom
 */
import { JupyterExpRequestError } from '../errors';
import type { IReproductionJob } from '../types';
import {
  CheckpointsModel,
  type IRegisterRequest
} from '../widgets/models/checkpointsmodel';
import { renderCheckpoints } from '../widgets/models/checkpointsview';
import { ModelsClient, modelPath } from '../widgets/models/client';
import { ModelsModel } from '../widgets/models/modelsmodel';
import { ModelsContent } from '../widgets/models/modelsview';
import type {
  IModelDetail,
  IRegistered,
  IRunCheckpoints
} from '../widgets/models/types';
import { makeJob, waitFor } from './fixtures';

const LIST: IRunCheckpoints = {
  run_id: 'run1',
  objective: 'loss',
  checkpoints: [
    {
      model_id: 'm-best',
      step: 1,
      metrics: { loss: 0.4 },
      objective_value: 0.4,
      sha256: 'a'.repeat(64),
      format: 'torch-state-dict',
      created: 1,
      size: 2048,
      best: true,
      last: false
    },
    {
      model_id: 'm-last',
      step: 2,
      metrics: { loss: 0.6 },
      objective_value: 0.6,
      sha256: 'b'.repeat(64),
      format: 'torch-state-dict',
      created: 2,
      size: null,
      best: false,
      last: true
    }
  ]
};

const REFUSAL =
  '@champion needs a run that reproduces (exact or close) and it has no reproduction: reproduce it first: %reproduce run1';

/** A registry that refuses the promotion alias until `reproduced` is set (the server's gate). */
function registry() {
  const state = { reproduced: false, calls: [] as IRegisterRequest[] };
  const register = async (request: IRegisterRequest): Promise<IRegistered> => {
    state.calls.push(request);
    if (request.alias === 'champion' && !state.reproduced) {
      throw new JupyterExpRequestError(REFUSAL, 409, 'models/x/versions');
    }
    return {
      name: request.name,
      version: String(state.calls.length),
      model_id: request.checkpoint,
      run_id: request.runId,
      step: 1,
      verdict: state.reproduced ? 'exact' : 'none',
      alias: request.alias
    };
  };
  return { state, register };
}

function jobs(verdict: IReproductionJob['verdict'], state = 'finished') {
  let release: (job: IReproductionJob) => void = () => undefined;
  const ended = new Promise<IReproductionJob>(resolve => (release = resolve));
  return {
    reproduce: jest.fn(async () => makeJob({ id: 'job-9', run_id: 'run1' })),
    waitForJob: jest.fn(() => ended),
    finish: () =>
      release(
        makeJob({
          id: 'job-9',
          state: state as IReproductionJob['state'],
          verdict,
          summary: verdict === 'diverged' ? 'loss differs at step 3' : 'same',
          error: state === 'failed' ? 'kernel died' : null
        })
      )
  };
}

const CHAMPION = {
  runId: 'run1',
  name: 'tiny',
  checkpoint: 'm-best',
  alias: 'champion'
};

describe('CheckpointsModel', () => {
  it('loads the run shown and registers a candidate', async () => {
    const reg = registry();
    const job = jobs('exact');
    const model = new CheckpointsModel({
      fetchCheckpoints: async () => LIST,
      register: reg.register,
      ...job
    });
    await model.open('run1');
    expect(model.state.list?.checkpoints.map(c => c.step)).toEqual([1, 2]);
    const done = await model.register({ ...CHAMPION, alias: 'candidate' });
    expect(done?.alias).toBe('candidate');
    expect(model.state.registered?.version).toBe('1');
    expect(model.state.promotion).toBeNull();
  });

  it('turns a 409 into a refused promotion, then reproduces and promotes', async () => {
    const reg = registry();
    const job = jobs('close');
    const model = new CheckpointsModel({
      fetchCheckpoints: async () => LIST,
      register: reg.register,
      ...job
    });
    await model.open('run1');
    expect(await model.register(CHAMPION)).toBeNull();
    expect(model.state.promotion?.phase).toBe('refused');
    expect(model.state.promotion?.message).toBe(REFUSAL);
    expect(model.state.registered).toBeNull();

    const flow = model.reproduceThenPromote();
    await waitFor(() => model.state.promotion?.phase === 'reproducing');
    expect(job.reproduce).toHaveBeenCalledWith('run1');
    expect(model.state.promotion?.jobId).toBe('job-9');
    reg.state.reproduced = true; // the job's reproduction came back
    job.finish();
    await flow;
    expect(model.state.promotion?.phase).toBe('promoted');
    expect(model.state.promotion?.verdict).toBe('exact');
    expect(model.state.registered?.alias).toBe('champion');
    expect(reg.state.calls.map(c => c.alias)).toEqual(['champion', 'champion']);
  });

  it('does not promote on a diverged or failed reproduction, and says why', async () => {
    for (const [verdict, state, expected] of [
      ['diverged', 'finished', 'loss differs at step 3'],
      [null, 'failed', 'kernel died']
    ] as const) {
      const reg = registry();
      const job = jobs(verdict, state);
      const model = new CheckpointsModel({
        fetchCheckpoints: async () => LIST,
        register: reg.register,
        ...job
      });
      await model.open('run1');
      await model.register(CHAMPION);
      const flow = model.reproduceThenPromote();
      job.finish();
      await flow;
      expect(model.state.promotion?.phase).toBe('failed');
      expect(model.state.promotion?.message).toBe(expected);
      expect(model.state.promotion?.verdict).toBe(verdict);
      expect(reg.state.calls).toHaveLength(1); // never registered again
    }
  });

  it('keeps the refusal when the reproduction is not confirmed', async () => {
    const reg = registry();
    const model = new CheckpointsModel({
      fetchCheckpoints: async () => LIST,
      register: reg.register,
      reproduce: async () => null,
      waitForJob: jest.fn()
    });
    await model.open('run1');
    await model.register(CHAMPION);
    await model.reproduceThenPromote();
    expect(model.state.promotion?.phase).toBe('refused');
  });

  it('shows other refusals in one line and a list that failed', async () => {
    const model = new CheckpointsModel({
      fetchCheckpoints: async () => {
        throw new JupyterExpRequestError('no run run2', 404, 'x');
      },
      register: async () => {
        throw new JupyterExpRequestError(
          "alias 'v1': not latest or vN",
          400,
          'x'
        );
      },
      reproduce: async () => null,
      waitForJob: jest.fn()
    });
    await model.open('run2');
    expect(model.state.error).toBe('no run run2');
    await model.register({ ...CHAMPION, runId: 'run2', alias: 'v1' });
    expect(model.state.registerError).toBe("alias 'v1': not latest or vN");
    expect(model.state.promotion).toBeNull();
  });
});

describe('renderCheckpoints', () => {
  it('lists the checkpoints with marks and offers reproduce, then promote', async () => {
    const reg = registry();
    const model = new CheckpointsModel({
      fetchCheckpoints: async () => LIST,
      register: reg.register,
      ...jobs('exact')
    });
    await model.open('run1');
    await model.register(CHAMPION);
    const host = document.createElement('section');
    const onRegister = jest.fn();
    const onReproduceThenPromote = jest.fn();
    renderCheckpoints(host, model.state, {
      onRegister,
      onReproduceThenPromote,
      onDismiss: jest.fn()
    });
    const rows = host.querySelectorAll('tr.jp-exp-checkpoint');
    expect([...rows].map(r => r.getAttribute('data-step'))).toEqual(['1', '2']);
    expect(rows[0].querySelector('.jp-exp-checkpoint-marks')?.textContent).toBe(
      'best'
    );
    expect(rows[1].querySelector('.jp-exp-checkpoint-marks')?.textContent).toBe(
      'last'
    );
    expect(rows[0].querySelector('.jp-exp-checkpoint-size')?.textContent).toBe(
      '2.0 KB'
    );
    (rows[1].querySelector('.jp-exp-register') as HTMLButtonElement).click();
    expect(onRegister).toHaveBeenCalledWith(LIST.checkpoints[1]);
    const refusal = host.querySelector(
      '.jp-exp-promotion[data-phase="refused"]'
    );
    expect(refusal?.getAttribute('role')).toBe('alert');
    expect(refusal?.textContent).toContain(REFUSAL);
    (
      host.querySelector('.jp-exp-reproduce-promote') as HTMLButtonElement
    ).click();
    expect(onReproduceThenPromote).toHaveBeenCalled();
  });

  it('renders what the store holds as text, never as HTML', () => {
    const host = document.createElement('section');
    const list = {
      ...LIST,
      checkpoints: [
        {
          ...LIST.checkpoints[0],
          metrics: { '<img src=x onerror=alert(1)>': 1 }
        }
      ]
    };
    renderCheckpoints(
      host,
      {
        runId: 'run1',
        list,
        loading: false,
        error: null,
        registered: null,
        registerError: null,
        promotion: null
      },
      {
        onRegister: jest.fn(),
        onReproduceThenPromote: jest.fn(),
        onDismiss: jest.fn()
      }
    );
    expect(host.querySelector('img')).toBeNull();
    expect(host.textContent).toContain('<img src=x onerror=alert(1)>');
  });
});

const DETAIL: IModelDetail = {
  name: 'tiny',
  description: '',
  aliases: { candidate: '1', champion: '2' },
  promotion_alias: 'champion',
  versions: [
    {
      version: '2',
      model_id: 'm-best',
      source: 'models:/m-best',
      status: 'READY',
      created: 2,
      aliases: ['champion'],
      verdict: 'exact',
      reproduction: 'rep1',
      run_id: 'run1',
      run_name: 'train',
      step: 1,
      notebook: 'train.ipynb',
      cell_id: 'c1',
      execution_count: 3,
      git_commit: 'abcdef0123456789',
      snapshot_sha256: 'c'.repeat(64),
      inputs: { 'data.csv': 'd'.repeat(64) },
      group_interval: null
    }
  ]
};

describe('ModelsModel and ModelsContent', () => {
  it('lists the models, shows the selected one and opens a version’s run', async () => {
    const requests: string[] = [];
    const client = new ModelsClient(async <T>(endPoint = '') => {
      requests.push(endPoint);
      return (
        endPoint === 'models'
          ? { models: [{ name: 'tiny', aliases: DETAIL.aliases }] }
          : DETAIL
      ) as T;
    });
    const model = new ModelsModel({
      listModels: () => client.listModels(),
      getModel: name => client.getModel(name)
    });
    const onOpenRun = jest.fn();
    const view = new ModelsContent({ model, onOpenRun });
    await model.load();
    expect(requests).toEqual(['models', 'models/tiny']);
    expect(model.state.selected).toBe('tiny');
    const row = view.node.querySelector('tr.jp-exp-model-version');
    expect(row?.querySelector('.jp-exp-version-verdict')?.textContent).toBe(
      'exact'
    );
    expect(row?.querySelector('.jp-exp-version-aliases')?.textContent).toBe(
      '@champion'
    );
    expect(row?.querySelector('.jp-exp-version-notebook')?.textContent).toBe(
      'train.ipynb [3]'
    );
    expect(row?.querySelector('.jp-exp-version-commit')?.textContent).toBe(
      'abcdef0'
    );
    (row?.querySelector('a.jp-exp-version-run') as HTMLAnchorElement).click();
    expect(onOpenRun).toHaveBeenCalledWith('run1');
    view.dispose();
  });

  it('encodes a model name in its path and shows an unknown model as one line', async () => {
    expect(modelPath('a b/c', 'versions')).toBe('models/a%20b%2Fc/versions');
    const model = new ModelsModel({
      listModels: async () => [],
      getModel: async name => {
        throw new JupyterExpRequestError(
          `no registered model ${name}`,
          404,
          'x'
        );
      },
      selected: 'gone'
    });
    await model.load();
    expect(model.state.error).toBe('no registered model gone');
  });
});
