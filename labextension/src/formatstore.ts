/**
 * The store info the server sends: parsing, and its short label (never with a password).
 * No JupyterLab imports.
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
  const shared =
    typeof raw.shared === 'boolean'
      ? raw.shared
      : isSharedTrackingUri(info.tracking_uri);
  return { ...info, shared } as unknown as IStoreInfo;
}

/**
 * Whether a tracking URI names a store others write to too: an MLflow or database server, not a
 * local file (the rule of jupyter_exp/tracking/identity.py `is_shared_store`).
 */
export function isSharedTrackingUri(uri: string): boolean {
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon).toLowerCase() : '';
  // A Windows drive letter (C:\...) is a local path, not a scheme.
  if (scheme.length === 1) {
    return false;
  }
  return !['', 'file', 'sqlite'].includes(scheme);
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

/**
 * The MLflow UI page of a run as MLflow 3 opens it for a classic (model training) experiment:
 * its UI shows an experiment as a GenAI one unless the page's query says
 * `workflowType=machine_learning`. Servers before that change send the link without it; a link
 * that already says it, or that is no experiment page, is returned as it is.
 */
export function mlflowRunPageUrl(url: string): string {
  const hash = url.indexOf('#/experiments/');
  if (hash < 0) {
    return url;
  }
  const [route, query = ''] = url.slice(hash + 1).split('?', 2);
  const params = new URLSearchParams(query);
  if (params.has('workflowType')) {
    return url;
  }
  params.set('workflowType', 'machine_learning');
  return `${url.slice(0, hash)}#${route}?${params}`;
}
