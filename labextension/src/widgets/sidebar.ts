/**
 * The left-area "Runs" panel, a JupyterLab `SidePanel`: the store line in its header, a toolbar
 * (scope, refresh, compare), a filter toolbar (experiment, filter, status, sort), the jobs, the
 * run list and the detail of the run clicked (which replaces the list until "back").
 *
 * Model signals only request an update; the panel renders what changed once per frame in
 * `onUpdateRequest`.
 */
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  SidePanel,
  Toolbar,
  ToolbarButton,
  moveDownIcon,
  moveUpIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import type { DetailModel } from '../detailmodel';
import { runsIcon } from '../icons';
import type { JobsModel } from '../jobsmodel';
import type { StoreModel } from '../model';
import {
  SORT_FIELDS,
  STATUS_OPTIONS,
  parseSort,
  sortableMetrics,
  type IRunsState,
  type RunsModel
} from '../runsmodel';
import { CommandIDs, SIDEBAR_ID } from '../tokens';
import type { IRunDetail, IRunSummary, RunScope, RunStatus } from '../types';
import { PendingParts } from './batch';
import { ExpClass } from './classes';
import { renderRunDetail } from './detailview';
import { el, select, type Trans } from './dom';
import { renderJobs } from './jobsview';
import { RunListView } from './runlist';
import { renderStoreLine } from './storeview';
import { UserFilterView } from './userfilter';

/** What the sidebar asks the application to do. */
export interface ISidebarActions {
  /** Whether "Go to cell" can work (a notebook tracker is available). */
  readonly canGotoCell: boolean;
  gotoCell(run: IRunDetail): void;
  openSnapshot(run: IRunDetail): void;
  copyRunId(runId: string): void;
  reproduce(runId: string): void;
}

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

/** A widget around a plain DOM node (a toolbar item or a section of the panel). */
function nodeWidget(node: HTMLElement, className = ''): Widget {
  const widget = new Widget({ node });
  if (className) {
    widget.addClass(className);
  }
  return widget;
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

    this._buildToolbar(doc, options.commands);
    this._filters = this._buildFilters(doc);
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
        onLoadMore: () => void this.runs.loadMore()
      }
    });
    this._detailNode = el(doc, 'div', ExpClass.detail);
    this._detailNode.hidden = true;

    this.content.addClass('jp-exp-content');
    this._filtersWidget = this._filters.panel;
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

    this.store.changed.connect(this._onStoreChanged, this);
    this.runs.changed.connect(this._onRunsChanged, this);
    this.detail.changed.connect(this._onDetailChanged, this);
    this.jobs.changed.connect(this._onJobsChanged, this);
    this.jobs.jobEnded.connect(this._onJobEnded, this);
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

  /** Reload everything shown. */
  refresh(): Promise<void> {
    return Promise.all([
      this.store.refresh(),
      this.runs.refresh(),
      this.detail.reload()
    ]).then(() => undefined);
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
    this.jobs.jobEnded.disconnect(this._onJobEnded, this);
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

  private _onDetailChanged(): void {
    const runId = this.detail.runId;
    this._detailKey = runId ? summaryKey(this.runs.run(runId)) : '';
    this._pending.request('detail');
  }

  private _onJobsChanged(): void {
    this._pending.request('jobs');
  }

  private _onJobEnded(): void {
    void this.runs.refresh();
    if (this.detail.runId) {
      void this.detail.reload();
    }
  }

  private _render(parts: ReadonlySet<Part>): void {
    if (parts.has('store')) {
      renderStoreLine(this._storeNode, this.store.state, this._bundle);
      this._syncUser(this.runs.state);
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
    this._syncFilters(state);
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
    const open = state.runId !== null;
    this.node.classList.toggle('jp-exp-mod-detail', open);
    this._filtersWidget.setHidden(open);
    this._listWidget.setHidden(open);
    this._detailNode.hidden = !open;
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
        onOpenRun: runId => this.openRun(runId)
      }
    });
  }

  /** The panel's toolbar: scope, refresh, compare (the compare command's own button). */
  private _buildToolbar(doc: Document, commands: CommandRegistry): void {
    const trans = this._bundle;
    const scope = select(
      doc,
      ExpClass.scope,
      [
        { value: 'notebook', label: trans.__('This notebook') },
        { value: 'experiment', label: trans.__('Experiment') },
        { value: 'all', label: trans.__('All runs') }
      ],
      this.runs.state.scope,
      trans.__('Scope')
    );
    scope.addEventListener('change', () =>
      this.runs.setScope(scope.value as RunScope)
    );
    this._scope = scope;
    this.toolbar.addItem('scope', nodeWidget(scope));
    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        className: ExpClass.refresh,
        tooltip: trans.__('Refresh the runs'),
        onClick: () => void this.refresh()
      })
    );
    this.toolbar.addItem(
      'compare',
      new CommandToolbarButton({
        commands,
        id: CommandIDs.compareRuns,
        label: () => trans.__('Compare (%1)', this.runs.state.selection.length)
      })
    );
  }

  /**
   * The filter toolbar: experiment (scope `experiment`), filter string, whose runs (on a shared
   * store), status, sort.
   */
  private _buildFilters(doc: Document): RunsSidebar.IFilters {
    const trans = this._bundle;
    const state = this.runs.state;
    const experiment = el(doc, 'input', `jp-mod-styled ${ExpClass.experiment}`);
    experiment.type = 'text';
    experiment.setAttribute('aria-label', trans.__('Experiment name or id'));
    experiment.title = trans.__(
      'Experiment name or id (Enter applies); empty: the experiment of the notebook in focus'
    );
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
    search.placeholder = trans.__(
      "Filter, e.g. metrics.loss < 0.5 and params.lr = '0.1'"
    );
    search.title = trans.__('MLflow filter string (Enter applies)');
    search.setAttribute('aria-label', trans.__('Filter runs'));
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
        { value: '', label: trans.__('Any status') },
        ...STATUS_OPTIONS.map(s => ({ value: s, label: s.toLowerCase() }))
      ],
      state.filters.status,
      trans.__('Status')
    );
    status.addEventListener('change', () =>
      this.runs.setStatusFilter(status.value as RunStatus | '')
    );

    const user = new UserFilterView(doc, {
      trans,
      onChange: value => this.runs.setUserFilter(value)
    });

    const sort = el(doc, 'select', `jp-mod-styled ${ExpClass.sort}`);
    sort.setAttribute('aria-label', trans.__('Sort by'));
    sort.title = trans.__('Sort by');
    sort.addEventListener('change', () => this.runs.setSortField(sort.value));
    const direction = new ToolbarButton({
      className: ExpClass.sortDirection,
      icon: moveDownIcon,
      tooltip: trans.__('Descending (click for ascending)'),
      pressedIcon: moveUpIcon,
      pressedTooltip: trans.__('Ascending (click for descending)'),
      pressed: parseSort(state.sort).direction === 'ASC',
      onClick: () =>
        this.runs.setSortDirection(
          parseSort(this.runs.state.sort).direction === 'ASC' ? 'DESC' : 'ASC'
        )
    });
    const userRow = new Toolbar();
    userRow.addClass('jp-exp-toolbar-row');
    userRow.addItem('user', nodeWidget(user.select));
    userRow.addItem('user-name', nodeWidget(user.input));
    userRow.node.appendChild(user.list);
    userRow.hide();
    const row = new Toolbar();
    row.addClass('jp-exp-toolbar-row');
    row.addItem('status', nodeWidget(status));
    row.addItem('sort', nodeWidget(sort));
    row.addItem('direction', direction);

    const panel = new Panel();
    panel.addClass(ExpClass.toolbar);
    panel.addClass('jp-exp-filters');
    panel.addWidget(nodeWidget(experiment));
    panel.addWidget(nodeWidget(search));
    panel.addWidget(userRow);
    panel.addWidget(row);
    return {
      panel,
      experiment,
      search,
      userRow,
      user,
      status,
      sort,
      direction
    };
  }

  /** The inputs show the state (an input being typed in keeps what the user typed). */
  private _syncFilters(state: IRunsState): void {
    const t = this._filters;
    const doc = this.node.ownerDocument;
    const trans = this._bundle;
    if (this._scope && this._scope.value !== state.scope) {
      this._scope.value = state.scope;
    }
    t.experiment.hidden = state.scope !== 'experiment';
    t.experiment.placeholder = state.notebookPath
      ? trans.__('Experiment (default: %1)', state.notebookPath)
      : trans.__('Experiment name or id');
    if (doc.activeElement !== t.experiment) {
      t.experiment.value = state.experiment ?? '';
    }
    if (doc.activeElement !== t.search) {
      t.search.value = state.filters.search;
    }
    t.status.value = state.filters.status;
    this._syncUser(state);
    this._syncSort(state);
  }

  /** The user filter, shown on a shared store (or once a user was picked). */
  private _syncUser(state: IRunsState): void {
    const t = this._filters;
    t.userRow.setHidden(!t.user.render(state, !!this.store.info?.shared));
  }

  /** The sort field options (attributes, then the metrics of the rows) and the direction. */
  private _syncSort(state: IRunsState): void {
    const t = this._filters;
    const trans = this._bundle;
    const doc = this.node.ownerDocument;
    const { field, direction } = parseSort(state.sort);
    const metrics = sortableMetrics(state.runs, state.sort);
    const key = JSON.stringify(metrics);
    if (key !== this._sortKey) {
      this._sortKey = key;
      const options: HTMLElement[] = SORT_FIELDS.map(f => {
        const option = el(doc, 'option', '', trans.__(f.label));
        option.value = f.value;
        return option;
      });
      if (metrics.length > 0) {
        const group = el(doc, 'optgroup');
        group.label = trans.__('Metric');
        for (const metric of metrics) {
          const option = el(doc, 'option', '', metric);
          option.value = `metrics.${metric}`;
          group.appendChild(option);
        }
        options.push(group);
      }
      t.sort.replaceChildren(...options);
    }
    t.sort.value = field;
    t.direction.pressed = direction === 'ASC';
    t.direction.node.dataset.direction = direction;
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
  private _scope: HTMLSelectElement | null = null;
  private _filters: RunsSidebar.IFilters;
  private _filtersWidget: Widget;
  private _listWidget: Widget;
  private _storeNode: HTMLElement;
  private _errorNode: HTMLElement;
  private _jobsNode: HTMLElement;
  private _list: RunListView;
  private _detailNode: HTMLElement;
  private _detailKey = '';
  private _sortKey = '';
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
    /** Runs the toolbar's commands (compare). */
    commands: CommandRegistry;
    translator?: ITranslator;
  }

  export interface IFilters {
    panel: Panel;
    experiment: HTMLInputElement;
    search: HTMLInputElement;
    /** The user filter's row, hidden on a local store. */
    userRow: Toolbar;
    user: UserFilterView;
    status: HTMLSelectElement;
    sort: HTMLSelectElement;
    direction: ToolbarButton;
  }
}
