/**
 * Plain-DOM rendering of one run's detail (`.jp-exp-detail[data-run-id]`). No JupyterLab imports.
 */
import type { IDetailState } from '../detailmodel';
import {
  formatAbsoluteTime,
  formatBytes,
  formatDuration,
  formatMetricValue,
  isSystemMetric,
  mlflowRunPageUrl,
  runDuration,
  shortHash
} from '../format';
import type { IRunDetail } from '../types';
import { renderSparkline } from './charts/svg';
import { ExpClass } from './classes';
import { button, el, keyedRow, kvTable, untranslated, type Trans } from './dom';
import {
  isParentRelations,
  renderGroupSection,
  renderRelatedRuns
} from './groupdetail';
import { renderStatus, renderVerdict } from './runlist';

export interface IDetailCallbacks {
  onBack(): void;
  onGotoCell(run: IRunDetail): void;
  onOpenSnapshot(run: IRunDetail): void;
  onCopyId(runId: string): void;
  onReproduce(runId: string): void;
  /** Open another run (the original of a reproduction). */
  onOpenRun(runId: string): void;
  /** Open one of the run's artifacts in JupyterLab's viewers (runmanage.ts). */
  onOpenArtifact?(runId: string, path: string): void;
  /** The run's metrics as charts in a tab of their own. */
  onOpenCharts?(runId: string): void;
  /** Bring a deleted run back. */
  onRestore?(runId: string): void;
  /** An image artifact of a run as a data URL (the figures of a diverged reproduction side by side). */
  loadImage?(runId: string, path: string): Promise<string>;
  /** The run's checkpoints section (widgets/models), kept and rendered by its own view. */
  checkpointsNode?(run: IRunDetail): HTMLElement | null;
  /** A sweep's view (a `%%track --sweep` parent's detail offers it). */
  onOpenSweep?(runId: string): void;
}

function section(doc: Document, title: string, className: string): HTMLElement {
  const node = el(doc, 'section', `${ExpClass.section} ${className}`);
  node.appendChild(el(doc, 'h3', '', title));
  return node;
}

/** The metrics table: name, last value, sparkline (user metrics before `system/` ones). */
function metricsSection(
  doc: Document,
  state: IDetailState,
  run: IRunDetail,
  trans: Trans
): HTMLElement {
  const node = section(doc, trans.__('Metrics'), ExpClass.metrics);
  const keys = Object.keys(run.metrics ?? {}).sort(
    (a, b) =>
      Number(isSystemMetric(a)) - Number(isSystemMetric(b)) ||
      a.localeCompare(b)
  );
  if (keys.length === 0) {
    node.appendChild(el(doc, 'div', ExpClass.empty, trans.__('No metrics.')));
    return node;
  }
  const table = el(doc, 'table', ExpClass.kv);
  const body = el(doc, 'tbody');
  for (const key of keys) {
    const row = keyedRow(doc, key);
    row.dataset.metric = key;
    const value = el(
      doc,
      'td',
      ExpClass.value,
      formatMetricValue(run.metrics[key])
    );
    value.title = String(run.metrics[key]);
    const curve = el(doc, 'td');
    const series = state.series[key];
    if (series && series.values.length > 1) {
      const svg = renderSparkline(doc, series.steps, series.values, {
        trans
      });
      if (series.downsampled) {
        svg.setAttribute('data-total-points', String(series.total_points));
      }
      curve.appendChild(svg);
    }
    row.append(value, curve);
    body.appendChild(row);
  }
  table.appendChild(body);
  node.appendChild(table);
  if (state.seriesError) {
    node.appendChild(
      el(doc, 'div', ExpClass.error, trans.__('Curves: %1', state.seriesError))
    );
  }
  return node;
}

/** The run's own parameters and metrics (a parent shows its group's instead). */
function renderParamsAndMetrics(
  host: HTMLElement,
  state: IDetailState,
  run: IRunDetail,
  trans: Trans
): void {
  const doc = host.ownerDocument;
  const params = section(doc, trans.__('Parameters'), 'jp-exp-params-section');
  const paramEntries = Object.entries(run.params ?? {}).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  if (paramEntries.length > 0) {
    params.appendChild(
      kvTable(doc, `${ExpClass.kv} ${ExpClass.params}`, paramEntries)
    );
  } else {
    params.appendChild(
      el(doc, 'div', ExpClass.empty, trans.__('No parameters.'))
    );
  }
  host.appendChild(params);

  host.appendChild(metricsSection(doc, state, run, trans));
}

/** Replace the content of `host` with the detail of `state` (nothing when closed). */
export function renderRunDetail(
  host: HTMLElement,
  state: IDetailState,
  options: {
    now: number;
    canGotoCell: boolean;
    callbacks: IDetailCallbacks;
    trans?: Trans;
  }
): void {
  const doc = host.ownerDocument;
  const { callbacks } = options;
  const trans = options.trans ?? untranslated;
  host.replaceChildren();
  if (!state.runId) {
    host.hidden = true;
    delete host.dataset.runId;
    return;
  }
  host.hidden = false;
  host.dataset.runId = state.runId;

  const header = el(doc, 'div', ExpClass.detailHeader);
  const back = button(doc, ExpClass.back, trans.__('← Runs'), {
    title: trans.__('Back to the run list'),
    onClick: () => callbacks.onBack()
  });
  header.appendChild(back);
  const run = state.detail;
  const name = el(doc, 'h3', ExpClass.runName, run?.run_name || state.runId);
  name.title = name.textContent ?? '';
  header.appendChild(name);
  if (run) {
    header.appendChild(renderStatus(doc, run.status));
    if (run.verdict) {
      header.appendChild(renderVerdict(doc, run.verdict, trans));
    }
  }
  host.appendChild(header);

  if (state.error) {
    const error = el(
      doc,
      'div',
      ExpClass.error,
      trans.__('Error: %1', state.error)
    );
    error.setAttribute('role', 'alert');
    host.appendChild(error);
  }
  if (!run) {
    if (state.loading) {
      host.appendChild(
        el(doc, 'div', ExpClass.status, trans.__('Loading run…'))
      );
    }
    return;
  }

  const actions = el(doc, 'div', ExpClass.actions);
  const goto = button(doc, ExpClass.gotoCell, trans.__('Go to cell'), {
    title: run.notebook
      ? trans.__('Open %1 at the tracked cell', run.notebook)
      : trans.__('The run has no notebook'),
    onClick: () => callbacks.onGotoCell(run)
  });
  goto.disabled = !options.canGotoCell || !run.notebook;
  // whose snapshot: the run's own; a seed group parent's, its first child's, and without one the
  // button is disabled (another run's may still be uploading: the server then says there is none)
  const relations =
    state.relations?.run_id === run.run_id ? state.relations : null;
  const snapshotRunId =
    relations?.snapshot_run_id ??
    (isParentRelations(relations) ? null : run.run_id);
  const snapshot = button(
    doc,
    ExpClass.openSnapshot,
    trans.__('Open snapshot'),
    {
      title:
        snapshotRunId === null
          ? trans.__('No notebook was recorded with this run')
          : snapshotRunId === run.run_id
            ? trans.__('Open the notebook as recorded with the run (read-only)')
            : trans.__(
                "Open the notebook as recorded with the group's first run (read-only)"
              ),
      onClick: () =>
        callbacks.onOpenSnapshot(
          snapshotRunId === null || snapshotRunId === run.run_id
            ? run
            : { ...run, run_id: snapshotRunId }
        )
    }
  );
  snapshot.disabled = snapshotRunId === null;
  const copy = button(doc, ExpClass.copyId, trans.__('Copy run id'), {
    title: run.run_id,
    onClick: () => callbacks.onCopyId(run.run_id)
  });
  const reproduce = button(
    doc,
    ExpClass.reproduceButton,
    trans.__('Reproduce…'),
    {
      title: trans.__(
        'Replay the run in a fresh kernel and compare the results'
      ),
      accept: true,
      onClick: () => callbacks.onReproduce(run.run_id)
    }
  );
  actions.append(goto, snapshot, copy, reproduce);
  const onOpenSweep = callbacks.onOpenSweep;
  if (onOpenSweep && run.tags?.['jupyter_exp.sweep.role'] === 'study') {
    actions.appendChild(
      button(doc, 'jp-exp-open-sweep', trans.__('Sweep view'), {
        title: trans.__(
          'The trials as a table and charts, param importance, and verify the best trials'
        ),
        accept: true,
        onClick: () => onOpenSweep(run.run_id)
      })
    );
  }
  if (callbacks.onOpenCharts) {
    const onOpenCharts = callbacks.onOpenCharts;
    actions.appendChild(
      button(doc, 'jp-exp-open-charts', trans.__('Charts'), {
        title: trans.__(
          'The metrics as charts: zoom, step or time axis, smoothing, the selected runs overlaid'
        ),
        onClick: () => onOpenCharts(run.run_id)
      })
    );
  }
  if (run.ui_url) {
    const link = el(
      doc,
      'a',
      ExpClass.mlflowLink,
      trans.__('Open in MLflow UI')
    );
    link.href = mlflowRunPageUrl(run.ui_url);
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    actions.appendChild(link);
  }
  host.appendChild(actions);

  if (run.lifecycle === 'deleted') {
    const banner = el(
      doc,
      'div',
      'jp-exp-deleted-banner',
      trans.__('This run is deleted. ')
    );
    banner.setAttribute('role', 'status');
    if (callbacks.onRestore) {
      const onRestore = callbacks.onRestore;
      banner.appendChild(
        button(doc, 'jp-exp-restore', trans.__('Restore'), {
          accept: true,
          onClick: () => onRestore(run.run_id)
        })
      );
    }
    host.appendChild(banner);
  }

  if (run.note) {
    host.appendChild(el(doc, 'blockquote', ExpClass.note, run.note));
  }

  const facts: [string, string][] = [
    [trans.__('Run id'), run.run_id],
    [trans.__('Experiment'), run.experiment_name],
    [trans.__('Started'), formatAbsoluteTime(run.start_time)],
    [trans.__('Duration'), formatDuration(runDuration(run, options.now))]
  ];
  if (run.notebook) {
    facts.push([
      trans.__('Notebook'),
      run.notebook +
        (run.execution_count !== null ? ` [${run.execution_count}]` : '')
    ]);
  }
  if (run.seed !== null) {
    facts.push([trans.__('Seed'), run.seed]);
  }
  if (run.git_commit) {
    facts.push([trans.__('Commit'), shortHash(run.git_commit, run.git_dirty)]);
  }
  if (run.kernel_name) {
    facts.push([trans.__('Kernel'), run.kernel_name]);
  }
  if (run.device) {
    facts.push([trans.__('Device'), run.device]);
  }
  const facts_table = kvTable(doc, ExpClass.kv, facts);
  host.appendChild(facts_table);
  if (run.reproduced_from) {
    const original = el(doc, 'div', 'jp-exp-reproduced-from');
    original.append(`${trans.__('Reproduction of')} `);
    const link = el(doc, 'a', ExpClass.jobRun, run.reproduced_from.slice(0, 8));
    link.href = '#';
    link.title = run.reproduced_from;
    link.addEventListener('click', event => {
      event.preventDefault();
      callbacks.onOpenRun(run.reproduced_from as string);
    });
    original.appendChild(link);
    host.appendChild(original);
  }

  if (relations) {
    const related = renderRelatedRuns(
      doc,
      relations,
      callbacks.onOpenRun,
      trans
    );
    if (related) {
      host.appendChild(related);
    }
  }
  if (isParentRelations(relations)) {
    // a --seeds parent: its children's shared configuration and metrics, not its own statistic keys
    host.appendChild(
      renderGroupSection(doc, relations, callbacks.onOpenRun, trans)
    );
  } else {
    renderParamsAndMetrics(host, state, run, trans);
  }
  const checkpoints = callbacks.checkpointsNode?.(run);
  if (checkpoints) {
    host.appendChild(checkpoints);
  }

  if (run.cell_source) {
    const cell = section(doc, trans.__('Cell'), 'jp-exp-cell-section');
    cell.appendChild(el(doc, 'pre', ExpClass.cellSource, run.cell_source));
    host.appendChild(cell);
  }

  const inputs = run.inputs ?? [];
  if (inputs.length > 0) {
    const node = section(
      doc,
      trans.__('Inputs (%1)', inputs.length),
      ExpClass.inputs
    );
    const list = el(doc, 'ul');
    for (const input of inputs) {
      const item = el(doc, 'li');
      item.append(el(doc, 'code', '', input.path));
      const size = formatBytes(input.size);
      const hash = input.sha256 ? ` sha256 ${input.sha256.slice(0, 12)}` : '';
      if (size || hash) {
        item.append(el(doc, 'span', ExpClass.caption, ` ${size}${hash}`));
      }
      item.title = input.sha256
        ? `${input.path}\nsha256 ${input.sha256}`
        : `${input.path}\n${trans.__('(not hashed: over the size cap)')}`;
      list.appendChild(item);
    }
    node.appendChild(list);
    host.appendChild(node);
  }

  const artifacts = run.artifacts ?? [];
  if (artifacts.length > 0) {
    const node = section(
      doc,
      trans.__('Artifacts (%1)', artifacts.length),
      ExpClass.artifacts
    );
    const list = el(doc, 'ul');
    for (const artifact of artifacts) {
      const item = el(doc, 'li');
      item.title = artifact.path;
      if (callbacks.onOpenArtifact) {
        const onOpenArtifact = callbacks.onOpenArtifact;
        const link = el(doc, 'a', 'jp-exp-artifact-link');
        link.appendChild(el(doc, 'code', '', artifact.path));
        link.href = '#';
        link.dataset.path = artifact.path;
        link.title = trans.__('Open %1 (read-only)', artifact.path);
        link.addEventListener('click', event => {
          event.preventDefault();
          onOpenArtifact(run.run_id, artifact.path);
        });
        item.append(link);
      } else {
        item.append(el(doc, 'code', '', artifact.path));
      }
      const size = formatBytes(artifact.size);
      if (size) {
        item.append(el(doc, 'span', ExpClass.caption, ` ${size}`));
      }
      list.appendChild(item);
    }
    node.appendChild(list);
    host.appendChild(node);
  }

  if (
    run.reproduced_from &&
    run.verdict === 'diverged' &&
    callbacks.loadImage
  ) {
    const figures = figuresSideBySide(doc, run, callbacks.loadImage, trans);
    if (figures) {
      host.appendChild(figures);
    }
  }

  const tagEntries = Object.entries(run.tags ?? {}).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  if (tagEntries.length > 0) {
    const details = el(doc, 'details', ExpClass.tags);
    details.appendChild(
      el(doc, 'summary', '', trans.__('Tags (%1)', tagEntries.length))
    );
    details.appendChild(kvTable(doc, ExpClass.kv, tagEntries));
    host.appendChild(details);
  }
}

/** The figure artifacts a run recorded (`jupyter_exp/figures/…` images). */
const FIGURE = /^jupyter_exp\/figures\/[^/]+\.(png|jpe?g|svg|gif|webp)$/i;

/**
 * A diverged reproduction's figures beside the original's of the same name (both runs keep them):
 * images as data URLs (an `<img>` runs no script of an SVG).
 */
function figuresSideBySide(
  doc: Document,
  run: IRunDetail,
  loadImage: (runId: string, path: string) => Promise<string>,
  trans: Trans
): HTMLElement | null {
  const original = run.reproduced_from as string;
  const figures = (run.artifacts ?? []).filter(a => FIGURE.test(a.path));
  if (figures.length === 0) {
    return null;
  }
  const node = section(
    doc,
    trans.__('Figures: original | reproduction'),
    'jp-exp-figure-pairs'
  );
  for (const figure of figures) {
    const pair = el(doc, 'div', 'jp-exp-figure-pair');
    pair.dataset.path = figure.path;
    for (const [runId, label] of [
      [original, trans.__('original')],
      [run.run_id, trans.__('reproduction')]
    ]) {
      const cell = el(doc, 'figure', 'jp-exp-figure');
      const image = el(doc, 'img');
      image.alt = `${label}: ${figure.path}`;
      cell.append(image, el(doc, 'figcaption', '', label));
      loadImage(runId, figure.path).then(
        url => (image.src = url),
        () =>
          cell.replaceChildren(
            el(doc, 'div', ExpClass.empty, trans.__('%1: not recorded', label))
          )
      );
      pair.appendChild(cell);
    }
    node.appendChild(pair);
  }
  return node;
}
