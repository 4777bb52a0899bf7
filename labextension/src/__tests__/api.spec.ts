import { ExpClient, parseRunsPage, runPath, runsQueryParams } from '../api';

describe('runsQueryParams', () => {
  it('sends only what is set, statuses comma-separated, tags repeated', () => {
    const params = runsQueryParams({
      notebook: 'examples/quick start.ipynb',
      status: ['RUNNING', 'FAILED'],
      tags: ['team=a', 'kind=b'],
      filter: "  metrics.`train/loss` < 0.5 and params.lr = '0.1' ",
      order: 'metrics.loss ASC',
      user: ' bob ',
      max_results: 50,
      page_token: 'tok=='
    });
    expect(params.get('notebook')).toBe('examples/quick start.ipynb');
    expect(params.get('status')).toBe('RUNNING,FAILED');
    expect(params.getAll('tag')).toEqual(['team=a', 'kind=b']);
    expect(params.get('filter')).toBe(
      "metrics.`train/loss` < 0.5 and params.lr = '0.1'"
    );
    expect(params.get('order')).toBe('metrics.loss ASC');
    expect(params.get('user')).toBe('bob');
    expect(params.get('max_results')).toBe('50');
    expect(params.get('page_token')).toBe('tok==');
    expect(params.has('experiment')).toBe(false);
  });

  it('is empty for an empty query', () => {
    expect(
      runsQueryParams({ filter: '  ', status: [], user: ' ' }).toString()
    ).toBe('');
  });
});

describe('ExpClient', () => {
  function client(answer: unknown = {}) {
    const calls: { endPoint: string; init?: RequestInit }[] = [];
    const request = async <T>(
      endPoint = '',
      init?: RequestInit
    ): Promise<T> => {
      calls.push({ endPoint, init });
      return answer as T;
    };
    return { api: new ExpClient(request), calls };
  }

  it('encodes run ids and builds each route', async () => {
    const { api, calls } = client({
      runs: [],
      next_page_token: null,
      jobs: []
    });
    await api.getRun('a/b c');
    await api.getMetrics('r1', { keys: ['loss', 'acc'], maxPoints: 100 });
    await api.getSnapshot('r1');
    await api.compare(['r1', 'r2'], 300);
    await api.getJob('j 1');
    await api.cancelJob('j1');
    await api.listRuns({ experiment: 'exp', page_token: 'p' });
    expect(calls.map(c => c.endPoint)).toEqual([
      'runs/a%2Fb%20c',
      'runs/r1/metrics?keys=loss%2Cacc&max_points=100',
      'runs/r1/snapshot',
      'compare?run_ids=r1%2Cr2&max_points=300',
      'reproductions/j%201',
      'reproductions/j1/cancel',
      'runs?experiment=exp&page_token=p'
    ]);
    expect(calls[5].init?.method).toBe('POST');
    expect(runPath('x', 'metrics')).toBe('runs/x/metrics');
  });

  it('POSTs a reproduction with a JSON body', async () => {
    const { api, calls } = client({ id: 'j1' });
    const job = await api.startReproduction({
      run_id: 'r1',
      kernel: null,
      overrides: { lr: '0.05' }
    });
    expect(job.id).toBe('j1');
    expect(calls[0].endPoint).toBe('reproductions');
    expect(calls[0].init?.method).toBe('POST');
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({
      run_id: 'r1',
      kernel: null,
      overrides: { lr: '0.05' }
    });
  });

  it('rejects a malformed runs page with a readable error', async () => {
    const { api } = client({ error: 'x' });
    await expect(api.listRuns()).rejects.toThrow(/no "runs" list/);
    expect(
      parseRunsPage({ runs: [{ run_id: 'a' }], next_page_token: '' })
    ).toEqual({
      runs: [{ run_id: 'a', metrics: {} }],
      next_page_token: null
    });
  });
});
