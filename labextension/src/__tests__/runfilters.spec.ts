import {
  NO_FILTERS,
  filtersQuery,
  isFiltered,
  listsOthersRuns,
  runUsers
} from '../runfilters';
import { makeRun } from './fixtures';

describe('run filters', () => {
  it('add their query parameters, trimmed; empty ones add none', () => {
    expect(filtersQuery(NO_FILTERS)).toEqual({});
    expect(
      filtersQuery({
        search: ' metrics.loss < 1 ',
        status: 'FAILED',
        user: ' bob '
      })
    ).toEqual({ filter: 'metrics.loss < 1', status: ['FAILED'], user: 'bob' });
    expect(filtersQuery({ ...NO_FILTERS, search: '   ' })).toEqual({});
  });

  it('narrow the list, except whose runs when it is mine or all', () => {
    expect(isFiltered(NO_FILTERS)).toBe(false);
    expect(isFiltered({ ...NO_FILTERS, search: 'x' })).toBe(true);
    expect(isFiltered({ ...NO_FILTERS, status: 'RUNNING' })).toBe(true);
    expect(isFiltered({ ...NO_FILTERS, user: 'mine' })).toBe(false);
    expect(isFiltered({ ...NO_FILTERS, user: 'all' })).toBe(false);
    expect(isFiltered({ ...NO_FILTERS, user: 'bob' })).toBe(true);
  });

  it("say when the list holds other users' runs", () => {
    expect(listsOthersRuns(NO_FILTERS)).toBe(false);
    expect(listsOthersRuns({ ...NO_FILTERS, user: ' mine ' })).toBe(false);
    expect(listsOthersRuns({ ...NO_FILTERS, user: 'all' })).toBe(true);
    expect(listsOthersRuns({ ...NO_FILTERS, user: 'bob' })).toBe(true);
  });

  it('collect the users of the rows, sorted, once each', () => {
    expect(
      runUsers([
        makeRun({ user: 'bob' }),
        makeRun({ user: null }),
        makeRun({ user: 'ann' }),
        makeRun({ user: 'bob' })
      ])
    ).toEqual(['ann', 'bob']);
  });
});
