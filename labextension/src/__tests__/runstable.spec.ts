import {
  csvField,
  defaultColumns,
  numericColumns,
  parallelSpec,
  sortRows,
  toCsv,
  type IMatrixRow,
  type IRunsMatrix
} from '../runstable';

function row(
  id: string,
  lr: string,
  loss: number | null,
  team?: string
): IMatrixRow {
  return {
    run_id: id,
    run_name: `run-${id}`,
    experiment_name: 'e',
    status: 'FINISHED',
    start_time: 0,
    params: { lr, opt: 'adam' },
    metrics: loss === null ? {} : { loss, 'system/wall_time_s': 1 },
    tags: team ? { team } : {}
  };
}

const matrix: IRunsMatrix = {
  runs: [
    row('a', '0.1', 0.5),
    row('b', '0.05', 0.2, '=cmd()'),
    row('c', '1e-3', null)
  ],
  params: ['lr', 'opt'],
  metrics: ['loss', 'system/wall_time_s'],
  tags: ['team'],
  truncated: false
};

describe('runs table', () => {
  it('shows params and user metrics by default', () => {
    expect(defaultColumns(matrix).map(c => `${c.kind}:${c.key}`)).toEqual([
      'param:lr',
      'param:opt',
      'metric:loss'
    ]);
  });

  it('sorts params as numbers and puts missing values last', () => {
    const lr = { kind: 'param' as const, key: 'lr' };
    expect(sortRows(matrix.runs, lr, false).map(r => r.run_id)).toEqual([
      'c',
      'b',
      'a'
    ]);
    const loss = { kind: 'metric' as const, key: 'loss' };
    expect(sortRows(matrix.runs, loss, true).map(r => r.run_id)).toEqual([
      'a',
      'b',
      'c'
    ]);
    expect(sortRows(matrix.runs, loss, false).map(r => r.run_id)).toEqual([
      'b',
      'a',
      'c'
    ]);
  });

  it('exports CSV with quoting and no formula a spreadsheet would run', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=cmd()')).toBe("'=cmd()");
    const csv = toCsv(matrix.runs, [
      { kind: 'param', key: 'lr' },
      { kind: 'tag', key: 'team' }
    ]);
    expect(csv.split('\r\n')[0]).toBe('run_id,run_name,param:lr,tag:team');
    expect(csv).toContain("b,run-b,0.05,'=cmd()");
  });

  it('draws parallel coordinates over the numeric columns only', () => {
    const columns = numericColumns(matrix.runs, defaultColumns(matrix));
    expect(columns.map(c => c.key)).toEqual(['lr', 'loss']);
    const spec = parallelSpec(matrix.runs, columns) as {
      data: { values: Record<string, unknown>[] };
      transform: { fold?: string[] }[];
    };
    expect(spec.data.values[0]).toMatchObject({ c0: 0.1, c1: 0.5 });
    expect(spec.transform.find(t => t.fold)?.fold).toEqual(['c0', 'c1']);
  });
});
