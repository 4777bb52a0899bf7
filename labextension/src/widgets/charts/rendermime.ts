/**
 * Charts drawn by the Vega-Lite renderer of JupyterLab's rendermime registry, the SVG chart
 * where the registry has none for the mime type or the renderer fails. The renderers made are
 * kept until `clear()` (each draw of the view) or `dispose()`.
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { Widget } from '@lumino/widgets';

import { el } from '../dom';
import { renderSvgChart } from './svg';
import { VEGALITE_MIME, type ChartRenderer } from './vegalite';

export class RendermimeCharts implements IDisposable {
  constructor(rendermime: IRenderMimeRegistry | null) {
    this._rendermime = rendermime;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Vega-Lite through the rendermime registry, SVG when it has no renderer for it. */
  readonly render: ChartRenderer = (container, metric, spec, curves) => {
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

  /** Dispose of the renderers made so far (their charts are being replaced). */
  clear(): void {
    for (const renderer of this._renderers) {
      renderer.dispose();
    }
    this._renderers = [];
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.clear();
  }

  private _rendermime: IRenderMimeRegistry | null;
  private _renderers: Widget[] = [];
  private _isDisposed = false;
}
