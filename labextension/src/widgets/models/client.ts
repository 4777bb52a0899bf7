/**
 * The model registry's routes over an injected request function (`requestAPI` in the lab, a fake in
 * tests). No JupyterLab imports.
 */
import { runPath, type RequestFunction } from '../../api';
import type {
  IModelDetail,
  IModelSummary,
  IRegistered,
  IRunCheckpoints
} from './types';

/** The path of one model's route: `models/<encoded name>[/suffix]`. */
export function modelPath(name: string, suffix = ''): string {
  return `models/${encodeURIComponent(name)}${suffix ? '/' + suffix : ''}`;
}

export class ModelsClient {
  constructor(request: RequestFunction) {
    this._request = request;
  }

  /** A run's checkpoints, best first by its objective. */
  checkpoints(runId: string): Promise<IRunCheckpoints> {
    return this._request<IRunCheckpoints>(runPath(runId, 'checkpoints'));
  }

  async listModels(): Promise<IModelSummary[]> {
    const data = await this._request<{ models?: IModelSummary[] }>('models');
    return Array.isArray(data?.models) ? data.models : [];
  }

  getModel(name: string): Promise<IModelDetail> {
    return this._request<IModelDetail>(modelPath(name));
  }

  /** Register a checkpoint (a model id) as a version of `name`; the promotion alias may be refused (409). */
  register(
    name: string,
    checkpoint: string,
    alias: string | null
  ): Promise<IRegistered> {
    return this._request<IRegistered>(modelPath(name, 'versions'), {
      method: 'POST',
      body: JSON.stringify({ checkpoint, alias })
    });
  }

  private _request: RequestFunction;
}
