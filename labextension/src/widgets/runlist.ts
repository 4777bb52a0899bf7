/**
 * Plain-DOM rendering of the run list. Rows are kept by run id and updated in place, so a poll
 * that brings the same runs changes nothing, and keyboard focus and ticks survive an update.
 * A `--seeds` parent's children are nested under it, collapsed (as the MLflow UI nests them); the
 * arrow keys move between the rows shown. No JupyterLab imports at runtime.
 */
import {
  formatAbsoluteTime,
  formatDuration,
  formatRelativeTime,
  runDuration
} from '../formattime';
import { groupMetrics, meanSdText } from '../formatgroup';
import { formatMetricValue, keyMetrics, shortHash } from '../formatvalue';
import { isFiltered, listsOthersRuns } from '../runfilters';
import type { IRunsState } from '../runsmodel';
import type { IRunSummary, Verdict } from '../types';
import { ExpClass } from './classes';
import { button, el, untranslated, type Trans } from './dom';

/** What the list reports back to its owner. */
export interface IRunListCallbacks {
  onOpen(runId: string): void;
  onToggle(runId: string, selected: boolean): void;
  onLoadMore(): void;
  /** Show or hide a parent's children (the view handles it when not given). */
  onToggleGroup?(runId: string, expanded: boolean): void;
  /** Open a sweep's view (a `%%track --sweep` parent's row offers it). */
  onOpenSweep?(runId: string): void;
}

/** A verdict badge (`.jp-exp-verdict[data-verdict]`). */
export function renderVerdict(
  doc: Document,
  verdict: Verdict,
  trans: Trans = untranslated
): HTMLElement {
  const badge = el(doc, 'span', ExpClass.verdict, verdict);
  badge.dataset.verdict = verdict;
  badge.title = trans.__('Reproduction verdict: %1', verdict);
  return badge;
}

/** A status badge (`.jp-exp-run-status[data-status]`). */
export function renderStatus(doc: Document, status: string): HTMLElement {
  const badge = el(doc, 'span', ExpClass.runStatus, status.toLowerCase());
  badge.dataset.status = status;
  badge.title = status;
  return badge;
}

/** How a row is shown besides its run. */
export interface IRowOptions {
  selected: boolean;
  active: boolean;
  now: number;
  /** Show who recorded the run (the list holds other users' runs too). */
  showUser?: boolean;
  /** A parent's children listed under it (0: not a parent, or none listed). */
  childCount?: number;
  /** Whether a parent's children are shown. */
  expanded?: boolean;
  /** A child shown under its parent. */
  nested?: boolean;
}

/**
 * One row (`li.jp-exp-run[data-run-id]`). The row element and its checkbox live as long as the
 * run is listed; the rest is rebuilt only when the run's summary changed.
 */
export class RunRow {
  constructor(
    doc: Document,
    run: IRunSummary,
    callbacks: IRunListCallbacks,
    trans: Trans = untranslated
  ) {
    this._trans = trans;
    this._onOpenSweep = callbacks.onOpenSweep;
    this.runId = run.run_id;
    const row = el(doc, 'li', ExpClass.run);
    row.dataset.runId = run.run_id;
    row.tabIndex = 0;
    row.setAttribute('role', 'button');
    row.addEventListener('click', () => callbacks.onOpen(this.runId));
    row.addEventListener('keydown', event => {
      if (
        event.target === row &&
        (event.key === 'Enter' || event.key === ' ')
      ) {
        event.preventDefault();
        callbacks.onOpen(this.runId);
      }
    });
    const checkbox = el(doc, 'input', ExpClass.runSelect);
    checkbox.type = 'checkbox';
    checkbox.title = trans.__('Select for comparison');
    checkbox.setAttribute('aria-label', trans.__('Select for comparison'));
    checkbox.addEventListener('click', event => event.stopPropagation());
    checkbox.addEventListener('change', () =>
      callbacks.onToggle(this.runId, checkbox.checked)
    );
    this._main = el(doc, 'div', 'jp-exp-run-main');
    // a parent's ▸/▾ (hidden for other rows, so every row's checkbox stays in one column)
    const toggle = el(doc, 'button', ExpClass.groupToggle);
    toggle.type = 'button';
    toggle.tabIndex = -1;
    toggle.hidden = true;
    toggle.addEventListener('click', event => {
      event.stopPropagation();
      callbacks.onToggleGroup?.(this.runId, !this.expanded);
    });
    this._toggle = toggle;
    row.append(toggle, checkbox, this._main);
    this.node = row;
    this.checkbox = checkbox;
  }

  /** Whether this parent's children are shown. */
  get expanded(): boolean {
    return this._toggle.getAttribute('aria-expanded') === 'true';
  }

  readonly runId: string;
  readonly node: HTMLLIElement;
  readonly checkbox: HTMLInputElement;

  /** Show `run`; only what changed is touched. */
  update(run: IRunSummary, options: IRowOptions): void {
    const row = this.node;
    if (this.checkbox.checked !== options.selected) {
      this.checkbox.checked = options.selected;
    }
    row.classList.toggle(ExpClass.active, options.active);
    this._group(options);
    const showUser = !!options.showUser;
    const key = JSON.stringify([run, showUser]);
    if (key === this._key) {
      return;
    }
    this._key = key;
    row.dataset.status = run.status;
    row.setAttribute(
      'aria-label',
      this._trans.__('Run %1', run.run_name || run.run_id)
    );
    this._main.replaceChildren(...this._content(run, options.now, showUser));
  }

  /** A parent's toggle and count, a child's indent. */
  private _group(options: IRowOptions): void {
    const trans = this._trans;
    const count = options.childCount ?? 0;
    const row = this.node;
    row.classList.toggle(ExpClass.runParent, count > 0);
    row.classList.toggle(ExpClass.runChild, !!options.nested);
    this._toggle.hidden = count === 0;
    if (count > 0) {
      const expanded = !!options.expanded;
      this._toggle.textContent = expanded ? '▾' : '▸';
      this._toggle.setAttribute('aria-expanded', String(expanded));
      this._toggle.title = expanded
        ? trans.__('Hide the %1 runs of this group', count)
        : trans.__('Show the %1 runs of this group', count);
      this._toggle.setAttribute('aria-label', this._toggle.title);
      row.setAttribute('aria-expanded', String(expanded));
      row.dataset.children = String(count);
      this.checkbox.title = trans.__(
        'Select the group (its %1 runs) for comparison',
        count
      );
    } else {
      this._toggle.removeAttribute('aria-expanded');
      row.removeAttribute('aria-expanded');
      delete row.dataset.children;
      this.checkbox.title = trans.__('Select for comparison');
    }
  }

  /**
   * Two lines: name, status, verdict and start time; then the key metrics (a parent's as mean ± sd
   * (n) over its children), seed, duration, commit and user, cut at the row's end (all in titles).
   */
  private _content(
    run: IRunSummary,
    now: number,
    showUser: boolean
  ): HTMLElement[] {
    const doc = this.node.ownerDocument;
    const trans = this._trans;
    const head = el(doc, 'div', 'jp-exp-run-head');
    const name = el(doc, 'span', ExpClass.runName, run.run_name || run.run_id);
    name.title = `${run.run_name}\n${run.run_id}\n${trans.__('Experiment: %1', run.experiment_name)}`;
    head.append(name, renderStatus(doc, run.status));
    if (run.verdict) {
      head.appendChild(renderVerdict(doc, run.verdict, trans));
    }
    const onOpenSweep = this._onOpenSweep;
    if (run.sweep && onOpenSweep) {
      head.appendChild(
        button(doc, 'jp-exp-open-sweep', trans.__('sweep'), {
          title: trans.__('Open the view of sweep %1', run.sweep),
          onClick: () => onOpenSweep(this.runId)
        })
      );
    }
    const time = el(
      doc,
      'span',
      ExpClass.runTime,
      formatRelativeTime(run.start_time, now)
    );
    time.title = formatAbsoluteTime(run.start_time);
    if (run.start_time !== null) {
      time.dataset.time = String(run.start_time);
    }
    head.appendChild(time);

    const meta = el(doc, 'div', ExpClass.runMeta);
    const group = groupMetrics(run.metrics);
    if (group.length > 0) {
      const list = el(doc, 'span', ExpClass.runMetrics);
      for (const item of group.slice(0, 2)) {
        list.appendChild(
          renderGroupMetric(doc, item.metric, item.mean, item.std, item.n)
        );
      }
      meta.appendChild(list);
    } else {
      const metrics = keyMetrics(run.metrics);
      if (metrics.length > 0) {
        const list = el(doc, 'span', ExpClass.runMetrics);
        for (const [key, value] of metrics) {
          list.appendChild(renderMetric(doc, key, value));
        }
        meta.appendChild(list);
      }
    }
    if (run.seed !== null && run.seed !== undefined) {
      const seed = el(
        doc,
        'span',
        ExpClass.runSeed,
        trans.__('seed %1', run.seed)
      );
      seed.title = trans.__('Seed');
      meta.appendChild(seed);
    }
    const duration = el(
      doc,
      'span',
      ExpClass.runDuration,
      formatDuration(runDuration(run, now))
    );
    duration.title = trans.__('Duration');
    if (run.status === 'RUNNING' && run.start_time !== null) {
      duration.dataset.start = String(run.start_time);
    }
    meta.appendChild(duration);
    if (run.git_commit) {
      const commit = el(
        doc,
        'code',
        ExpClass.runCommit,
        shortHash(run.git_commit, run.git_dirty)
      );
      commit.title = run.git_dirty
        ? trans.__('git %1 (uncommitted changes)', run.git_commit)
        : trans.__('git %1', run.git_commit);
      meta.appendChild(commit);
    }
    if (showUser && run.user) {
      const user = el(doc, 'span', ExpClass.runUser, run.user);
      user.title = trans.__('Recorded by %1', run.user);
      meta.appendChild(user);
    }
    meta.title = [...meta.children]
      .map(child => (child as HTMLElement).title || child.textContent)
      .join('\n');
    return [head, meta];
  }

  private _trans: Trans;
  private _onOpenSweep: ((runId: string) => void) | undefined;
  private _main: HTMLElement;
  private _toggle: HTMLButtonElement;
  private _key = '';
}

/**
 * `<span .jp-exp-metric><span .jp-exp-caption>loss</span> <span .jp-exp-value>0.12</span></span>`:
 * name and value on one text line (the value in the row's font, not a raised smaller one).
 */
export function renderMetric(
  doc: Document,
  key: string,
  value: number
): HTMLElement {
  const item = el(doc, 'span', ExpClass.metric);
  item.dataset.metric = key;
  item.title = `${key} = ${value}`;
  item.append(
    el(doc, 'span', ExpClass.caption, key),
    ' ',
    el(doc, 'span', ExpClass.value, formatMetricValue(value))
  );
  return item;
}

/** A group's metric: `accuracy 0.75 ± 0.003 (3)` (mean ± sd (n) over its children). */
export function renderGroupMetric(
  doc: Document,
  metric: string,
  mean: number,
  std: number | null,
  n: number | null
): HTMLElement {
  const item = el(doc, 'span', `${ExpClass.metric} ${ExpClass.groupMetric}`);
  item.dataset.metric = metric;
  const text = meanSdText(mean, std, n);
  item.title = `${metric} = ${text}`;
  item.append(
    el(doc, 'span', ExpClass.caption, metric),
    ' ',
    el(doc, 'span', ExpClass.value, text)
  );
  return item;
}

/** One row, rendered once (for a row outside a `RunListView`). */
export function renderRunRow(
  doc: Document,
  run: IRunSummary,
  options: IRowOptions & { callbacks: IRunListCallbacks; trans?: Trans }
): HTMLElement {
  const row = new RunRow(doc, run, options.callbacks, options.trans);
  row.update(run, options);
  return row.node;
}

/** A row of the nested list: the run, its parent when shown under it, how many children it has. */
export interface INestedRun {
  run: IRunSummary;
  /** The parent it is shown under; null for a top-level row. */
  parentId: string | null;
  /** Children listed under it (0 for any run but a parent whose children are listed). */
  childCount: number;
}

/**
 * The runs in display order: each `--seeds` parent followed by its listed children (oldest first,
 * the seed order); a child whose parent is not listed (filtered out, on a later page) stays a
 * top-level row where the query put it.
 */
export function nestRuns(runs: readonly IRunSummary[]): INestedRun[] {
  const ids = new Set(runs.map(run => run.run_id));
  const children = new Map<string, IRunSummary[]>();
  for (const run of runs) {
    const parent = run.parent_run_id;
    if (parent && parent !== run.run_id && ids.has(parent)) {
      const list = children.get(parent) ?? [];
      list.push(run);
      children.set(parent, list);
    }
  }
  const byStart = (a: IRunSummary, b: IRunSummary) =>
    (a.start_time ?? 0) - (b.start_time ?? 0);
  const nested: INestedRun[] = [];
  for (const run of runs) {
    const parent = run.parent_run_id;
    if (parent && parent !== run.run_id && ids.has(parent)) {
      continue; // shown under its parent
    }
    const kids = [...(children.get(run.run_id) ?? [])].sort(byStart);
    nested.push({ run, parentId: null, childCount: kids.length });
    for (const kid of kids) {
      nested.push({ run: kid, parentId: run.run_id, childCount: 0 });
    }
  }
  return nested;
}

/** The message of the empty state. */
export function emptyMessage(
  state: IRunsState,
  trans: Trans = untranslated
): string {
  if (state.emptyReason === 'no-notebook') {
    return trans.__(
      'Open a notebook to see its runs, or choose the scope "All runs".'
    );
  }
  if (state.emptyReason === 'no-experiment') {
    return trans.__(
      'Open a notebook or type an experiment name to see its runs.'
    );
  }
  if (isFiltered(state.filters)) {
    return trans.__('No run matches the filter.');
  }
  if (state.scope === 'notebook') {
    return trans.__(
      'No run of this notebook yet. Run a cell starting with %1 to record one.',
      '%%track'
    );
  }
  return trans.__(
    'No runs yet. Run a cell starting with %1 to record one.',
    '%%track'
  );
}

/**
 * The list in `host` (the `.jp-exp-run-list` container): rows kept by run id across renders,
 * moved only when the order changed, so a focused row or checkbox keeps the focus.
 */
export class RunListView {
  constructor(host: HTMLElement, options: RunListView.IOptions) {
    this.host = host;
    this._callbacks = options.callbacks;
    this._trans = options.trans ?? untranslated;
    const doc = host.ownerDocument;
    this._items = el(doc, 'ul', 'jp-exp-run-items');
    this._message = el(doc, 'div');
    this._more = button(doc, ExpClass.loadMore, '', {
      onClick: () => this._callbacks.onLoadMore()
    });
    this._rowCallbacks = {
      ...this._callbacks,
      onToggleGroup: (runId, expanded) => this.setExpanded(runId, expanded)
    };
    this._items.addEventListener('keydown', event => this._onKeyDown(event));
  }

  readonly host: HTMLElement;

  /** Whether a parent's children are shown. */
  isExpanded(runId: string): boolean {
    return this._expanded.has(runId);
  }

  /** Show or hide a parent's children (drawn again at once). */
  setExpanded(runId: string, expanded: boolean): void {
    if (expanded === this._expanded.has(runId)) {
      return;
    }
    if (expanded) {
      this._expanded.add(runId);
    } else {
      this._expanded.delete(runId);
    }
    this._callbacks.onToggleGroup?.(runId, expanded);
    if (this._last) {
      this.render(this._last.state, this._last.options);
    }
  }

  /** The rows shown (collapsed children left out), in order. */
  visibleRows(): HTMLElement[] {
    return [...this._items.children].filter(
      (node): node is HTMLElement =>
        node instanceof HTMLElement &&
        node.classList.contains(ExpClass.run) &&
        !node.hidden
    );
  }

  /**
   * ↑/↓ the previous/next row, Home/End the first/last; → opens a parent's group (then goes to its
   * first child), ← closes it (from a child: back to its parent).
   */
  private _onKeyDown(event: KeyboardEvent): void {
    const target = event.target as HTMLElement | null;
    if (!target || !target.classList.contains(ExpClass.run)) {
      return; // the checkbox and the toggle keep their own keys
    }
    const rows = this.visibleRows();
    const index = rows.indexOf(target);
    const runId = target.dataset.runId ?? '';
    const isParent = target.classList.contains(ExpClass.runParent);
    let next: HTMLElement | undefined;
    switch (event.key) {
      case 'ArrowDown':
        next = rows[index + 1];
        break;
      case 'ArrowUp':
        next = rows[index - 1];
        break;
      case 'Home':
        next = rows[0];
        break;
      case 'End':
        next = rows[rows.length - 1];
        break;
      case 'ArrowRight':
        if (isParent && !this.isExpanded(runId)) {
          this.setExpanded(runId, true);
        } else if (isParent) {
          next = this.visibleRows()[index + 1];
        }
        break;
      case 'ArrowLeft':
        if (isParent && this.isExpanded(runId)) {
          this.setExpanded(runId, false);
        } else if (target.classList.contains(ExpClass.runChild)) {
          next = rows
            .slice(0, index)
            .reverse()
            .find(row => row.classList.contains(ExpClass.runParent));
        }
        break;
      default:
        return;
    }
    event.preventDefault();
    next?.focus();
    next?.scrollIntoView?.({ block: 'nearest' });
  }

  /** The row of a run, while it is listed. */
  row(runId: string): RunRow | undefined {
    return this._rows.get(runId);
  }

  render(
    state: IRunsState,
    options: { activeRunId: string | null; now: number }
  ): void {
    const doc = this.host.ownerDocument;
    const trans = this._trans;
    this.host.dataset.status = state.status;
    const selected = new Set(state.selection);
    const showUser = listsOthersRuns(state.filters);
    const shown = nestRuns(state.runs);
    const listed = new Set(shown.map(item => item.run.run_id));
    for (const [runId, row] of this._rows) {
      if (!listed.has(runId)) {
        row.node.remove();
        this._rows.delete(runId);
      }
    }
    shown.forEach((item, index) => {
      const { run } = item;
      let row = this._rows.get(run.run_id);
      if (!row) {
        row = new RunRow(doc, run, this._rowCallbacks, trans);
        this._rows.set(run.run_id, row);
      }
      const nested = item.parentId !== null;
      row.update(run, {
        selected: selected.has(run.run_id),
        active: run.run_id === options.activeRunId,
        now: options.now,
        showUser,
        childCount: item.childCount,
        expanded: this._expanded.has(run.run_id),
        nested
      });
      // a child of a collapsed parent stays in the list, hidden (its tick and focus kept)
      row.node.hidden = nested && !this._expanded.has(item.parentId as string);
      const at = this._items.children[index];
      if (at !== row.node) {
        this._items.insertBefore(row.node, at ?? null);
      }
    });
    this._last = { state, options };

    let message: { className: string; text: string } | null = null;
    if (state.runs.length === 0) {
      if (state.status === 'loading' || state.status === 'idle') {
        message = {
          className: ExpClass.status,
          text: trans.__('Loading runs…')
        };
      } else if (state.status !== 'error' || state.emptyReason) {
        message = {
          className: ExpClass.empty,
          text: emptyMessage(state, trans)
        };
      }
    }
    if (message) {
      this._message.className = message.className;
      this._message.textContent = message.text;
    }
    this._more.textContent = state.loadingMore
      ? trans.__('Loading…')
      : trans.__('Load more');
    this._more.disabled = state.loadingMore;
    const children: HTMLElement[] = [];
    if (message) {
      children.push(this._message);
    }
    if (state.runs.length > 0) {
      children.push(this._items);
    }
    if (state.runs.length > 0 && state.nextPageToken) {
      children.push(this._more);
    }
    const current = [...this.host.children];
    if (
      current.length !== children.length ||
      current.some((node, i) => node !== children[i])
    ) {
      this.host.replaceChildren(...children);
    }
  }

  /** Refresh the relative times and the durations of running runs. */
  updateTimes(now: number): void {
    updateLiveTimes(this.host, now);
  }

  private _callbacks: IRunListCallbacks;
  private _rowCallbacks: IRunListCallbacks;
  private _trans: Trans;
  private _rows = new Map<string, RunRow>();
  private _expanded = new Set<string>();
  private _last: {
    state: IRunsState;
    options: { activeRunId: string | null; now: number };
  } | null = null;
  private _items: HTMLUListElement;
  private _message: HTMLElement;
  private _more: HTMLButtonElement;
}

export namespace RunListView {
  export interface IOptions {
    callbacks: IRunListCallbacks;
    trans?: Trans;
  }
}

/** Render `state` into `host` once (a fresh `RunListView`). */
export function renderRunList(
  host: HTMLElement,
  state: IRunsState,
  options: {
    activeRunId: string | null;
    now: number;
    callbacks: IRunListCallbacks;
    trans?: Trans;
  }
): RunListView {
  const view = new RunListView(host, options);
  view.render(state, options);
  return view;
}

/** Refresh the relative times and the durations of running runs under `host`. */
export function updateLiveTimes(host: HTMLElement, now: number): void {
  host
    .querySelectorAll<HTMLElement>(`.${ExpClass.runTime}[data-time]`)
    .forEach(node => {
      node.textContent = formatRelativeTime(Number(node.dataset.time), now);
    });
  host
    .querySelectorAll<HTMLElement>(`.${ExpClass.runDuration}[data-start]`)
    .forEach(node => {
      node.textContent = formatDuration(now - Number(node.dataset.start));
    });
}
