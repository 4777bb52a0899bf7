/**
 * The run list's sort vocabulary: the `order` parameter (`start_time DESC`, `metrics.loss ASC`),
 * the attributes offered, and the metrics the loaded rows can be sorted by. Pure, no JupyterLab
 * imports.
 */
import { isSystemMetric } from './formatvalue';
import type { IRunSummary } from './types';

export type SortDirection = 'ASC' | 'DESC';

/** The attributes the list sorts by, with the direction picked with them. */
export const SORT_FIELDS: readonly {
  value: string;
  label: string;
  direction: SortDirection;
}[] = [
  { value: 'start_time', label: 'Start time', direction: 'DESC' },
  { value: 'end_time', label: 'End time', direction: 'DESC' },
  { value: 'run_name', label: 'Name', direction: 'ASC' },
  { value: 'status', label: 'Status', direction: 'ASC' }
];

export const DEFAULT_SORT = 'start_time DESC';

/** `metrics.loss ASC` -> `{field: 'metrics.loss', direction: 'ASC'}` (DESC when not given). */
export function parseSort(sort: string): {
  field: string;
  direction: SortDirection;
} {
  const text = sort.trim() || DEFAULT_SORT;
  const match = /^(.*\S)\s+(ASC|DESC)$/i.exec(text);
  return match
    ? {
        field: match[1],
        direction: match[2].toUpperCase() as SortDirection
      }
    : { field: text, direction: 'DESC' };
}

/**
 * The `order` of sorting by `field`: an attribute with its usual direction, a metric
 * (`metrics.KEY`) in the direction of `current`.
 */
export function sortByField(current: string, field: string): string {
  const attribute = SORT_FIELDS.find(f => f.value === field);
  const direction = attribute
    ? attribute.direction
    : parseSort(current).direction;
  return `${field} ${direction}`;
}

/** The `order` of `current` in `direction`. */
export function sortInDirection(
  current: string,
  direction: SortDirection
): string {
  return `${parseSort(current).field} ${direction}`;
}

/** The metric a sort orders by (`metrics.loss DESC` -> `loss`), or null. */
export function sortMetric(sort: string): string | null {
  const { field } = parseSort(sort);
  return field.startsWith('metrics.') ? field.slice('metrics.'.length) : null;
}

/**
 * The metrics the list can sort by: those of the loaded runs (user metrics first, then
 * `system/` ones, each by name) and the one sorted by now.
 */
export function sortableMetrics(
  runs: readonly IRunSummary[],
  sort: string
): string[] {
  const keys = new Set<string>();
  for (const run of runs) {
    Object.keys(run.metrics ?? {}).forEach(key => keys.add(key));
  }
  const current = sortMetric(sort);
  if (current) {
    keys.add(current);
  }
  return [...keys].sort(
    (a, b) =>
      Number(isSystemMetric(a)) - Number(isSystemMetric(b)) ||
      a.localeCompare(b)
  );
}
