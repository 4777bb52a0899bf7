/**
 * The sweep view (`.jp-exp-sweep-view`), shown in the sidebar in place of the run detail: the study's
 * summary, "verify top k", the trials table, param importance, parallel coordinates and a scatter of
 * each param against the objective (Vega-Lite through the rendermime registry, in the theme's
 * colours, drawn again when the theme changes). Renders what its model holds; text only.
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { formatMetricValue } from '../../formatvalue';
import { RendermimeCharts } from '../charts/rendermime';
import {
  onThemeChange,
  readChartTheme,
  vegaThemeConfig
} from '../charts/theme';
import type { VegaLiteSpec } from '../charts/vegalite';
import { button, el, untranslated, type Trans } from '../dom';
import { renderStatus } from '../runlist';
import { renderImportance } from './importanceview';
import {
  paramScatterSpec,
  scatterCurves,
  sweepParallelSpec
} from './sweepcharts';
import type { SweepModel } from './sweepmodel';
import { renderTrialsTable } from './trialstable';
import type { ISweep } from './types';

/** How many trials "verify top k" offers by default. */
const DEFAULT_K = 3;

/** A one-line error announced to screen readers. */
function alertLine(
  doc: Document,
  className: string,
  text: string
): HTMLElement {
  const line = el(doc, 'div', `jp-exp-error ${className}`.trim(), text);
  line.setAttribute('role', 'alert');
  return line;
}

export class SweepView extends Widget {
  constructor(options: SweepView.IOptions) {
    super();
    this.addClass('jp-exp-sweep-view');
    this.model = options.model;
    this._trans = options.trans ?? untranslated;
    this._onOpenRun = options.onOpenRun;
    this._charts = new RendermimeCharts(options.rendermime ?? null);
    const doc = this.node.ownerDocument;
    this._head = el(doc, 'div', 'jp-exp-sweep-head');
    this._tableHost = el(doc, 'div', 'jp-exp-sweep-table');
    this._importanceHost = el(doc, 'div');
    this._chartsHost = el(doc, 'div', 'jp-exp-sweep-charts');
    this.node.append(
      this._head,
      this._tableHost,
      this._importanceHost,
      this._chartsHost
    );
    this.model.changed.connect(this._render, this);
    this._stopWatchingTheme = onThemeChange(doc, () => this._renderCharts());
    this._render();
  }

  readonly model: SweepModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._render, this);
    this._stopWatchingTheme();
    this._charts.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._renderCharts(); // Vega sizes its charts when they are visible
  }

  private _render(): void {
    const state = this.model.state;
    const doc = this.node.ownerDocument;
    const trans = this._trans;
    if (state.runId === null) {
      this._head.replaceChildren(); // closed: nothing of it in the sidebar
    } else {
      this._renderHead(doc, trans);
    }
    const sweep = state.sweep;
    if (!sweep) {
      this._tableHost.replaceChildren();
      this._importanceHost.replaceChildren();
      this._clearCharts();
      return;
    }
    this._tableHost.replaceChildren(
      renderTrialsTable(doc, sweep, this.model.rows, {
        sort: state.sort,
        verifying: state.verifying,
        trans,
        callbacks: {
          onSort: key => this.model.setSort(key),
          onOpenRun: runId => this._onOpenRun(runId)
        }
      })
    );
    if (sweep !== this._drawn) {
      this._importanceHost.replaceChildren(renderImportance(doc, sweep, trans));
      this._renderCharts();
    }
  }

  private _renderHead(doc: Document, trans: Trans): void {
    const state = this.model.state;
    const sweep = state.sweep;
    const header = el(doc, 'div', 'jp-exp-sweep-header');
    header.appendChild(
      button(doc, 'jp-exp-sweep-back', trans.__('← Back'), {
        title: trans.__('Back to the sweep’s run'),
        onClick: () => this.model.close()
      })
    );
    const title = el(
      doc,
      'h3',
      'jp-exp-sweep-name',
      sweep ? trans.__('Sweep %1', sweep.sweep) : trans.__('Sweep')
    );
    title.title = sweep ? `${sweep.run_name}\n${sweep.run_id}` : '';
    header.appendChild(title);
    if (sweep) {
      header.appendChild(renderStatus(doc, sweep.status));
    }
    header.appendChild(
      button(doc, 'jp-exp-sweep-reload', '↻', {
        title: trans.__('Reload the sweep (a running one adds trials)'),
        onClick: () => void this.model.reload()
      })
    );
    const parts: HTMLElement[] = [header];
    if (state.error) {
      parts.push(alertLine(doc, '', trans.__('Error: %1', state.error)));
    }
    if (!sweep) {
      if (state.loading) {
        parts.push(el(doc, 'div', 'jp-exp-status', trans.__('Loading sweep…')));
      }
      this._head.replaceChildren(...parts);
      return;
    }
    parts.push(
      this._summary(doc, sweep, trans),
      this._verify(doc, sweep, trans)
    );
    if (state.verifyError) {
      parts.push(
        alertLine(
          doc,
          'jp-exp-sweep-verify-error',
          trans.__('Could not start the reproductions: %1', state.verifyError)
        )
      );
    }
    this._head.replaceChildren(...parts);
  }

  private _summary(doc: Document, sweep: ISweep, trans: Trans): HTMLElement {
    const node = el(doc, 'div', 'jp-exp-sweep-summary');
    const counts = sweep.counts;
    const objective = sweep.metric || trans.__("the cell's last expression");
    node.append(
      el(doc, 'div', '', trans.__('%1 %2', sweep.direction, objective)),
      el(
        doc,
        'div',
        'jp-exp-sweep-counts',
        trans.__(
          '%1 complete, %2 pruned, %3 failed, %4 running',
          counts.COMPLETE ?? 0,
          counts.PRUNED ?? 0,
          counts.FAIL ?? 0,
          counts.RUNNING ?? 0
        )
      )
    );
    const best = sweep.best;
    if (best && best.number !== null) {
      node.appendChild(
        el(
          doc,
          'div',
          'jp-exp-sweep-best',
          trans.__(
            'best: trial %1 = %2',
            best.number,
            best.value !== null ? formatMetricValue(best.value) : '?'
          )
        )
      );
    }
    const how = [sweep.sampler, sweep.pruner].filter(Boolean).join(', ');
    if (how) {
      node.appendChild(el(doc, 'div', 'jp-exp-caption', how));
    }
    if (sweep.truncated) {
      node.appendChild(
        el(
          doc,
          'div',
          'jp-exp-caption',
          trans.__('Only the first %1 trials are shown.', sweep.trials.length)
        )
      );
    }
    return node;
  }

  /** "Verify top [k]": reproduce the best k complete trials, their verdicts in the table. */
  private _verify(doc: Document, sweep: ISweep, trans: Trans): HTMLElement {
    const node = el(doc, 'div', 'jp-exp-sweep-verify');
    const complete = sweep.trials.filter(
      t => t.state === 'COMPLETE' && t.value !== null
    ).length;
    const label = el(doc, 'label', '', trans.__('Verify top '));
    const input = el(doc, 'input', 'jp-mod-styled jp-exp-sweep-k');
    input.type = 'number';
    input.min = '1';
    input.max = String(Math.max(1, complete));
    input.value = String(Math.max(1, Math.min(this._k, complete || 1)));
    input.setAttribute('aria-label', trans.__('How many of the best trials'));
    input.addEventListener('change', () => {
      const k = Math.floor(Number(input.value));
      this._k = Number.isFinite(k) && k >= 1 ? k : DEFAULT_K;
    });
    label.appendChild(input);
    const start = button(
      doc,
      'jp-exp-sweep-verify-button',
      trans.__('Verify'),
      {
        accept: true,
        title: trans.__(
          'Reproduce the best trials in fresh kernels and show each verdict before trusting the winner'
        ),
        onClick: () => {
          const k = Math.floor(Number(input.value));
          this._k = Number.isFinite(k) && k >= 1 ? k : DEFAULT_K;
          void this.model.verifyTop(this._k);
        }
      }
    );
    start.disabled = complete === 0;
    node.append(label, start);
    return node;
  }

  private _clearCharts(): void {
    this._charts.clear();
    this._chartsHost.replaceChildren();
    this._drawn = null;
  }

  /** Parallel coordinates and one scatter per param, in the theme's colours now. */
  private _renderCharts(): void {
    const sweep = this.model.state.sweep;
    this._clearCharts();
    if (!sweep) {
      return;
    }
    this._drawn = sweep;
    const doc = this.node.ownerDocument;
    const trans = this._trans;
    const config = vegaThemeConfig(readChartTheme(this.node));
    const parallel = sweepParallelSpec(sweep, config);
    const draw = (
      className: string,
      title: string,
      spec: object,
      param: string | null
    ) => {
      const host = el(doc, 'div', `jp-exp-chart ${className}`);
      if (param !== null) {
        host.dataset.param = param;
      }
      this._chartsHost.appendChild(host);
      this._charts.render(
        host,
        title,
        spec as VegaLiteSpec,
        param !== null ? scatterCurves(sweep, param) : []
      );
    };
    if (parallel) {
      this._chartsHost.appendChild(
        el(doc, 'h3', '', trans.__('Parallel coordinates'))
      );
      draw(
        'jp-exp-sweep-parallel',
        trans.__('Parallel coordinates'),
        parallel,
        null
      );
    }
    const scatters = sweep.params
      .map(param => [param, paramScatterSpec(sweep, param, config)] as const)
      .filter((entry): entry is readonly [string, object] => entry[1] !== null);
    if (scatters.length > 0) {
      this._chartsHost.appendChild(
        el(doc, 'h3', '', trans.__('Each param against the objective'))
      );
    }
    for (const [param, spec] of scatters) {
      draw('jp-exp-sweep-scatter', param, spec, param);
    }
  }

  private _trans: Trans;
  private _onOpenRun: (runId: string) => void;
  private _charts: RendermimeCharts;
  private _head: HTMLElement;
  private _tableHost: HTMLElement;
  private _importanceHost: HTMLElement;
  private _chartsHost: HTMLElement;
  private _drawn: ISweep | null = null;
  private _k = DEFAULT_K;
  private _stopWatchingTheme: () => void;
}

export namespace SweepView {
  export interface IOptions {
    model: SweepModel;
    rendermime?: IRenderMimeRegistry | null;
    trans?: Trans;
    /** Show a trial's run (its detail). */
    onOpenRun(runId: string): void;
  }
}
