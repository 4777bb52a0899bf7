import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { runsIcon } from '../icons';
import type { IStoreState, StoreModel } from '../model';
import { SIDEBAR_ID } from '../tokens';
import { StoreViewClass, renderStoreView } from './storeview';

/**
 * The left-area "Runs" panel: a view over a `StoreModel`, re-rendered on `model.changed`.
 */
export class RunsSidebar extends Widget {
  constructor(model: StoreModel) {
    super();
    this.model = model;
    this.id = SIDEBAR_ID;
    this.addClass(StoreViewClass.panel);
    this.title.icon = runsIcon;
    this.title.caption = 'Experiment Runs';
    this.title.label = 'Runs';
    this.node.setAttribute('aria-label', 'Experiment Runs');
    model.changed.connect(this._onModelChanged, this);
    renderStoreView(this.node, model.state);
  }

  readonly model: StoreModel;

  /** Refresh when the panel is shown, so it is current even between polls. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._onModelChanged, this);
    super.dispose();
  }

  private _onModelChanged(_: StoreModel, state: IStoreState): void {
    renderStoreView(this.node, state);
  }
}
