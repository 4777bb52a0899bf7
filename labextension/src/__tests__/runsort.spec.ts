import {
  DEFAULT_SORT,
  parseSort,
  sortByField,
  sortInDirection,
  sortMetric,
  sortableMetrics
} from '../runsort';
import { makeRun } from './fixtures';

describe('run sort', () => {
  it('parses the order parameter, DESC when not given', () => {
    expect(parseSort('metrics.loss asc')).toEqual({
      field: 'metrics.loss',
      direction: 'ASC'
    });
    expect(parseSort('run_name')).toEqual({
      field: 'run_name',
      direction: 'DESC'
    });
    expect(parseSort('  ')).toEqual(parseSort(DEFAULT_SORT));
    expect(sortMetric('metrics.train/loss DESC')).toBe('train/loss');
    expect(sortMetric('start_time DESC')).toBeNull();
  });

  it('picks an attribute with its own direction, a metric in the current one', () => {
    expect(sortByField('start_time DESC', 'run_name')).toBe('run_name ASC');
    expect(sortByField('run_name ASC', 'end_time')).toBe('end_time DESC');
    expect(sortByField('run_name ASC', 'metrics.acc')).toBe('metrics.acc ASC');
    expect(sortByField('start_time DESC', 'metrics.acc')).toBe(
      'metrics.acc DESC'
    );
    expect(sortInDirection('metrics.acc DESC', 'ASC')).toBe('metrics.acc ASC');
  });

  it('offers the metrics of the rows, system ones last, and the one sorted by', () => {
    const runs = [
      makeRun({ metrics: { 'system/wall_time_s': 1, loss: 2 } }),
      makeRun({ metrics: { acc: 0.5 } }),
      makeRun({ metrics: null as never })
    ];
    expect(sortableMetrics(runs, DEFAULT_SORT)).toEqual([
      'acc',
      'loss',
      'system/wall_time_s'
    ]);
    expect(sortableMetrics([], 'metrics.f1 DESC')).toEqual(['f1']);
  });
});
