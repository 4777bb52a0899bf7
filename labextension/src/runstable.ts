/**
 * The runs table's data, pure (no DOM): columns of params, metrics and tags, sorting, CSV, and the
 * Vega-Lite specs of its parallel coordinates and scatter views.
 */

/** `GET /jupyter-exp/table`. */
export interface IRunsMatrix {
  runs: IMatrixRow[];
  params: string[];
  metrics: string[];
  tags: string[];
  truncated: boolean;
}

export interface IMatrixRow {
  run_id: string;
  run_name: string;
  experiment_name: string | null;
  status: string;
  start_time: number | null;
  params: Record<string, string>;
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
}

export type ColumnKind = 'param' | 'metric' | 'tag';

/** A column of the table: `param:lr`, `metric:train/loss`, `tag:team`. */
export interface IColumn {
  kind: ColumnKind;
  key: string;
}

export function columnId(column: IColumn): string {
  return `${column.kind}:${column.key}`;
}

/** The default columns: every param and every metric but `system/` ones, no tag. */
export function defaultColumns(matrix: IRunsMatrix): IColumn[] {
  return [
    ...matrix.params.map(key => ({ kind: 'param' as const, key })),
    ...matrix.metrics
      .filter(key => !key.startsWith('system/'))
      .map(key => ({ kind: 'metric' as const, key }))
  ];
}

/** A row's value in a column (undefined when the run lacks it). */
export function cellValue(
  row: IMatrixRow,
  column: IColumn
): string | number | null | undefined {
  if (column.kind === 'param') {
    return row.params[column.key];
  }
  if (column.kind === 'metric') {
    return row.metrics[column.key];
  }
  return row.tags[column.key];
}

/** A param's value as a number when it is one ("0.1" -> 0.1), else the text. */
function comparable(
  value: string | number | null | undefined
): string | number | null {
  if (value === undefined || value === null || value === '') {
    return null;
  }
  if (typeof value === 'number') {
    return value;
  }
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
}

/** Rows sorted by a column (missing values last, either way); numbers as numbers. */
export function sortRows(
  rows: readonly IMatrixRow[],
  column: IColumn | null,
  descending: boolean
): IMatrixRow[] {
  if (!column) {
    return [...rows];
  }
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = comparable(cellValue(a, column));
    const y = comparable(cellValue(b, column));
    if (x === null || y === null) {
      return x === y ? 0 : x === null ? 1 : -1;
    }
    if (typeof x === 'number' && typeof y === 'number') {
      return sign * (x - y);
    }
    return sign * String(x).localeCompare(String(y));
  });
}

/** One CSV field: quoted when needed; a leading = + - @ is defused (a spreadsheet would run it). */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) {
    text = `'${text}`;
  }
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The table as CSV: run id and name, then the chosen columns. */
export function toCsv(
  rows: readonly IMatrixRow[],
  columns: readonly IColumn[]
): string {
  const header = ['run_id', 'run_name', ...columns.map(columnId)];
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) {
    lines.push(
      [row.run_id, row.run_name, ...columns.map(c => cellValue(row, c))]
        .map(csvField)
        .join(',')
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** The columns with a number in every row that has them (what an axis can show). */
export function numericColumns(
  rows: readonly IMatrixRow[],
  columns: readonly IColumn[]
): IColumn[] {
  return columns.filter(column => {
    let seen = false;
    for (const row of rows) {
      const value = comparable(cellValue(row, column));
      if (value === null) {
        continue;
      }
      if (typeof value !== 'number') {
        return false;
      }
      seen = true;
    }
    return seen;
  });
}

/** Chart rows: the run and each numeric column's value under its column id. */
function chartValues(
  rows: readonly IMatrixRow[],
  columns: readonly IColumn[]
): Record<string, unknown>[] {
  return rows.map(row => {
    const values: Record<string, unknown> = {
      run: row.run_name,
      run_id: row.run_id
    };
    columns.forEach((column, i) => {
      values[`c${i}`] = comparable(cellValue(row, column));
    });
    return values;
  });
}

/**
 * Parallel coordinates over numeric columns (Vega-Lite's fold + min-max normalisation), one line a run,
 * coloured by the last column (usually a metric; its key is the chart's title). Field names are c0, c1…, never the keys (Vega-Lite writes
 * field names into expressions); the axis labels are the keys, as data.
 */
export function parallelSpec(
  rows: readonly IMatrixRow[],
  columns: readonly IColumn[],
  config: object = {}
): object {
  const fields = columns.map((_, i) => `c${i}`);
  const labels = Object.fromEntries(fields.map((f, i) => [f, columns[i].key]));
  const colour = fields[fields.length - 1];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `colour: ${columns[columns.length - 1]?.key ?? ''}`,
    width: Math.max(320, fields.length * 140),
    height: 300,
    data: { values: chartValues(rows, columns) },
    transform: [
      { window: [{ op: 'count', as: 'index' }] },
      { calculate: `datum.${colour}`, as: 'colour' },
      { fold: fields, as: ['field', 'raw'] },
      { filter: 'isValid(datum.raw)' },
      {
        joinaggregate: [
          { op: 'min', field: 'raw', as: 'min' },
          { op: 'max', field: 'raw', as: 'max' }
        ],
        groupby: ['field']
      },
      {
        calculate:
          'datum.max === datum.min ? 0.5 : (datum.raw - datum.min) / (datum.max - datum.min)',
        as: 'norm'
      },
      {
        lookup: 'field',
        from: {
          data: {
            values: Object.entries(labels).map(([field, label]) => ({
              field,
              label
            }))
          },
          key: 'field',
          fields: ['label']
        }
      }
    ],
    layer: [
      {
        mark: { type: 'line', opacity: 0.7 },
        encoding: {
          detail: { field: 'index', type: 'nominal' },
          color: {
            field: 'colour',
            type: 'quantitative',
            title: 'colour'
          },
          tooltip: [
            { field: 'run', type: 'nominal' },
            { field: 'label', type: 'nominal', title: 'column' },
            { field: 'raw', type: 'quantitative', title: 'value' }
          ]
        }
      },
      { mark: { type: 'point', filled: true, size: 30 } },
      {
        mark: { type: 'rule', color: '#888' },
        encoding: { detail: { aggregate: 'count' } }
      }
    ],
    encoding: {
      x: {
        field: 'label',
        type: 'nominal',
        sort: columns.map(c => c.key),
        title: null,
        axis: { labelAngle: 0, domain: false, ticks: false }
      },
      y: { field: 'norm', type: 'quantitative', axis: null }
    },
    config
  };
}

/** A scatter of two numeric columns, one point a run. */
export function scatterSpec(
  rows: readonly IMatrixRow[],
  x: IColumn,
  y: IColumn,
  config: object = {}
): object {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    // the keys are the chart's title (text), never field or axis titles (Vega-Lite writes those into
    // its expressions)
    title: `${y.key} against ${x.key}`,
    width: 420,
    height: 300,
    data: { values: chartValues(rows, [x, y]) },
    transform: [{ filter: 'isValid(datum.c0) && isValid(datum.c1)' }],
    mark: { type: 'point', filled: true, size: 60 },
    params: [{ name: 'zoom', select: 'interval', bind: 'scales' }],
    encoding: {
      x: {
        field: 'c0',
        type: 'quantitative',
        title: 'x',
        scale: { zero: false }
      },
      y: {
        field: 'c1',
        type: 'quantitative',
        title: 'y',
        scale: { zero: false }
      },
      color: { field: 'run', type: 'nominal', legend: null },
      tooltip: [
        { field: 'run', type: 'nominal' },
        { field: 'c0', type: 'quantitative', title: 'x' },
        { field: 'c1', type: 'quantitative', title: 'y' }
      ]
    },
    config
  };
}
