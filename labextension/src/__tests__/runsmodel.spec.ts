/**
 * @jest-environment jsdom
 */
import { isFiltered, listsOthersRuns, runUsers } from '../runfilters';
import { RunsModel } from '../runsmodel';
import { parseSort, sortMetric, sortableMetrics } from '../runsort';
import type { IRunQuery, IRunsPage } from '../types';
import { makeRun, waitFor } from './fixtures';

describe('RunsModel', () => {
  let model: RunsModel;

  afterEach(() => {
    model?.dispose();
  });

  function fakeServer(
    pages: (query: IRunQuery) => IRunsPage | Promise<IRunsPage>
  ) {
    const queries: IRunQuery[] = [];
    const fetchRuns = jest.fn(async (query: IRunQuery) => {
      queries.push(query);
      return pages(query);
    });
    return { fetchRuns, queries };
  }

  it('shows an empty state without asking the server when no notebook is in focus', async () => {
    const { fetchRuns } = fakeServer(() => ({
      runs: [],
      next_page_token: null
    }));
    model = new RunsModel({ fetchRuns, scope: 'notebook' });
    const state = await model.refresh();
    expect(fetchRuns).not.toHaveBeenCalled();
    expect(state.status).toBe('ready');
    expect(state.error).toBeNull();
    expect(state.emptyReason).toBe('no-notebook');
  });

  it('maps scope, search, status and sort to query parameters', async () => {
    const { fetchRuns, queries } = fakeServer(() => ({
      runs: [],
      next_page_token: null
    }));
    model = new RunsModel({ fetchRuns, scope: 'notebook', pageSize: 20 });
    model.setNotebookPath('examples/quickstart.ipynb');
    await model.refresh();
    expect(queries.pop()).toEqual({
      notebook: 'examples/quickstart.ipynb',
      order: 'start_time DESC',
      max_results: 20
    });

    model.setScope('experiment');
    await model.refresh();
    expect(queries.pop()).toMatchObject({
      experiment: 'examples/quickstart.ipynb'
    });

    model.setExperiment('my-exp');
    model.setSearch(" params.lr = '0.1' ");
    model.setStatusFilter('FAILED');
    model.setSort('run_name ASC');
    await model.refresh();
    expect(queries.pop()).toEqual({
      experiment: 'my-exp',
      filter: "params.lr = '0.1'",
      status: ['FAILED'],
      order: 'run_name ASC',
      max_results: 20
    });

    model.setScope('all');
    await model.refresh();
    const last = queries.pop();
    expect(last).not.toHaveProperty('experiment');
    expect(last).not.toHaveProperty('notebook');
  });

  it('polls, so a RUNNING run turns FINISHED without a reload', async () => {
    let status: 'RUNNING' | 'FINISHED' = 'RUNNING';
    const { fetchRuns } = fakeServer(() => ({
      runs: [makeRun({ status, end_time: status === 'RUNNING' ? null : 2 })],
      next_page_token: null
    }));
    model = new RunsModel({ fetchRuns, scope: 'all', pollInterval: 30 });
    await model.refresh();
    expect(model.state.runs[0].status).toBe('RUNNING');
    const seen: string[] = [];
    model.changed.connect((_, state) => seen.push(state.runs[0]?.status));
    model.startPolling();
    expect(model.isPolling).toBe(true);
    status = 'FINISHED';
    await waitFor(() => model.state.runs[0]?.status === 'FINISHED');
    // Polls that bring nothing new do not emit.
    const calls = fetchRuns.mock.calls.length;
    await waitFor(() => fetchRuns.mock.calls.length > calls + 2);
    expect(seen).toEqual(['FINISHED']);
  });

  it('pages with load more and reloads as many rows as are shown', async () => {
    const all = Array.from({ length: 5 }, (_, i) =>
      makeRun({ run_id: `r${i}` })
    );
    const { fetchRuns, queries } = fakeServer(query => {
      const start = query.page_token ? Number(query.page_token) : 0;
      const end = start + (query.max_results ?? 100);
      return {
        runs: all.slice(start, end),
        next_page_token: end < all.length ? String(end) : null
      };
    });
    model = new RunsModel({ fetchRuns, scope: 'all', pageSize: 2 });
    await model.refresh();
    expect(model.state.runs.map(r => r.run_id)).toEqual(['r0', 'r1']);
    expect(model.state.nextPageToken).toBe('2');

    await model.loadMore();
    expect(queries[queries.length - 1]).toMatchObject({
      page_token: '2',
      max_results: 2
    });
    expect(model.state.runs.map(r => r.run_id)).toEqual([
      'r0',
      'r1',
      'r2',
      'r3'
    ]);

    await model.refresh();
    expect(queries[queries.length - 1]).toMatchObject({ max_results: 4 });
    expect(queries[queries.length - 1]).not.toHaveProperty('page_token');
    expect(model.state.runs).toHaveLength(4);
    expect(model.state.nextPageToken).toBe('4');
  });

  it('keeps the ticked runs while a filter, the scope or the sort changes', async () => {
    const { fetchRuns } = fakeServer(() => ({
      runs: [
        makeRun({ run_id: 'a' }),
        makeRun({ run_id: 'b' }),
        makeRun({ run_id: 'c' })
      ],
      next_page_token: null
    }));
    model = new RunsModel({ fetchRuns, scope: 'all' });
    await model.refresh();
    model.toggleSelected('a');
    model.toggleSelected('c', true);
    model.toggleSelected('c', true);
    expect(model.state.selection).toEqual(['a', 'c']);
    model.toggleSelected('a');
    expect(model.state.selection).toEqual(['c']);
    expect(model.isSelected('c')).toBe(true);

    // Typing a filter (or any other change of the query) keeps what was ticked.
    model.setSearch("params.lr = '0.1'");
    await model.refresh();
    model.setStatusFilter('RUNNING');
    model.setSortField('metrics.loss');
    await model.refresh();
    expect(model.state.selection).toEqual(['c']);
    model.clearSelection();
    expect(model.state.selection).toEqual([]);
  });

  it("sends whose runs as `user` (the server's default until one is picked) and keeps the ticks", async () => {
    const { fetchRuns, queries } = fakeServer(query => ({
      runs:
        query.user === 'bob'
          ? [makeRun({ run_id: 'b1', user: 'bob' })]
          : [
              makeRun({ run_id: 'a1', user: 'ann' }),
              makeRun({ run_id: 'b1', user: 'bob' })
            ],
      next_page_token: null
    }));
    model = new RunsModel({ fetchRuns, scope: 'all' });
    await model.refresh();
    expect(queries.pop()).not.toHaveProperty('user');
    expect(isFiltered(model.state.filters)).toBe(false);
    model.toggleSelected('a1');

    model.setUserFilter('all');
    await model.refresh();
    expect(queries.pop()).toMatchObject({ user: 'all' });
    expect(listsOthersRuns(model.state.filters)).toBe(true);
    expect(isFiltered(model.state.filters)).toBe(false);
    expect(runUsers(model.state.runs)).toEqual(['ann', 'bob']);

    model.setUserFilter(' bob ');
    await model.refresh();
    expect(queries.pop()).toMatchObject({ user: 'bob' });
    expect(model.state.runs.map(r => r.run_id)).toEqual(['b1']);
    expect(isFiltered(model.state.filters)).toBe(true);
    // The run ticked under another user filter stays ticked for compare.
    expect(model.state.selection).toEqual(['a1']);

    model.setUserFilter('mine');
    await model.refresh();
    expect(queries.pop()).toMatchObject({ user: 'mine' });
    expect(listsOthersRuns(model.state.filters)).toBe(false);
    expect(model.state.selection).toEqual(['a1']);
    const calls = fetchRuns.mock.calls.length;
    model.setUserFilter('mine');
    expect(fetchRuns.mock.calls.length).toBe(calls);
  });

  it('sorts by a chosen metric, ascending or descending, on the server', async () => {
    const { fetchRuns, queries } = fakeServer(() => ({
      runs: [
        makeRun({ run_id: 'a', metrics: { 'system/wall_time_s': 1, loss: 2 } }),
        makeRun({ run_id: 'b', metrics: { acc: 0.5 } })
      ],
      next_page_token: null
    }));
    model = new RunsModel({ fetchRuns, scope: 'all' });
    await model.refresh();
    expect(sortableMetrics(model.state.runs, model.state.sort)).toEqual([
      'acc',
      'loss',
      'system/wall_time_s'
    ]);
    model.setSortDirection('ASC');
    model.setSortField('metrics.loss');
    await model.refresh();
    expect(queries.pop()?.order).toBe('metrics.loss ASC');
    model.setSortDirection('DESC');
    await model.refresh();
    expect(queries.pop()?.order).toBe('metrics.loss DESC');
    expect(sortMetric(model.state.sort)).toBe('loss');
    // An attribute comes with its own direction: names A to Z, times newest first.
    model.setSortField('run_name');
    expect(model.state.sort).toBe('run_name ASC');
    model.setSortField('start_time');
    expect(model.state.sort).toBe('start_time DESC');
    expect(parseSort('metrics.system/wall_time_s ASC')).toEqual({
      field: 'metrics.system/wall_time_s',
      direction: 'ASC'
    });
    // The metric sorted by stays offered when no loaded row has it.
    expect(sortableMetrics([], 'metrics.f1 DESC')).toEqual(['f1']);
  });

  it('drops a stale answer and loads the new query when it changes during a load', async () => {
    const answers: ((page: IRunsPage) => void)[] = [];
    const fetchRuns = jest.fn(
      (query: IRunQuery) =>
        new Promise<IRunsPage>(resolve => {
          answers.push(page => resolve(page));
          void query;
        })
    );
    model = new RunsModel({ fetchRuns, scope: 'all' });
    const first = model.refresh();
    await waitFor(() => fetchRuns.mock.calls.length === 1);
    model.setSearch('metrics.loss < 1');
    await waitFor(() => fetchRuns.mock.calls.length === 2);
    expect(fetchRuns.mock.calls[1][0]).toMatchObject({
      filter: 'metrics.loss < 1'
    });
    answers[0]({ runs: [makeRun({ run_id: 'stale' })], next_page_token: null });
    await first;
    expect(model.state.runs).toEqual([]);
    answers[1]({ runs: [makeRun({ run_id: 'fresh' })], next_page_token: null });
    await waitFor(() => model.state.runs.length === 1);
    expect(model.state.runs[0].run_id).toBe('fresh');
  });

  it('records a failed request as a one-line error and keeps the rows', async () => {
    let fail = false;
    const { fetchRuns } = fakeServer(() => {
      if (fail) {
        throw new Error("Bad filter: 'metrics.x <'");
      }
      return { runs: [makeRun()], next_page_token: null };
    });
    model = new RunsModel({ fetchRuns, scope: 'all' });
    await model.refresh();
    fail = true;
    const state = await model.refresh();
    expect(state.status).toBe('error');
    expect(state.error).toBe("Bad filter: 'metrics.x <'");
    expect(state.runs).toHaveLength(1);
    fail = false;
    await model.refresh();
    expect(model.state.error).toBeNull();
  });

  it('drops answers of an outdated query', async () => {
    let release!: () => void;
    const slow = new Promise<void>(resolve => (release = resolve));
    const { fetchRuns } = fakeServer(async query => {
      if (query.notebook === 'old.ipynb') {
        await slow;
        return { runs: [makeRun({ run_id: 'old' })], next_page_token: null };
      }
      return { runs: [makeRun({ run_id: 'new' })], next_page_token: null };
    });
    model = new RunsModel({ fetchRuns, scope: 'notebook' });
    model.setNotebookPath('old.ipynb');
    model.setNotebookPath('new.ipynb');
    await model.refresh();
    release();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.state.runs.map(r => r.run_id)).toEqual(['new']);
  });
});
