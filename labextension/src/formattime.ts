/**
 * Times and durations as the views show them. No JupyterLab imports.
 */

/** Durations: `850 ms`, `12.3 s`, `3 min 05 s`, `1 h 02 min`, `2 d 3 h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) {
    return '';
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const seconds = ms / 1000;
  if (seconds < 60) {
    return `${seconds < 10 ? seconds.toFixed(1) : Math.floor(seconds)} s`;
  }
  const total = Math.floor(seconds);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (total < 3600) {
    return `${Math.floor(total / 60)} min ${pad(total % 60)} s`;
  }
  if (total < 86400) {
    return `${Math.floor(total / 3600)} h ${pad(Math.floor((total % 3600) / 60))} min`;
  }
  return `${Math.floor(total / 86400)} d ${Math.floor((total % 86400) / 3600)} h`;
}

/** How long a run ran (or has been running, for a run without end time), or null. */
export function runDuration(
  run: { start_time: number | null; end_time: number | null; status?: string },
  now: number = Date.now()
): number | null {
  if (run.start_time === null || run.start_time === undefined) {
    return null;
  }
  const end =
    run.end_time ??
    (run.status === undefined || run.status === 'RUNNING' ? now : null);
  if (end === null) {
    return null;
  }
  return Math.max(0, end - run.start_time);
}

/** `just now`, `42 s ago`, `3 min ago`, `5 h ago`, `2 d ago`, then the date (`2025-11-23`). */
export function formatRelativeTime(
  time: number | null | undefined,
  now: number = Date.now()
): string {
  if (time === null || time === undefined || !Number.isFinite(time)) {
    return '';
  }
  const seconds = Math.floor((now - time) / 1000);
  if (seconds < 10) {
    return 'just now';
  }
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours} h ago`;
  }
  const days = Math.floor(hours / 24);
  if (days < 7) {
    return `${days} d ago`;
  }
  const date = new Date(time);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Absolute local time, for tooltips. */
export function formatAbsoluteTime(time: number | null | undefined): string {
  if (time === null || time === undefined || !Number.isFinite(time)) {
    return '';
  }
  return new Date(time).toLocaleString();
}
