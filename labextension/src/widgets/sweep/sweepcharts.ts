/**
 * The sweep's charts as Vega-Lite specs, pure (no DOM): parallel coordinates of the numeric params to
 * the objective (the runs table's `parallelSpec`) and a scatter of each param against the objective
 * (the runs table's `scatterSpec`, on a log axis for a log-distributed param; a strip per choice for
 * a categorical one). One point or line per complete trial. Keys from the record are chart titles
 * or data, never field names or axis titles (Vega-Lite writes those into its expressions).
 */
import {
  numericColumns,
  parallelSpec,
  scatterSpec,
  type IColumn,
  type IMatrixRow
} from '../../runstable';
import type { IChartCurve } from '../charts/vegalite';
import type { ISweep } from './types';

/** The objective's column name: the metric, or `value` for a cell's last expression. */
export function objectiveKey(sweep: ISweep): string {
  return sweep.metric || 'value';
}

/** Complete trials as rows of the runs table's charts: params as text, the objective as a metric. */
export function trialRows(sweep: ISweep): IMatrixRow[] {
  const key = objectiveKey(sweep);
  return sweep.trials
    .filter(t => t.state === 'COMPLETE' && t.value !== null)
    .map(t => ({
      run_id: t.run_id,
      run_name: t.number !== null ? `#${t.number}` : t.run_name,
      experiment_name: null,
      status: t.status,
      start_time: null,
      params: Object.fromEntries(
        Object.entries(t.params).map(([k, v]) => [
          k,
          v === null ? '' : String(v)
        ])
      ),
      metrics: { [key]: t.value },
      tags: {}
    }));
}

/** The numeric params (an axis each) and the objective (the last axis, the colour). */
export function parallelColumns(sweep: ISweep): IColumn[] {
  const rows = trialRows(sweep);
  const params = sweep.params.map(key => ({ kind: 'param' as const, key }));
  return [
    ...numericColumns(rows, params),
    { kind: 'metric', key: objectiveKey(sweep) }
  ];
}

/** Parallel coordinates of the numeric params to the objective; null with fewer than 2 trials or no numeric param. */
export function sweepParallelSpec(
  sweep: ISweep,
  config: object = {}
): object | null {
  const rows = trialRows(sweep);
  const columns = parallelColumns(sweep);
  if (rows.length < 2 || columns.length < 2) {
    return null;
  }
  // narrower axes than the runs table's tab: the sidebar is narrow
  return { ...parallelSpec(rows, columns, config), width: columns.length * 90 };
}

/** Whether a param's recorded distribution is on a log scale. */
function isLog(sweep: ISweep, param: string): boolean {
  return sweep.space[param]?.attributes?.log === true;
}

/** A param's values against the objective; null when no complete trial has it. */
export function paramScatterSpec(
  sweep: ISweep,
  param: string,
  config: object = {}
): object | null {
  const rows = trialRows(sweep).filter(row => (row.params[param] ?? '') !== '');
  if (rows.length === 0) {
    return null;
  }
  const x: IColumn = { kind: 'param', key: param };
  const y: IColumn = { kind: 'metric', key: objectiveKey(sweep) };
  const numeric = numericColumns(rows, [x]).length === 1;
  const spec = scatterSpec(rows, x, y, config) as {
    [key: string]: unknown;
    encoding: { [key: string]: unknown; x: Record<string, unknown> };
  };
  spec.width = 260;
  spec.height = 180;
  if (numeric) {
    spec.encoding.x.scale = isLog(sweep, param)
      ? { type: 'log' }
      : { zero: false };
  } else {
    // a categorical param: one strip per choice (text values, never field names)
    spec.transform = [{ filter: 'isValid(datum.c1)' }];
    spec.encoding.x = { field: 'c0', type: 'nominal', title: 'x' };
    spec.encoding.tooltip = [
      { field: 'run', type: 'nominal' },
      { field: 'c0', type: 'nominal', title: 'x' },
      { field: 'c1', type: 'quantitative', title: 'y' }
    ];
  }
  return spec;
}

/** The SVG fallback's curve of a numeric param's scatter: the trials' points in the param's order. */
export function scatterCurves(sweep: ISweep, param: string): IChartCurve[] {
  const points = trialRows(sweep)
    .map(row => [Number(row.params[param]), row.metrics[objectiveKey(sweep)]])
    .filter(
      (p): p is [number, number] =>
        Number.isFinite(p[0]) && typeof p[1] === 'number'
    )
    .sort((a, b) => a[0] - b[0]);
  return points.length > 0
    ? [
        {
          label: objectiveKey(sweep),
          steps: points.map(p => p[0]),
          values: points.map(p => p[1])
        }
      ]
    : [];
}
