/**
 * Plain-DOM rendering of the run list. Rows are kept by run id and updated in place, so a poll
 * that brings the same runs changes nothing, and keyboard focus and ticks survive an update.
 * No JupyterLab imports at runtime.
 */
import {
  formatAbsoluteTime,
  formatDuration,
  formatRelativeTime,
  runDuration
} from '../formattime';
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
    row.append(checkbox, this._main);
    this.node = row;
    this.checkbox = checkbox;
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

    const meta = el(doc, 'div', ExpClass.runMeta);
    if (showUser && run.user) {
      const user = el(doc, 'span', ExpClass.runUser, run.user);
      user.title = trans.__('Recorded by %1', run.user);
      meta.appendChild(user);
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
    meta.appendChild(time);
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
    const content = [head, meta];

    const metrics = keyMetrics(run.metrics);
    if (metrics.length > 0) {
      const list = el(doc, 'div', ExpClass.runMetrics);
      for (const [key, value] of metrics) {
        list.appendChild(renderMetric(doc, key, value));
      }
      content.push(list);
    }
    return content;
  }

  private _trans: Trans;
  private _main: HTMLElement;
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
  }

  readonly host: HTMLElement;

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
    const listed = new Set(state.runs.map(run => run.run_id));
    for (const [runId, row] of this._rows) {
      if (!listed.has(runId)) {
        row.node.remove();
        this._rows.delete(runId);
      }
    }
    state.runs.forEach((run, index) => {
      let row = this._rows.get(run.run_id);
      if (!row) {
        row = new RunRow(doc, run, this._callbacks, trans);
        this._rows.set(run.run_id, row);
      }
      row.update(run, {
        selected: selected.has(run.run_id),
        active: run.run_id === options.activeRunId,
        now: options.now,
        showUser
      });
      const at = this._items.children[index];
      if (at !== row.node) {
        this._items.insertBefore(row.node, at ?? null);
      }
    });

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
  private _trans: Trans;
  private _rows = new Map<string, RunRow>();
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
