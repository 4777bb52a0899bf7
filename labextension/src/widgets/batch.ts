/**
 * Batched rendering: model signals only mark what changed and request an update; the widget
 * renders the marked parts once, in `onUpdateRequest` (Lumino coalesces the requests of a frame).
 */
import type { Widget } from '@lumino/widgets';

export class PendingParts<P extends string> {
  constructor(widget: Widget) {
    this._widget = widget;
  }

  /** Mark `part` as changed and ask the widget for an update. */
  request(part: P): void {
    this._parts.add(part);
    this._widget.update();
  }

  /** The parts marked since the last call (cleared). */
  take(): ReadonlySet<P> {
    const parts = this._parts;
    this._parts = new Set();
    return parts;
  }

  private _widget: Widget;
  private _parts = new Set<P>();
}
