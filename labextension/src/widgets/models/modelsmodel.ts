/**
 * The model view's state: the registered models, and the versions of the one selected. Kept apart
 * from the view; no JupyterLab imports.
 */
import { describeError } from '../../errors';
import { StateModel } from '../../statemodel';
import type { IModelDetail, IModelSummary } from './types';

export interface IModelsState {
  readonly models: readonly IModelSummary[];
  readonly selected: string | null;
  readonly detail: IModelDetail | null;
  readonly loading: boolean;
  /** The list, or the selected model, could not be loaded (one line). */
  readonly error: string | null;
}

export class ModelsModel extends StateModel<IModelsState> {
  constructor(options: ModelsModel.IOptions) {
    super({
      models: [],
      selected: options.selected ?? null,
      detail: null,
      loading: false,
      error: null
    });
    this._options = options;
  }

  /** Load the list and the selected model (the first one when none is). Never rejects. */
  async load(): Promise<void> {
    const generation = this.invalidate();
    this.patch({ loading: true });
    try {
      const models = await this._options.listModels();
      if (!this.isCurrent(generation)) {
        return;
      }
      const selected =
        this.state.selected ?? (models.length ? models[0].name : null);
      this.patch({ models, selected });
      await this._loadDetail(selected, generation);
    } catch (error) {
      if (this.isCurrent(generation)) {
        this.patch({ error: describeError(error), loading: false });
      }
    }
  }

  /** Show one model's versions. Never rejects. */
  async select(name: string): Promise<void> {
    const generation = this.invalidate();
    this.patch({ selected: name, detail: null, loading: true });
    await this._loadDetail(name, generation);
  }

  private async _loadDetail(
    name: string | null,
    generation: number
  ): Promise<void> {
    if (name === null) {
      this.patch({ detail: null, loading: false, error: null });
      return;
    }
    try {
      const detail = await this._options.getModel(name);
      if (this.isCurrent(generation)) {
        this.patch({ detail, loading: false, error: null });
      }
    } catch (error) {
      if (this.isCurrent(generation)) {
        this.patch({
          detail: null,
          loading: false,
          error: describeError(error)
        });
      }
    }
  }

  private _options: ModelsModel.IOptions;
}

export namespace ModelsModel {
  export interface IOptions {
    listModels(): Promise<IModelSummary[]>;
    getModel(name: string): Promise<IModelDetail>;
    /** The model shown first. */
    selected?: string | null;
  }
}
