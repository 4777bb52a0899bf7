/**
 * A `--seeds` parent's metrics read as summaries: the parent logs `{metric}/mean`, `/std`, `/n`,
 * `/ci_low`, `/ci_high` (docs/run-record.md); the list shows `metric mean ± sd (n)` instead of the
 * raw statistic keys. Pure, no DOM.
 */
import { formatMetricValue, isSystemMetric } from './formatvalue';
import type { ISampleSummary } from './types';

/** One metric of a group: its name and summary over the children. */
export interface IGroupMetric {
  metric: string;
  mean: number;
  std: number | null;
  n: number | null;
}

/** The summaries held in a parent's metrics (`X/mean` with `X/n` or `X/std`), user metrics first. */
export function groupMetrics(
  metrics: Record<string, number | null> | null | undefined
): IGroupMetric[] {
  const found: IGroupMetric[] = [];
  const all = metrics ?? {};
  for (const [key, mean] of Object.entries(all)) {
    if (!key.endsWith('/mean') || typeof mean !== 'number') {
      continue;
    }
    const metric = key.slice(0, -'/mean'.length);
    const std = all[`${metric}/std`];
    const n = all[`${metric}/n`];
    if (std === undefined && n === undefined) {
      continue; // a metric the user named `.../mean`, not a group statistic
    }
    found.push({
      metric,
      mean,
      std: typeof std === 'number' ? std : null,
      n: typeof n === 'number' ? n : null
    });
  }
  return found.sort(
    (a, b) =>
      Number(isSystemMetric(a.metric)) - Number(isSystemMetric(b.metric)) ||
      a.metric.localeCompare(b.metric)
  );
}

/** Whether a run's metrics are a seed group's statistics (a `--seeds` parent). */
export function isGroupParent(
  metrics: Record<string, number | null> | null | undefined
): boolean {
  return groupMetrics(metrics).length > 0;
}

/** `0.75 ± 0.003 (3)`: mean ± sample sd (n); the sd left out when there is none. */
export function meanSdText(
  mean: number,
  std: number | null,
  n: number | null
): string {
  const spread = std === null ? '' : ` ± ${formatMetricValue(std)}`;
  const count = n === null ? '' : ` (${n})`;
  return `${formatMetricValue(mean)}${spread}${count}`;
}

/** `meanSdText` of a REST summary; `–` for none. */
export function summaryMeanSd(summary: ISampleSummary | null): string {
  return summary === null
    ? '–'
    : meanSdText(summary.mean, summary.std, summary.n);
}
