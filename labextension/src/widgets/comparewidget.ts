/**
 * The compare view: a main-area widget over `GET /jupyter-exp/compare`, charts drawn by the
 * Vega-Lite renderer of the rendermime registry when there is one, as SVG otherwise, in the
 * colours of the current theme.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { describeError } from '../errors';
import { runsIcon } from '../icons';
import type { IComparison } from '../types';
import { onThemeChange, readChartTheme } from './charts';
import { ExpClass } from './classes';
import {
  VEGALITE_MIME,
  renderComparison,
  renderSvgChart,
  type ChartRenderer
} from './compareview';
import { el } from './dom';

/** Content of the compare tab (`.jp-exp-compare`). */
export class CompareContent extends Widget {
  constructor(options: CompareContent.IOptions) {
    super();
    this.addClass(ExpClass.compare);
    this._runIds = options.runIds;
    this._fetch = options.fetchComparison;
    this._rendermime = options.rendermime ?? null;
    this.node.dataset.runIds = options.runIds.join(',');
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
    this._disposeRenderers();
    this.node.replaceChildren(
      el(doc, 'div', ExpClass.status, `Comparing ${this._runIds.length} runs…`)
    );
    try {
      this._comparison = await this._fetch(this._runIds);
      this._render();
    } catch (error) {
      const line = el(
        doc,
        'div',
        ExpClass.error,
        `Error: ${describeError(error)}`
      );
      line.setAttribute('role', 'alert');
      this.node.replaceChildren(line);
    }
  }

  dispose(): void {
    this._stopWatchingTheme();
    this._disposeRenderers();
    super.dispose();
  }

  private _render(): void {
    if (!this._comparison || this.isDisposed) {
      return;
    }
    this._disposeRenderers();
    renderComparison(this.node, this._comparison, {
      showAll: this._showAll,
      onToggleShowAll: showAll => {
        this._showAll = showAll;
        this._render();
      },
      renderChart: this._renderChart,
      chartTheme: readChartTheme(this.node.ownerDocument.body)
    });
  }

  /** Vega-Lite through the rendermime registry, SVG when it has no renderer for it. */
  private _renderChart: ChartRenderer = (container, metric, spec, curves) => {
    const rendermime = this._rendermime;
    const data = { [VEGALITE_MIME]: spec as ReadonlyJSONObject };
    if (
      !rendermime ||
      rendermime.preferredMimeType(data, 'any') !== VEGALITE_MIME
    ) {
      renderSvgChart(container, metric, spec, curves);
      return;
    }
    const renderer = rendermime.createRenderer(VEGALITE_MIME);
    this._renderers.push(renderer);
    // Run and metric names come from the store: the model is untrusted (Vega's renderer is safe
    // for it) and has no actions menu, whose "View Source" writes the spec unescaped into a window
    // of this origin.
    const model = rendermime.createModel({
      data,
      trusted: false,
      metadata: { [VEGALITE_MIME]: { embed_options: { actions: false } } }
    });
    // The chart's container may not be in the document yet (the view is built detached, then
    // swapped in), so the renderer's node is placed directly: the Vega renderer needs no attach.
    const host = el(container.ownerDocument, 'div', 'jp-exp-chart-host');
    container.appendChild(host);
    host.appendChild(renderer.node);
    renderer.renderModel(model).catch(() => {
      renderer.dispose();
      renderSvgChart(container, metric, spec, curves);
    });
  };

  private _disposeRenderers(): void {
    for (const renderer of this._renderers) {
      renderer.dispose();
    }
    this._renderers = [];
  }

  private _runIds: string[];
  private _fetch: (runIds: string[]) => Promise<IComparison>;
  private _rendermime: IRenderMimeRegistry | null;
  private _comparison: IComparison | null = null;
  private _showAll = false;
  private _renderers: Widget[] = [];
  private _stopWatchingTheme: () => void;
}

export namespace CompareContent {
  export interface IOptions {
    runIds: string[];
    fetchComparison: (runIds: string[]) => Promise<IComparison>;
    rendermime?: IRenderMimeRegistry | null;
  }
}

/** A main-area tab comparing `runIds`; it starts loading at once. */
export function createCompareWidget(
  options: CompareContent.IOptions
): MainAreaWidget<CompareContent> {
  const content = new CompareContent(options);
  const widget = new MainAreaWidget({ content });
  widget.id = `jupyter-exp-compare-${Date.now()}`;
  widget.title.label = `Compare ${options.runIds.length} runs`;
  widget.title.caption = options.runIds.join('\n');
  widget.title.icon = runsIcon;
  widget.title.closable = true;
  return widget;
}
