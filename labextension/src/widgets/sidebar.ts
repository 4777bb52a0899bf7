/**
 * The left-area "Runs" panel, a JupyterLab `SidePanel`: the store line in its header, a toolbar
 * (scope, refresh, compare), a filter toolbar (experiment, filter, status, sort), the jobs, the
 * run list and the detail of the run clicked (which replaces the list until "back").
 *
 * Model signals only request an update; the panel renders what changed once per frame in
 * `onUpdateRequest`. The controls are the FilterBar's (filterbar.ts), laid out by toolbars.ts;
 * what one model's change means for another is coordination.ts's, not the panel's.
 */
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { refreshAll } from '../coordination';
import type { DetailModel } from '../detailmodel';
import { runsIcon } from '../icons';
import type { JobsModel } from '../jobsmodel';
import type { StoreModel } from '../model';
import type { IRunsState, RunsModel } from '../runsmodel';
import { SIDEBAR_ID } from '../tokens';
import type { IRunDetail } from '../types';
import { PendingParts } from './batch';
import { ExpClass } from './classes';
import { renderRunDetail } from './detailview';
import { el, type Trans } from './dom';
import { FilterBar } from './filterbar';
import { renderJobs } from './jobsview';
import { RunListView } from './runlist';
import type { SweepView } from './sweep/sweepview';
import { renderStoreLine } from './storeview';
import { FilterPanel, nodeWidget, populateRunsToolbar } from './toolbars';

/** What the sidebar asks the application to do. */
export interface ISidebarActions {
  /** Whether "Go to cell" can work (a notebook tracker is available). */
  readonly canGotoCell: boolean;
  gotoCell(run: IRunDetail): void;
  openSnapshot(run: IRunDetail): void;
  copyRunId(runId: string): void;
  reproduce(runId: string): void;
  /** Run management and viewers (runmanage.ts); left out, the detail offers none. */
  openArtifact?(runId: string, path: string): void;
  openCharts?(runId: string): void;
  restore?(runId: string): void;
  loadImage?(runId: string, path: string): Promise<string>;
  /** The checkpoints section of a run's detail (widgets/models/setup.ts). */
  checkpointsNode?(run: IRunDetail): HTMLElement | null;
}

type Part = 'store' | 'runs' | 'detail' | 'jobs';

export class RunsSidebar extends SidePanel {
  constructor(options: RunsSidebar.IOptions) {
    const translator = options.translator ?? nullTranslator;
    super({ content: new Panel(), translator });
    const trans = (this._bundle = translator.load('jupyter_exp'));
    this.store = options.store;
    this.runs = options.runs;
    this.detail = options.detail;
    this.jobs = options.jobs;
    this._actions = options.actions;
    this.id = SIDEBAR_ID;
    this.addClass(ExpClass.panel);
    this.title.icon = runsIcon;
    this.title.caption = trans.__('Experiment Runs');
    this.node.setAttribute('aria-label', trans.__('Experiment Runs'));

    const doc = this.node.ownerDocument;
    // The panel's title, as JupyterLab's own side panels have it (e.g. the table of contents).
    this.header.addWidget(
      nodeWidget(el(doc, 'h2', 'jp-text-truncated', trans.__('Runs')))
    );
    this._storeNode = el(doc, 'div', ExpClass.store);

    // The query's controls: the scope in the panel's toolbar, the others in the filter panel.
    const filters = new FilterBar(doc, { model: this.runs, trans });
    populateRunsToolbar(this.toolbar, {
      filters,
      commands: options.commands,
      selected: () => this.runs.state.selection.length,
      onRefresh: () => void this.refresh(),
      trans
    });
    this._filtersWidget = new FilterPanel(filters, trans);
    this._errorNode = el(doc, 'div', ExpClass.error);
    this._errorNode.setAttribute('role', 'alert');
    this._jobsNode = el(doc, 'div', ExpClass.jobs);
    const listNode = el(doc, 'div', ExpClass.runList);
    listNode.setAttribute('aria-label', trans.__('Runs'));
    this._list = new RunListView(listNode, {
      trans,
      callbacks: {
        onOpen: runId => this.openRun(runId),
        onToggle: (runId, selected) =>
          this.runs.toggleSelected(runId, selected),
        onLoadMore: () => void this.runs.loadMore(),
        onOpenSweep: options.sweepView
          ? runId => this.openSweep(runId)
          : undefined
      }
    });
    this._detailNode = el(doc, 'div', ExpClass.detail);
    this._detailNode.hidden = true;

    this.content.addClass('jp-exp-content');
    this._listWidget = nodeWidget(listNode);
    for (const widget of [
      nodeWidget(this._storeNode),
      this._filtersWidget,
      nodeWidget(this._errorNode),
      nodeWidget(this._jobsNode),
      this._listWidget,
      nodeWidget(this._detailNode)
    ]) {
      this.addWidget(widget);
    }
    // a sweep's view, in place of the detail while open
    this._sweepView = options.sweepView ?? null;
    if (this._sweepView) {
      this._sweepView.hide();
      this.addWidget(this._sweepView);
      this._sweepView.model.changed.connect(this._onDetailChanged, this);
    }

    this.store.changed.connect(this._onStoreChanged, this);
    this.runs.changed.connect(this._onRunsChanged, this);
    this.detail.changed.connect(this._onDetailChanged, this);
    this.jobs.changed.connect(this._onJobsChanged, this);
    this._render(new Set<Part>(['store', 'runs', 'detail', 'jobs']));
  }

  readonly store: StoreModel;
  readonly runs: RunsModel;
  readonly detail: DetailModel;
  readonly jobs: JobsModel;

  /** Show a run's detail. */
  openRun(runId: string): void {
    void this.detail.open(runId);
  }

  /** Show a sweep's view (its parent run's id). */
  openSweep(runId: string): void {
    void this._sweepView?.model.open(runId);
  }

  /** Reload everything shown. */
  refresh(): Promise<void> {
    return refreshAll(this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTimer();
    this.store.changed.disconnect(this._onStoreChanged, this);
    this.runs.changed.disconnect(this._onRunsChanged, this);
    this.detail.changed.disconnect(this._onDetailChanged, this);
    this.jobs.changed.disconnect(this._onJobsChanged, this);
    this._sweepView?.model.changed.disconnect(this._onDetailChanged, this);
    super.dispose();
  }

  /** Render the parts whose model changed since the last frame, once. */
  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    this._render(this._pending.take());
  }

  /** Refresh when the panel is shown, so it is current even between polls. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.runs.visible = true;
    void this.store.refresh();
    void this.runs.refresh();
    this._startTimer();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.runs.visible = false;
    this._stopTimer();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._startTimer();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._stopTimer();
    super.onBeforeDetach(msg);
  }

  private _onStoreChanged(): void {
    this._pending.request('store');
  }

  private _onRunsChanged(): void {
    this._pending.request('runs');
  }

  private _onDetailChanged(): void {
    this._pending.request('detail');
  }

  private _onJobsChanged(): void {
    this._pending.request('jobs');
  }

  private _render(parts: ReadonlySet<Part>): void {
    if (parts.has('store')) {
      renderStoreLine(this._storeNode, this.store.state, this._bundle);
      this._filtersWidget.renderUser(this.runs.state, this._shared);
    }
    if (parts.has('runs') || parts.has('detail')) {
      this._renderRuns(this.runs.state);
    }
    if (parts.has('detail')) {
      this._renderDetail();
    }
    if (parts.has('jobs')) {
      renderJobs(
        this._jobsNode,
        this.jobs.state,
        {
          onCancel: jobId => void this.jobs.cancel(jobId),
          onDismiss: jobId => this.jobs.dismiss(jobId),
          onOpenRun: runId => this.openRun(runId)
        },
        this._bundle
      );
    }
  }

  private _renderRuns(state: IRunsState): void {
    const open = this.detail.runId !== null;
    this._filtersWidget.render(state, this._shared);
    this._errorNode.textContent = state.error
      ? this._bundle.__('Error: %1', state.error)
      : '';
    this._errorNode.hidden = !state.error || open;
    // The list keeps the active row marked for when it shows again.
    this._list.render(state, {
      activeRunId: this.detail.runId,
      now: Date.now()
    });
  }

  private _renderDetail(): void {
    const state = this.detail.state;
    const sweepOpen = (this._sweepView?.model.runId ?? null) !== null;
    const open = state.runId !== null || sweepOpen;
    this.node.classList.toggle('jp-exp-mod-detail', open);
    this._filtersWidget.setHidden(open);
    this._listWidget.setHidden(open);
    this._sweepView?.setHidden(!sweepOpen);
    this._errorNode.hidden = open || !this.runs.state.error;
    renderRunDetail(this._detailNode, state, {
      now: Date.now(),
      canGotoCell: this._actions.canGotoCell,
      trans: this._bundle,
      callbacks: {
        onBack: () => this.detail.close(),
        onGotoCell: run => this._actions.gotoCell(run),
        onOpenSnapshot: run => this._actions.openSnapshot(run),
        onCopyId: runId => this._actions.copyRunId(runId),
        onReproduce: runId => this._actions.reproduce(runId),
        onOpenRun: runId => this.openRun(runId),
        onOpenArtifact: this._actions.openArtifact,
        onOpenCharts: this._actions.openCharts,
        onRestore: this._actions.restore,
        checkpointsNode: this._actions.checkpointsNode,
        loadImage: this._actions.loadImage,
        onOpenSweep: this._sweepView
          ? runId => this.openSweep(runId)
          : undefined
      }
    });
    // a sweep's view stands in for the detail (which rendered itself visible)
    this._detailNode.hidden = !open || sweepOpen;
  }

  /** Whether the store is shared (then the user filter shows). */
  private get _shared(): boolean {
    return !!this.store.info?.shared;
  }

  private _startTimer(): void {
    if (this._timer === null) {
      this._timer = window.setInterval(() => {
        this._list.updateTimes(Date.now());
      }, 1000);
    }
  }

  private _stopTimer(): void {
    if (this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _bundle: Trans;
  private _actions: ISidebarActions;
  private _filtersWidget: FilterPanel;
  private _listWidget: Widget;
  private _storeNode: HTMLElement;
  private _errorNode: HTMLElement;
  private _jobsNode: HTMLElement;
  private _list: RunListView;
  private _detailNode: HTMLElement;
  private _sweepView: SweepView | null;
  private _pending = new PendingParts<Part>(this);
  private _timer: number | null = null;
}

export namespace RunsSidebar {
  export interface IOptions {
    store: StoreModel;
    runs: RunsModel;
    detail: DetailModel;
    jobs: JobsModel;
    actions: ISidebarActions;
    /** A sweep's view (widgets/sweep/), shown in place of the detail while its model is open. */
    sweepView?: SweepView;
    /** Runs the toolbar's commands (compare). */
    commands: CommandRegistry;
    translator?: ITranslator;
  }
}
