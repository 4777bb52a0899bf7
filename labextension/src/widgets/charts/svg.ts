/**
 * Inline SVG curves: the detail's sparklines and the compare view's chart without Vega.
 * No JupyterLab imports; colours come from theme variables.
 */
import { formatMetricValue } from '../../formatvalue';
import { ExpClass } from '../classes';
import { el, untranslated, type Trans } from '../dom';
import { SERIES_COLORS } from './theme';
import type { ChartRenderer, IChartCurve } from './vegalite';

const SVG_NS = 'http://www.w3.org/2000/svg';

interface IBox {
  width: number;
  height: number;
  pad: number;
}

interface IRange {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** The range of finite points of several curves; null when there is none. */
function rangeOf(
  curves: readonly { steps: number[]; values: number[] }[]
): IRange | null {
  let range: IRange | null = null;
  for (const { steps, values } of curves) {
    const n = Math.min(steps.length, values.length);
    for (let i = 0; i < n; i++) {
      const x = steps[i];
      const y = values[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        continue;
      }
      if (!range) {
        range = { x0: x, x1: x, y0: y, y1: y };
      } else {
        range.x0 = Math.min(range.x0, x);
        range.x1 = Math.max(range.x1, x);
        range.y0 = Math.min(range.y0, y);
        range.y1 = Math.max(range.y1, y);
      }
    }
  }
  return range;
}

/**
 * The `points` attribute of a polyline drawing `values` against `steps` inside `box` (y up);
 * non-finite points are skipped. A single point or a flat curve is drawn mid-height.
 */
export function polylinePoints(
  steps: number[],
  values: number[],
  box: IBox,
  range: IRange | null = rangeOf([{ steps, values }])
): string {
  if (!range) {
    return '';
  }
  const { width, height, pad } = box;
  const spanX = range.x1 - range.x0;
  const spanY = range.y1 - range.y0;
  const points: string[] = [];
  const n = Math.min(steps.length, values.length);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(steps[i]) || !Number.isFinite(values[i])) {
      continue;
    }
    const x =
      spanX > 0
        ? pad + ((steps[i] - range.x0) / spanX) * (width - 2 * pad)
        : width / 2;
    const y =
      spanY > 0
        ? height - pad - ((values[i] - range.y0) / spanY) * (height - 2 * pad)
        : height / 2;
    points.push(`${round(x)},${round(y)}`);
  }
  return points.join(' ');
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function svg(doc: Document, className: string, box: IBox): SVGSVGElement {
  const node = doc.createElementNS(SVG_NS, 'svg');
  node.setAttribute('class', className);
  node.setAttribute('width', String(box.width));
  node.setAttribute('height', String(box.height));
  node.setAttribute('viewBox', `0 0 ${box.width} ${box.height}`);
  node.setAttribute('preserveAspectRatio', 'none');
  return node;
}

function polyline(
  doc: Document,
  points: string,
  color: string
): SVGPolylineElement {
  const line = doc.createElementNS(SVG_NS, 'polyline');
  line.setAttribute('points', points);
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', color);
  line.setAttribute('stroke-width', '1.5');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  line.setAttribute('stroke-linejoin', 'round');
  return line;
}

/** `svg.jp-exp-sparkline`: one curve, no axes, the range in its tooltip. */
export function renderSparkline(
  doc: Document,
  steps: number[],
  values: number[],
  options: { box?: IBox; trans?: Trans } = {}
): SVGSVGElement {
  const box = options.box ?? { width: 120, height: 28, pad: 2 };
  const trans = options.trans ?? untranslated;
  const node = svg(doc, ExpClass.sparkline, box);
  node.setAttribute('role', 'img');
  const range = rangeOf([{ steps, values }]);
  const title = doc.createElementNS(SVG_NS, 'title');
  title.textContent = range
    ? trans.__(
        '%1 points, min %2, max %3',
        values.length,
        formatMetricValue(range.y0),
        formatMetricValue(range.y1)
      )
    : trans.__('no points');
  node.appendChild(title);
  node.appendChild(
    polyline(doc, polylinePoints(steps, values, box, range), SERIES_COLORS[0])
  );
  return node;
}

/** Several curves on shared axes, with the y range labelled (the compare view's fallback). */
export function renderLineChart(
  doc: Document,
  curves: readonly IChartCurve[],
  box: IBox = { width: 360, height: 160, pad: 8 }
): SVGSVGElement {
  const node = svg(doc, 'jp-exp-line-chart', box);
  node.setAttribute('role', 'img');
  node.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  const range = rangeOf(curves);
  curves.forEach((curve, i) => {
    const line = polyline(
      doc,
      polylinePoints(curve.steps, curve.values, box, range),
      SERIES_COLORS[i % SERIES_COLORS.length]
    );
    const title = doc.createElementNS(SVG_NS, 'title');
    title.textContent = curve.label;
    line.appendChild(title);
    node.appendChild(line);
  });
  if (range) {
    for (const [text, y] of [
      [formatMetricValue(range.y1), box.pad + 8],
      [formatMetricValue(range.y0), box.height - box.pad]
    ] as [string, number][]) {
      const label = doc.createElementNS(SVG_NS, 'text');
      label.setAttribute('x', String(box.pad));
      label.setAttribute('y', String(y));
      label.setAttribute('class', 'jp-exp-axis-label');
      label.textContent = text;
      node.appendChild(label);
    }
  }
  return node;
}

/** The chart renderer without Vega: an SVG line chart with a legend. */
export const renderSvgChart: ChartRenderer = (
  container,
  metric,
  _spec,
  curves
) => {
  const doc = container.ownerDocument;
  container.replaceChildren();
  container.appendChild(el(doc, 'div', 'jp-exp-chart-title', metric));
  container.appendChild(renderLineChart(doc, curves));
  const legend = el(doc, 'div', ExpClass.legend);
  curves.forEach((curve, i) => {
    const item = el(doc, 'span', 'jp-exp-legend-item', curve.label);
    item.style.setProperty(
      '--jp-exp-series-color',
      SERIES_COLORS[i % SERIES_COLORS.length]
    );
    legend.appendChild(item);
  });
  container.appendChild(legend);
};
