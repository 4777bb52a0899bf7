import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import type { DetailModel, IDetailState } from '../detailmodel';
import { runsIcon } from '../icons';
import type { JobsModel } from '../jobsmodel';
import type { StoreModel } from '../model';
import {
  SORT_OPTIONS,
  STATUS_OPTIONS,
  type IRunsState,
  type RunsModel
} from '../runsmodel';
import { SIDEBAR_ID } from '../tokens';
import type { IRunDetail, IRunSummary, RunScope, RunStatus } from '../types';
import { ExpClass } from './classes';
import { renderRunDetail } from './detailview';
import { button, el, select } from './dom';
import { renderJobs } from './jobsview';
import { renderRunList, updateLiveTimes } from './runlist';
import { renderStoreLine } from './storeview';

/** What the sidebar asks the application to do. */
export interface ISidebarActions {
  /** Whether "Go to cell" can work (a notebook tracker is available). */
  readonly canGotoCell: boolean;
  gotoCell(run: IRunDetail): void;
  openSnapshot(run: IRunDetail): void;
  copyRunId(runId: string): void;
  reproduce(runId: string): void;
  compare(runIds: string[]): void;
}

const SCOPE_OPTIONS: { value: RunScope; label: string }[] = [
  { value: 'notebook', label: 'This notebook' },
  { value: 'experiment', label: 'Experiment' },
  { value: 'all', label: 'All runs' }
];

/** Stable key of what the detail depends on in a run's summary. */
function summaryKey(run: IRunSummary | undefined): string {
  return run
    ? JSON.stringify([
        run.status,
        run.end_time,
        run.metrics,
        run.verdict,
        run.note
      ])
    : '';
}

/**
 * The left-area "Runs" panel: toolbar, store line, jobs, run list, compare button, and the
 * detail of the run clicked (which replaces the list until "back").
 */
export class RunsSidebar extends Widget {
  constructor(options: RunsSidebar.IOptions) {
    super();
    this.store = options.store;
    this.runs = options.runs;
    this.detail = options.detail;
    this.jobs = options.jobs;
    this._actions = options.actions;
    this.id = SIDEBAR_ID;
    this.addClass(ExpClass.panel);
    this.title.icon = runsIcon;
    this.title.caption = 'Experiment Runs';
    this.title.label = 'Runs';
    this.node.setAttribute('aria-label', 'Experiment Runs');

    const doc = this.node.ownerDocument;
    const header = el(doc, 'div', ExpClass.header);
    header.appendChild(el(doc, 'h2', ExpClass.title, 'Runs'));
    this._storeNode = el(doc, 'div', ExpClass.store);
    header.appendChild(this._storeNode);
    this._toolbar = this._buildToolbar(doc);
    this._errorNode = el(doc, 'div', ExpClass.error);
    this._errorNode.setAttribute('role', 'alert');
    this._jobsNode = el(doc, 'div', ExpClass.jobs);
    this._listNode = el(doc, 'div', ExpClass.runList);
    this._listNode.setAttribute('aria-label', 'Runs');
    const footer = el(doc, 'div', 'jp-exp-footer');
    this._compareButton = button(doc, ExpClass.compareButton, 'Compare', {
      title: 'Compare the selected runs (select 2 or more)',
      accept: true,
      onClick: () => this._actions.compare([...this.runs.state.selection])
    });
    footer.appendChild(this._compareButton);
    this._listFooter = footer;
    this._detailNode = el(doc, 'div', ExpClass.detail);
    this._detailNode.hidden = true;

    this.node.append(
      header,
      this._toolbar.node,
      this._errorNode,
      this._jobsNode,
      this._listNode,
      footer,
      this._detailNode
    );

    this.store.changed.connect(this._renderStore, this);
    this.runs.changed.connect(this._onRunsChanged, this);
    this.detail.changed.connect(this._renderDetail, this);
    this.jobs.changed.connect(this._renderJobs, this);
    this.jobs.jobEnded.connect(this._onJobEnded, this);
    this._renderStore();
    this._onRunsChanged();
    this._renderDetail();
    this._renderJobs();
  }

  readonly store: StoreModel;
  readonly runs: RunsModel;
  readonly detail: DetailModel;
  readonly jobs: JobsModel;

  /** Show a run's detail. */
  openRun(runId: string): void {
    void this.detail.open(runId);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTimer();
    this.store.changed.disconnect(this._renderStore, this);
    this.runs.changed.disconnect(this._onRunsChanged, this);
    this.detail.changed.disconnect(this._renderDetail, this);
    this.jobs.changed.disconnect(this._renderJobs, this);
    this.jobs.jobEnded.disconnect(this._onJobEnded, this);
    super.dispose();
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

  private _buildToolbar(doc: Document): RunsSidebar.IToolbar {
    const state = this.runs.state;
    const node = el(doc, 'div', ExpClass.toolbar);

    const scope = select(
      doc,
      ExpClass.scope,
      SCOPE_OPTIONS,
      state.scope,
      'Scope'
    );
    scope.addEventListener('change', () =>
      this.runs.setScope(scope.value as RunScope)
    );
    const refresh = el(
      doc,
      'button',
      `jp-Button jp-mod-minimal jp-ToolbarButtonComponent ${ExpClass.refresh}`
    );
    refresh.type = 'button';
    refresh.title = 'Refresh the runs';
    refresh.setAttribute('aria-label', 'Refresh the runs');
    refresh.appendChild(
      refreshIcon.element({ tag: 'span', stylesheet: 'toolbarButton' })
    );
    refresh.addEventListener('click', () => {
      void this.store.refresh();
      void this.runs.refresh();
      if (this.detail.runId) {
        void this.detail.reload();
      }
    });
    const row1 = el(doc, 'div', 'jp-exp-toolbar-row');
    row1.append(scope, refresh);

    const experiment = el(doc, 'input', `jp-mod-styled ${ExpClass.experiment}`);
    experiment.type = 'text';
    experiment.setAttribute('aria-label', 'Experiment name or id');
    experiment.title =
      'Experiment name or id (Enter applies); empty: the experiment of the notebook in focus';
    experiment.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        this.runs.setExperiment(experiment.value);
      }
    });
    experiment.addEventListener('change', () =>
      this.runs.setExperiment(experiment.value)
    );

    const search = el(doc, 'input', `jp-mod-styled ${ExpClass.search}`);
    search.type = 'search';
    search.placeholder =
      "Filter, e.g. metrics.loss < 0.5 and params.lr = '0.1'";
    search.title = 'MLflow filter string (Enter applies)';
    search.setAttribute('aria-label', 'Filter runs');
    search.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        this.runs.setSearch(search.value);
      } else if (event.key === 'Escape' && search.value) {
        search.value = '';
        this.runs.setSearch('');
      }
    });
    // The clear button of a search input fires "search" with an empty value.
    search.addEventListener('search', () => {
      if (!search.value) {
        this.runs.setSearch('');
      }
    });

    const status = select(
      doc,
      ExpClass.statusFilter,
      [
        { value: '', label: 'Any status' },
        ...STATUS_OPTIONS.map(s => ({ value: s, label: s.toLowerCase() }))
      ],
      state.statusFilter,
      'Status'
    );
    status.addEventListener('change', () =>
      this.runs.setStatusFilter(status.value as RunStatus | '')
    );
    const sort = select(doc, ExpClass.sort, SORT_OPTIONS, state.sort, 'Sort');
    sort.addEventListener('change', () => this.runs.setSort(sort.value));
    const row3 = el(doc, 'div', 'jp-exp-toolbar-row');
    row3.append(status, sort);

    node.append(row1, experiment, search, row3);
    return { node, scope, experiment, search, status, sort };
  }

  private _renderStore(): void {
    renderStoreLine(this._storeNode, this.store.state);
  }

  private _onRunsChanged(): void {
    const state = this.runs.state;
    this._syncToolbar(state);
    this._errorNode.textContent = state.error ? `Error: ${state.error}` : '';
    this._errorNode.hidden = !state.error || this.detail.runId !== null;
    this._renderList();
    const count = state.selection.length;
    this._compareButton.textContent = `Compare (${count})`;
    this._compareButton.disabled = count < 2;

    // Reload the detail when its run changed in the list (e.g. RUNNING -> FINISHED).
    const runId = this.detail.runId;
    if (runId) {
      const key = summaryKey(this.runs.run(runId));
      if (key && this._detailKey && key !== this._detailKey) {
        void this.detail.reload();
      }
      this._detailKey = key;
    }
  }

  private _syncToolbar(state: IRunsState): void {
    const t = this._toolbar;
    const doc = this.node.ownerDocument;
    if (t.scope.value !== state.scope) {
      t.scope.value = state.scope;
    }
    t.experiment.hidden = state.scope !== 'experiment';
    t.experiment.placeholder = state.notebookPath
      ? `Experiment (default: ${state.notebookPath})`
      : 'Experiment name or id';
    if (doc.activeElement !== t.experiment) {
      t.experiment.value = state.experiment ?? '';
    }
    if (doc.activeElement !== t.search) {
      t.search.value = state.search;
    }
    t.status.value = state.statusFilter;
    t.sort.value = state.sort;
  }

  private _renderList(): void {
    renderRunList(this._listNode, this.runs.state, {
      activeRunId: this.detail.runId,
      now: Date.now(),
      callbacks: {
        onOpen: runId => this.openRun(runId),
        onToggle: (runId, selected) =>
          this.runs.toggleSelected(runId, selected),
        onLoadMore: () => void this.runs.loadMore()
      }
    });
  }

  private _renderDetail(): void {
    const state: IDetailState = this.detail.state;
    const open = state.runId !== null;
    this.node.classList.toggle('jp-exp-mod-detail', open);
    this._toolbar.node.hidden = open;
    this._listNode.hidden = open;
    this._listFooter.hidden = open;
    this._errorNode.hidden = open || !this.runs.state.error;
    this._detailKey = open
      ? summaryKey(this.runs.run(state.runId as string))
      : '';
    renderRunDetail(this._detailNode, state, {
      now: Date.now(),
      canGotoCell: this._actions.canGotoCell,
      callbacks: {
        onBack: () => this.detail.close(),
        onGotoCell: run => this._actions.gotoCell(run),
        onOpenSnapshot: run => this._actions.openSnapshot(run),
        onCopyId: runId => this._actions.copyRunId(runId),
        onReproduce: runId => this._actions.reproduce(runId),
        onOpenRun: runId => this.openRun(runId)
      }
    });
    // Keep the active row marked for when the list shows again.
    this._renderList();
  }

  private _renderJobs(): void {
    renderJobs(this._jobsNode, this.jobs.state, {
      onCancel: jobId => void this.jobs.cancel(jobId),
      onDismiss: jobId => this.jobs.dismiss(jobId),
      onOpenRun: runId => this.openRun(runId)
    });
  }

  private _onJobEnded(): void {
    void this.runs.refresh();
    if (this.detail.runId) {
      void this.detail.reload();
    }
  }

  private _startTimer(): void {
    if (this._timer === null) {
      this._timer = window.setInterval(() => {
        updateLiveTimes(this._listNode, Date.now());
      }, 1000);
    }
  }

  private _stopTimer(): void {
    if (this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _actions: ISidebarActions;
  private _toolbar: RunsSidebar.IToolbar;
  private _storeNode: HTMLElement;
  private _errorNode: HTMLElement;
  private _jobsNode: HTMLElement;
  private _listNode: HTMLElement;
  private _listFooter: HTMLElement;
  private _compareButton: HTMLButtonElement;
  private _detailNode: HTMLElement;
  private _detailKey = '';
  private _timer: number | null = null;
}

export namespace RunsSidebar {
  export interface IOptions {
    store: StoreModel;
    runs: RunsModel;
    detail: DetailModel;
    jobs: JobsModel;
    actions: ISidebarActions;
  }

  export interface IToolbar {
    node: HTMLElement;
    scope: HTMLSelectElement;
    experiment: HTMLInputElement;
    search: HTMLInputElement;
    status: HTMLSelectElement;
    sort: HTMLSelectElement;
  }
}
