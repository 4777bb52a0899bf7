/**
 * Plain-DOM rendering of the run list (rows, empty state, load more). No JupyterLab imports.
 */
import {
  formatAbsoluteTime,
  formatDuration,
  formatMetricValue,
  formatRelativeTime,
  keyMetrics,
  runDuration,
  shortHash
} from '../format';
import type { IRunsState } from '../runsmodel';
import type { IRunSummary, Verdict } from '../types';
import { ExpClass } from './classes';
import { button, el } from './dom';

/** What the list reports back to its owner. */
export interface IRunListCallbacks {
  onOpen(runId: string): void;
  onToggle(runId: string, selected: boolean): void;
  onLoadMore(): void;
}

/** A verdict badge (`.jp-exp-verdict[data-verdict]`). */
export function renderVerdict(doc: Document, verdict: Verdict): HTMLElement {
  const badge = el(doc, 'span', ExpClass.verdict, verdict);
  badge.dataset.verdict = verdict;
  badge.title = `Reproduction verdict: ${verdict}`;
  return badge;
}

/** A status badge (`.jp-exp-run-status[data-status]`). */
export function renderStatus(doc: Document, status: string): HTMLElement {
  const badge = el(doc, 'span', ExpClass.runStatus, status.toLowerCase());
  badge.dataset.status = status;
  badge.title = status;
  return badge;
}

/** One row of the list. */
export function renderRunRow(
  doc: Document,
  run: IRunSummary,
  options: {
    selected: boolean;
    active: boolean;
    now: number;
    callbacks: IRunListCallbacks;
  }
): HTMLElement {
  const { callbacks } = options;
  const row = el(doc, 'li', ExpClass.run);
  row.dataset.runId = run.run_id;
  row.dataset.status = run.status;
  row.tabIndex = 0;
  row.setAttribute('role', 'button');
  row.setAttribute('aria-label', `Run ${run.run_name || run.run_id}`);
  if (options.active) {
    row.classList.add(ExpClass.active);
  }
  row.addEventListener('click', () => callbacks.onOpen(run.run_id));
  row.addEventListener('keydown', event => {
    if (event.target === row && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      callbacks.onOpen(run.run_id);
    }
  });

  const checkbox = el(doc, 'input', ExpClass.runSelect);
  checkbox.type = 'checkbox';
  checkbox.checked = options.selected;
  checkbox.title = 'Select for comparison';
  checkbox.setAttribute('aria-label', 'Select for comparison');
  checkbox.addEventListener('click', event => event.stopPropagation());
  checkbox.addEventListener('change', () =>
    callbacks.onToggle(run.run_id, checkbox.checked)
  );

  const main = el(doc, 'div', 'jp-exp-run-main');
  const head = el(doc, 'div', 'jp-exp-run-head');
  const name = el(doc, 'span', ExpClass.runName, run.run_name || run.run_id);
  name.title = `${run.run_name}\n${run.run_id}\nExperiment: ${run.experiment_name}`;
  head.append(name, renderStatus(doc, run.status));
  if (run.verdict) {
    head.appendChild(renderVerdict(doc, run.verdict));
  }
  main.appendChild(head);

  const meta = el(doc, 'div', ExpClass.runMeta);
  const time = el(
    doc,
    'span',
    ExpClass.runTime,
    formatRelativeTime(run.start_time, options.now)
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
    formatDuration(runDuration(run, options.now))
  );
  duration.title = 'Duration';
  if (run.status === 'RUNNING' && run.start_time !== null) {
    duration.dataset.start = String(run.start_time);
  }
  meta.appendChild(duration);
  if (run.seed !== null && run.seed !== undefined) {
    const seed = el(doc, 'span', ExpClass.runSeed, `seed ${run.seed}`);
    seed.title = 'Seed';
    meta.appendChild(seed);
  }
  if (run.git_commit) {
    const commit = el(
      doc,
      'code',
      ExpClass.runCommit,
      shortHash(run.git_commit, run.git_dirty)
    );
    commit.title = `git ${run.git_commit}${run.git_dirty ? ' (uncommitted changes)' : ''}`;
    meta.appendChild(commit);
  }
  main.appendChild(meta);

  const metrics = keyMetrics(run.metrics);
  if (metrics.length > 0) {
    const list = el(doc, 'div', ExpClass.runMetrics);
    for (const [key, value] of metrics) {
      const item = el(doc, 'span', ExpClass.metric);
      item.dataset.metric = key;
      item.title = `${key} = ${value}`;
      item.append(
        el(doc, 'span', ExpClass.caption, key),
        el(doc, 'span', ExpClass.value, formatMetricValue(value))
      );
      list.appendChild(item);
    }
    main.appendChild(list);
  }

  row.append(checkbox, main);
  return row;
}

/** The message of the empty state. */
export function emptyMessage(state: IRunsState): string {
  if (state.emptyReason === 'no-notebook') {
    return 'Open a notebook to see its runs, or choose the scope "All runs".';
  }
  if (state.emptyReason === 'no-experiment') {
    return 'Open a notebook or type an experiment name to see its runs.';
  }
  const filtered = state.search.trim() || state.statusFilter;
  if (filtered) {
    return 'No run matches the filter.';
  }
  if (state.scope === 'notebook') {
    return 'No run of this notebook yet. Run a cell starting with %%track to record one.';
  }
  return 'No runs yet. Run a cell starting with %%track to record one.';
}

/** Replace the content of `host` (the `.jp-exp-run-list` container) with the list. */
export function renderRunList(
  host: HTMLElement,
  state: IRunsState,
  options: {
    activeRunId: string | null;
    now: number;
    callbacks: IRunListCallbacks;
  }
): void {
  const doc = host.ownerDocument;
  host.replaceChildren();
  host.dataset.status = state.status;
  if (state.runs.length === 0) {
    if (state.status === 'loading' || state.status === 'idle') {
      host.appendChild(el(doc, 'div', ExpClass.status, 'Loading runs…'));
    } else if (state.status !== 'error' || state.emptyReason) {
      host.appendChild(el(doc, 'div', ExpClass.empty, emptyMessage(state)));
    }
    return;
  }
  const list = el(doc, 'ul', 'jp-exp-run-items');
  const selected = new Set(state.selection);
  for (const run of state.runs) {
    list.appendChild(
      renderRunRow(doc, run, {
        selected: selected.has(run.run_id),
        active: run.run_id === options.activeRunId,
        now: options.now,
        callbacks: options.callbacks
      })
    );
  }
  host.appendChild(list);
  if (state.nextPageToken) {
    const more = button(
      doc,
      ExpClass.loadMore,
      state.loadingMore ? 'Loading…' : 'Load more',
      { onClick: () => options.callbacks.onLoadMore() }
    );
    more.disabled = state.loadingMore;
    host.appendChild(more);
  }
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
