/**
 * Metric values, commits, metric order, sizes and run labels as the views show them. No
 * JupyterLab imports.
 */

/** A metric value, compact: `0.1235`, `1234`, `1.23e-5`, `2.5e+7`. */
export function formatMetricValue(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? '∞' : '-∞';
  }
  const abs = Math.abs(value);
  if (abs === 0) {
    return '0';
  }
  if (Number.isInteger(value) && abs < 1e6) {
    return String(value);
  }
  if (abs >= 1e6 || abs < 1e-3) {
    return value.toExponential(2).replace(/\.?0+e/, 'e');
  }
  return String(Number(value.toPrecision(4)));
}

/** A git commit as 7 characters, `*` when the working tree was dirty; '' without commit. */
export function shortHash(
  commit: string | null | undefined,
  dirty?: boolean | null
): string {
  if (!commit) {
    return '';
  }
  return commit.slice(0, 7) + (dirty ? '*' : '');
}

/** Whether a metric is a `system/` metric (wall time, memory…), listed after the others. */
export function isSystemMetric(key: string): boolean {
  return key.startsWith('system/');
}

/** The metrics to show on a row: non-`system/` metrics first, then system ones, at most `count`. */
export function keyMetrics(
  metrics: Record<string, number> | null | undefined,
  count = 3
): [string, number][] {
  const entries = Object.entries(metrics ?? {});
  const user = entries.filter(([key]) => !isSystemMetric(key));
  const system = entries.filter(([key]) => isSystemMetric(key));
  return [...user, ...system].slice(0, count);
}

/** Bytes as `512 B`, `1.2 KB`, `3.4 MB`. */
export function formatBytes(size: number | null | undefined): string {
  if (size === null || size === undefined || !Number.isFinite(size)) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `name (abcd1234)`: how a run is labelled in the compare view's tables and legends. */
export function runLabel(
  run: { run_name?: string | null; run_id: string },
  unnamed = 'run'
): string {
  return `${run.run_name || unnamed} (${run.run_id.slice(0, 8)})`;
}
