/**
 * The routes of run management, artifacts and metric histories (docs/rest-api.md), over an injected
 * request function (`requestAPI` in the lab). No JupyterLab imports.
 */
import { runPath, type RequestFunction } from './api';
import type { IRunsMatrix } from './runstable';

/** `GET runs/<id>/artifact?path=`: one artifact as a read-only viewer takes it. */
export interface IArtifactContent {
  run_id: string;
  path: string;
  kind: 'text' | 'json' | 'image' | 'notebook';
  mimetype: string;
  format: 'text' | 'base64' | 'json';
  content: unknown;
  size: number;
}

/** One metric of one run: steps, wall-clock times (ms) and values, in step order. */
export interface ITimedSeries {
  steps: number[];
  timestamps: number[];
  values: number[];
  total_points: number;
  downsampled: boolean;
}

/** `GET history?run_ids=`: each run's histories of `keys`. */
export interface IHistories {
  keys: string[];
  runs: {
    run_id: string;
    run_name: string;
    series: Record<string, ITimedSeries>;
  }[];
}

/** What a run's management answers: the changed field. */
export interface IManaged {
  run_id: string;
  run_name?: string;
  note?: string | null;
  tags?: Record<string, string>;
  lifecycle?: 'active' | 'deleted';
}

/** `key=value` sets a tag, `-key` removes it; null when the text is neither. */
export function parseTagEdit(
  text: string
): { set: Record<string, string>; remove: string[] } | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('-') && trimmed.length > 1 && !trimmed.includes('=')) {
    return { set: {}, remove: [trimmed.slice(1).trim()] };
  }
  const at = trimmed.indexOf('=');
  if (at <= 0) {
    return null;
  }
  return {
    set: { [trimmed.slice(0, at).trim()]: trimmed.slice(at + 1).trim() },
    remove: []
  };
}

export class ManageClient {
  constructor(request: RequestFunction) {
    this._request = request;
  }

  rename(runId: string, name: string): Promise<IManaged> {
    return this._post(runId, 'rename', { name });
  }

  setNote(runId: string, note: string): Promise<IManaged> {
    return this._post(runId, 'note', { note });
  }

  updateTags(
    runId: string,
    set: Record<string, string>,
    remove: string[] = []
  ): Promise<IManaged> {
    return this._post(runId, 'tags', { set, delete: remove });
  }

  deleteRun(runId: string): Promise<IManaged> {
    return this._post(runId, 'delete', {});
  }

  restoreRun(runId: string): Promise<IManaged> {
    return this._post(runId, 'restore', {});
  }

  artifact(runId: string, path: string): Promise<IArtifactContent> {
    const query = new URLSearchParams({ path }).toString();
    return this._request<IArtifactContent>(
      `${runPath(runId, 'artifact')}?${query}`
    );
  }

  /** An image artifact as a data URL, kept (a run's artifacts do not change once it ended). */
  imageUrl(runId: string, path: string): Promise<string> {
    const key = `${runId}/${path}`;
    let found = this._images.get(key);
    if (!found) {
      found = this.artifact(runId, path).then(artifact => {
        if (artifact.kind !== 'image') {
          throw new Error(`${path} is no image`);
        }
        return `data:${artifact.mimetype};base64,${String(artifact.content)}`;
      });
      found.catch(() => this._images.delete(key));
      this._images.set(key, found);
    }
    return found;
  }

  /** Params, metrics and tags of these runs, or of an experiment's runs. */
  table(scope: {
    runIds?: string[];
    experiment?: string;
  }): Promise<IRunsMatrix> {
    const params = new URLSearchParams();
    if (scope.runIds && scope.runIds.length > 0) {
      params.set('run_ids', scope.runIds.join(','));
    } else if (scope.experiment) {
      params.set('experiment', scope.experiment);
    }
    return this._request<IRunsMatrix>(`table?${params.toString()}`);
  }

  histories(
    runIds: string[],
    options: { keys?: string[]; maxPoints?: number } = {}
  ): Promise<IHistories> {
    const params = new URLSearchParams({ run_ids: runIds.join(',') });
    if (options.keys && options.keys.length > 0) {
      params.set('keys', options.keys.join(','));
    }
    if (options.maxPoints !== undefined) {
      params.set('max_points', String(options.maxPoints));
    }
    return this._request<IHistories>(`history?${params.toString()}`);
  }

  private _post(
    runId: string,
    action: string,
    body: object
  ): Promise<IManaged> {
    return this._request<IManaged>(runPath(runId, action), {
      method: 'POST',
      body: JSON.stringify(body)
    });
  }

  private _request: RequestFunction;
  private _images = new Map<string, Promise<string>>();
}
