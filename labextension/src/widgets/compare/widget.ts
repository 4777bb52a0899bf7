/**
 * The compare view: a main-area widget over `GET /jupyter-exp/compare`, charts drawn by the
 * Vega-Lite renderer of the rendermime registry when there is one, as SVG otherwise, in the
 * colours of the current theme.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import { runsIcon } from '../../icons';
import type { IComparison } from '../../types';
import { RendermimeCharts } from '../charts/rendermime';
import { onThemeChange, readChartTheme } from '../charts/theme';
import { ExpClass } from '../classes';
import { el, errorAlert, untranslated, type Trans } from '../dom';
import { comparisonTitle, renderComparison } from './comparison';

/** Content of the compare tab (`.jp-exp-compare`). */
export class CompareContent extends Widget {
  constructor(options: CompareContent.IOptions) {
    super();
    this.addClass(ExpClass.compare);
    this._runIds = options.runIds;
    this._fetch = options.fetchComparison;
    this._charts = new RendermimeCharts(options.rendermime ?? null);
    this._trans = options.trans ?? untranslated;
    this.node.dataset.runIds = options.runIds.join(',');
    this.title.label = this._trans.__('Compare %1 runs', options.runIds.length);
    this.title.caption = options.runIds.join('\n');
    // Charts take the theme's colours as values: draw again when it changes.
    this._stopWatchingTheme = onThemeChange(this.node.ownerDocument, () =>
      this._render()
    );
  }

  get runIds(): readonly string[] {
    return this._runIds;
  }

  /** The comparison shown, null before it loaded. */
  get comparison(): IComparison | null {
    return this._comparison;
  }

  /** (Re)load the comparison. Never rejects: a failure shows inline. */
  async load(): Promise<void> {
    const doc = this.node.ownerDocument;
    const trans = this._trans;
    this._charts.clear();
    this.node.replaceChildren(
      el(
        doc,
        'div',
        ExpClass.status,
        trans.__('Comparing %1 runs…', this._runIds.length)
      )
    );
    try {
      this._comparison = await this._fetch(this._runIds);
      // the tab says what it compares (the MainAreaWidget takes its content's title)
      this.title.label = comparisonTitle(this._comparison, trans);
      this.title.caption = this._comparison.runs
        .map(run => `${run.run_name || run.run_id} (${run.run_id})`)
        .join('\n');
      this._render();
    } catch (error) {
      this.node.replaceChildren(errorAlert(doc, trans, error));
    }
  }

  /** Compare again with `runId` (a run or a `--seeds` parent) as the baseline. */
  setBaseline(runId: string): Promise<void> {
    if (!this._runIds.includes(runId) || this._runIds[0] === runId) {
      return Promise.resolve();
    }
    this._runIds = [runId, ...this._runIds.filter(id => id !== runId)];
    this.node.dataset.runIds = this._runIds.join(',');
    return this.load();
  }

  dispose(): void {
    this._stopWatchingTheme();
    this._charts.dispose();
    super.dispose();
  }

  private _render(): void {
    if (!this._comparison || this.isDisposed) {
      return;
    }
    this._charts.clear();
    renderComparison(this.node, this._comparison, {
      showAll: this._showAll,
      onToggleShowAll: showAll => {
        this._showAll = showAll;
        this._render();
      },
      renderChart: this._charts.render,
      chartTheme: readChartTheme(this.node.ownerDocument.body),
      trans: this._trans,
      onBaseline: runId => void this.setBaseline(runId)
    });
  }

  private _runIds: string[];
  private _fetch: (runIds: string[]) => Promise<IComparison>;
  private _charts: RendermimeCharts;
  private _trans: Trans;
  private _comparison: IComparison | null = null;
  private _showAll = false;
  private _stopWatchingTheme: () => void;
}

export namespace CompareContent {
  export interface IOptions {
    runIds: string[];
    fetchComparison: (runIds: string[]) => Promise<IComparison>;
    rendermime?: IRenderMimeRegistry | null;
    trans?: Trans;
  }
}

/** A main-area tab comparing `runIds`; it starts loading at once. */
export function createCompareWidget(
  options: CompareContent.IOptions
): MainAreaWidget<CompareContent> {
  const content = new CompareContent(options);
  // the MainAreaWidget copies its content's title (label, caption, icon) whenever it changes
  content.title.icon = runsIcon;
  const widget = new MainAreaWidget({ content });
  widget.id = `jupyter-exp-compare-${Date.now()}`;
  widget.title.closable = true;
  return widget;
}
