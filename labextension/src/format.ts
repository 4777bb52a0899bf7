/**
 * Pure parsing and formatting of what the server sends. No JupyterLab imports.
 */
import type { IStoreInfo } from './types';

const STORE_FIELDS: (keyof IStoreInfo)[] = [
  'tracking_uri',
  'artifact_root',
  'root',
  'version'
];

/**
 * Validate the JSON answer of `GET /jupyter-exp/store`.
 *
 * `tracking_uri` is required; the other fields default to ''. Throws a `TypeError` naming the
 * first bad field, so a server/frontend mismatch shows up as a readable error line.
 */
export function parseStoreInfo(data: unknown): IStoreInfo {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new TypeError(
      'Unexpected answer from /jupyter-exp/store: not an object'
    );
  }
  const raw = data as Record<string, unknown>;
  const info: Record<string, string> = {};
  for (const field of STORE_FIELDS) {
    const value = raw[field];
    if (value === undefined || value === null) {
      info[field] = '';
    } else if (typeof value === 'string') {
      info[field] = value;
    } else {
      throw new TypeError(
        `Unexpected answer from /jupyter-exp/store: "${field}" is not a string`
      );
    }
  }
  if (!info.tracking_uri) {
    throw new TypeError(
      'Unexpected answer from /jupyter-exp/store: "tracking_uri" is missing'
    );
  }
  return info as unknown as IStoreInfo;
}

/** Hide the password of `scheme://user:password@host/...`; other URIs are returned as they are. */
export function redactUri(uri: string): string {
  return uri.replace(
    /^([a-zA-Z][\w+.-]*:\/\/)([^/@:]*):([^/@]*)@/,
    (_match, scheme: string, user: string) => `${scheme}${user}:***@`
  );
}

/** Strip trailing slashes (but keep a lone "/"). */
function trimSlashes(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed || path;
}

/**
 * A path shown short: relative to `root` when inside it, else its last two segments.
 */
export function shortenPath(path: string, root = ''): string {
  const normalized = path.replace(/\\/g, '/');
  const base = trimSlashes(root.replace(/\\/g, '/'));
  if (base && base !== '/' && normalized.startsWith(base + '/')) {
    return normalized.slice(base.length + 1);
  }
  const segments = normalized.split('/').filter(s => s.length > 0);
  if (segments.length <= 2) {
    return normalized;
  }
  return '…/' + segments.slice(-2).join('/');
}

/** The file path of a `sqlite:///relative.db` or `sqlite:////abs/path.db` URI, or null. */
export function sqlitePath(uri: string): string | null {
  const match = /^sqlite(?:\+\w+)?:\/\/(.*)$/i.exec(uri.trim());
  if (!match) {
    return null;
  }
  let rest = match[1].split('?')[0];
  if (rest === '' || rest === '/' || rest === '/:memory:') {
    return ':memory:';
  }
  // After "sqlite://", one "/" separates the (empty) host from the path:
  // "/rel.db" -> "rel.db", "//abs/x.db" -> "/abs/x.db".
  if (rest.startsWith('/')) {
    rest = rest.slice(1);
  }
  return decodeURIComponent(rest);
}

/**
 * A short, readable label for the tracking store, e.g.
 * `mlflow.db (SQLite)`, `db.example.org:5432/mlflow (PostgreSQL)`, `localhost:5000 (MLflow server)`.
 * Never contains a password.
 */
export function formatStoreLabel(
  info: Pick<IStoreInfo, 'tracking_uri'> & Partial<IStoreInfo>
): string {
  const uri = (info.tracking_uri || '').trim();
  const root = info.root || '';
  if (!uri) {
    return 'unknown store';
  }

  const dbFile = sqlitePath(uri);
  if (dbFile !== null) {
    if (dbFile === ':memory:') {
      return 'in-memory (SQLite)';
    }
    return `${shortenPath(dbFile, root)} (SQLite)`;
  }

  const server = /^([a-zA-Z][\w+.-]*):\/\/(?:[^/@]*@)?([^/?#]*)([^?#]*)/.exec(
    uri
  );
  if (server) {
    const scheme = server[1].toLowerCase().split('+')[0];
    const host = server[2];
    const path = server[3].replace(/^\/+/, '');
    switch (scheme) {
      case 'postgresql':
      case 'postgres':
        return `${host}${path ? '/' + path : ''} (PostgreSQL)`;
      case 'mysql':
        return `${host}${path ? '/' + path : ''} (MySQL)`;
      case 'mssql':
        return `${host}${path ? '/' + path : ''} (SQL Server)`;
      case 'http':
      case 'https':
        return `${host}${path ? '/' + path : ''} (MLflow server)`;
      case 'file':
        return `${shortenPath(decodeURIComponent('/' + path), root)} (file store)`;
      default:
        return redactUri(uri);
    }
  }
  if (uri === 'databricks' || uri.startsWith('databricks:')) {
    return 'Databricks';
  }
  if (
    uri.startsWith('/') ||
    uri.startsWith('.') ||
    /^[A-Za-z]:[\\/]/.test(uri)
  ) {
    return `${shortenPath(uri, root)} (file store)`;
  }
  return redactUri(uri);
}

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

/** A bad `key=value` list in the reproduce dialog. */
export class OverrideSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverrideSyntaxError';
  }
}

/** Split on top-level commas: not inside quotes, brackets, braces or parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  const closing: string[] = [];
  let quote: string | null = null;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      current += char;
      if (char === '\\' && i + 1 < text.length) {
        current += text[++i];
      } else if (char === quote) {
        quote = null;
      }
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '[' || char === '(' || char === '{') {
      closing.push(char === '[' ? ']' : char === '(' ? ')' : '}');
    } else if (char === ']' || char === ')' || char === '}') {
      if (closing.pop() !== char) {
        throw new OverrideSyntaxError(`Unbalanced "${char}"`);
      }
    } else if (char === ',' && closing.length === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (quote) {
    throw new OverrideSyntaxError(`Unterminated string (missing ${quote})`);
  }
  if (closing.length > 0) {
    throw new OverrideSyntaxError(`Missing "${closing[closing.length - 1]}"`);
  }
  parts.push(current);
  return parts;
}

/**
 * Parse `lr=0.05, epochs=3` into `{lr: "0.05", epochs: "3"}` (values stay Python literals, as in
 * `%reproduce --set`). Commas inside quotes or brackets do not split. Throws an
 * `OverrideSyntaxError` with a one-line message on bad input; '' gives `{}`.
 */
export function parseOverrides(text: string): Record<string, string> {
  const overrides: Record<string, string> = {};
  if (!text.trim()) {
    return overrides;
  }
  for (const part of splitTopLevel(text)) {
    const item = part.trim();
    if (!item) {
      throw new OverrideSyntaxError('Empty item: remove the extra comma');
    }
    const eq = item.indexOf('=');
    if (eq < 0) {
      throw new OverrideSyntaxError(`"${item}" is not name=value`);
    }
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    // a captured name, or a dotted path into one (config.epochs), as `%reproduce --set` takes it
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(key)) {
      throw new OverrideSyntaxError(`"${key}" is not a valid name`);
    }
    if (!value) {
      throw new OverrideSyntaxError(`"${key}" has no value`);
    }
    if (Object.prototype.hasOwnProperty.call(overrides, key)) {
      throw new OverrideSyntaxError(`"${key}" is set twice`);
    }
    overrides[key] = value;
  }
  return overrides;
}
