/**
 * The Vega-Lite spec of a comparison's metric charts: one curve per run, or, when the runs form
 * groups, each group's mean over its ±1 sd band with its runs faint; in the theme's colours.
 * Pure (no DOM, no JupyterLab imports): JupyterLab's Vega renderer draws it (rendermime.ts),
 * the SVG chart stands in without one (svg.ts).
 */
import { runLabel } from '../../formatvalue';
import type { IComparison } from '../../types';
import { untranslated, type Trans } from '../dom';
import { vegaThemeConfig, type IChartTheme } from './theme';

/** Mime type of the metric charts (JupyterLab ships a renderer for it). */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** A JSON Vega-Lite spec. */
export type VegaLiteSpec = { [key: string]: unknown };

/** One run's curve of a metric, as the SVG chart draws it. */
export interface IChartCurve {
  label: string;
  steps: number[];
  values: number[];
}

/** How a chart is drawn: through the rendermime registry in the lab, SVG otherwise. */
export type ChartRenderer = (
  container: HTMLElement,
  metric: string,
  spec: VegaLiteSpec,
  curves: IChartCurve[]
) => void;

/** How a chart is labelled and coloured. */
export interface IChartOptions {
  /** The theme's colours now; Vega's defaults without. */
  theme?: IChartTheme;
  trans?: Trans;
}

/** The label of each run of the comparison, by run id. */
function runLabels(comparison: IComparison, trans: Trans): Map<string, string> {
  return new Map(
    comparison.runs.map(run => [run.run_id, runLabel(run, trans.__('run'))])
  );
}

/** The metrics that have curves (a run's, or a group's band) to draw, in the comparison's order. */
export function chartedMetrics(comparison: IComparison): string[] {
  return comparison.metrics.keys.filter(
    key =>
      (comparison.series[key] ?? []).some(s => s.values.length > 0) ||
      (comparison.groups?.series[key] ?? []).some(b => b.mean.length > 0)
  );
}

/** Each run's curve of `metric`, labelled as in the tables. */
export function metricCurves(
  comparison: IComparison,
  metric: string,
  trans: Trans = untranslated
): IChartCurve[] {
  const labels = runLabels(comparison, trans);
  return (comparison.series[metric] ?? []).map(s => ({
    label: labels.get(s.run_id) ?? s.run_id,
    steps: s.steps,
    values: s.values
  }));
}

/** The Vega-Lite spec of one metric's curves, one colour per run, in `theme`'s colours if given. */
export function metricChartSpec(
  comparison: IComparison,
  metric: string,
  options: IChartOptions = {}
): VegaLiteSpec {
  const { theme } = options;
  const trans = options.trans ?? untranslated;
  const values: { run: string; step: number; value: number }[] = [];
  for (const curve of metricCurves(comparison, metric, trans)) {
    const n = Math.min(curve.steps.length, curve.values.length);
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(curve.values[i])) {
        values.push({
          run: curve.label,
          step: curve.steps[i],
          value: curve.values[i]
        });
      }
    }
  }
  // Field titles are fixed words, never the metric's name: Vega-Lite writes them, unescaped, into
  // the Vega expressions of the tooltip and the marks' descriptions, so a metric named with a
  // quote rewrote those expressions. The name is the chart's title (text, not an expression).
  const titles = {
    step: trans.__('step'),
    value: trans.__('value'),
    run: trans.__('run')
  };
  const encoding = {
    x: { field: 'step', type: 'quantitative', title: titles.step },
    y: {
      field: 'value',
      type: 'quantitative',
      title: titles.value,
      scale: { zero: false }
    },
    color: { field: 'run', type: 'nominal', title: titles.run },
    tooltip: [
      { field: 'run', type: 'nominal', title: titles.run },
      { field: 'step', type: 'quantitative', title: titles.step },
      { field: 'value', type: 'quantitative', title: titles.value }
    ]
  };
  const common = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: metric,
    width: 480,
    height: 180,
    ...(theme ? { config: vegaThemeConfig(theme) } : {})
  };
  const bands = groupBandValues(comparison, metric, trans);
  if (bands.length === 0) {
    return {
      ...common,
      data: { values },
      mark: { type: 'line', point: values.length <= 40 },
      encoding
    };
  }
  // groups: their runs thin and faint, each group's mean bold over its ±1 sd band
  return {
    ...common,
    data: { values: [...values, ...bands] },
    encoding,
    layer: [
      {
        transform: [{ filter: '!datum.band' }],
        mark: { type: 'line', opacity: 0.35, strokeWidth: 1 }
      },
      {
        transform: [{ filter: 'datum.band' }],
        mark: { type: 'area', opacity: 0.2 },
        encoding: {
          y: { field: 'low', type: 'quantitative' },
          y2: { field: 'high' }
        }
      },
      {
        transform: [{ filter: 'datum.band' }],
        mark: { type: 'line', strokeWidth: 2.5 }
      }
    ]
  };
}

/** A chart row of a group's curve: its mean at a step and the ±1 sd band around it. */
interface IBandRow {
  run: string;
  step: number;
  value: number;
  low: number;
  high: number;
  band: true;
}

/** Each group's mean and ±1 sd band of `metric` as chart rows (`band: true`), labelled by the group. */
function groupBandValues(
  comparison: IComparison,
  metric: string,
  trans: Trans
): IBandRow[] {
  const groups = comparison.groups;
  const rows: IBandRow[] = [];
  for (const band of groups?.series[metric] ?? []) {
    const label = trans.__(
      '%1 (mean ± sd)',
      groups?.groups[band.group]?.label ?? band.group
    );
    band.steps.forEach((step, i) => {
      if (Number.isFinite(band.mean[i])) {
        rows.push({
          run: label,
          step,
          value: band.mean[i],
          low: band.low[i],
          high: band.high[i],
          band: true
        });
      }
    });
  }
  return rows;
}
