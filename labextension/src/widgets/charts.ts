/**
 * Inline SVG curves: the detail's sparklines and the compare view's fallback chart.
 * No JupyterLab imports; colours come from theme variables.
 */
import { formatMetricValue } from '../format';
import { ExpClass } from './classes';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The theme variables of overlaid curves' colours, in order. */
const SERIES_VARIABLES = [
  '--jp-brand-color1',
  '--jp-warn-color1',
  '--jp-success-color1',
  '--jp-error-color1',
  '--jp-info-color1',
  '--jp-brand-color3',
  '--jp-warn-color3',
  '--jp-success-color3'
];

/** Colours of overlaid curves, from the theme (for SVG, which resolves `var()` itself). */
export const SERIES_COLORS = SERIES_VARIABLES.map(name => `var(${name})`);

/**
 * A chart's colours as the theme has them now. Vega draws on a canvas or in an SVG of its own,
 * so it needs values, not `var()`: they are read from the computed CSS variables, and the chart is
 * drawn again when the theme changes. Empty where the page defines no JupyterLab theme.
 */
export interface IChartTheme {
  background: string;
  text: string;
  muted: string;
  grid: string;
  domain: string;
  font: string;
  series: string[];
}

/** The chart colours from the theme variables in effect at `node` (the document body by default). */
export function readChartTheme(node: Element): IChartTheme {
  const style = node.ownerDocument.defaultView?.getComputedStyle(node);
  const read = (name: string): string =>
    style?.getPropertyValue(name).trim() ?? '';
  return {
    background: read('--jp-layout-color0'),
    text: read('--jp-ui-font-color1'),
    muted: read('--jp-ui-font-color2'),
    grid: read('--jp-border-color2'),
    domain: read('--jp-border-color1'),
    font: read('--jp-ui-font-family'),
    series: SERIES_VARIABLES.map(read).filter(Boolean)
  };
}

/**
 * Call `callback` after each theme change; returns the function that stops it. JupyterLab's theme
 * manager marks the body with the theme's name once its CSS is in (in its `themeChanged` handler),
 * so watching that attribute is `IThemeManager.themeChanged` without wiring the token through.
 */
export function onThemeChange(doc: Document, callback: () => void): () => void {
  const Observer = doc.defaultView?.MutationObserver;
  if (!Observer) {
    return () => undefined;
  }
  const observer = new Observer(() => callback());
  observer.observe(doc.body, {
    attributes: true,
    attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
  });
  return () => observer.disconnect();
}

/** The Vega-Lite `config` drawing a chart in `theme`'s colours (empty values left to Vega). */
export function vegaThemeConfig(theme: IChartTheme): {
  [key: string]: unknown;
} {
  const some = (entries: { [key: string]: string }) =>
    Object.fromEntries(Object.entries(entries).filter(([, value]) => value));
  const config: { [key: string]: unknown } = some({
    background: theme.background,
    font: theme.font
  });
  config.view = some({ stroke: theme.grid });
  config.axis = some({
    domainColor: theme.domain,
    tickColor: theme.domain,
    gridColor: theme.grid,
    labelColor: theme.muted,
    titleColor: theme.text
  });
  config.legend = some({ labelColor: theme.muted, titleColor: theme.text });
  config.title = some({ color: theme.text });
  if (theme.series.length > 0) {
    config.range = { category: theme.series };
  }
  return config;
}

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
  curves: { steps: number[]; values: number[] }[]
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
  box: IBox = { width: 120, height: 28, pad: 2 }
): SVGSVGElement {
  const node = svg(doc, ExpClass.sparkline, box);
  node.setAttribute('role', 'img');
  const range = rangeOf([{ steps, values }]);
  const title = doc.createElementNS(SVG_NS, 'title');
  title.textContent = range
    ? `${values.length} points, min ${formatMetricValue(range.y0)}, max ${formatMetricValue(range.y1)}`
    : 'no points';
  node.appendChild(title);
  node.appendChild(
    polyline(doc, polylinePoints(steps, values, box, range), SERIES_COLORS[0])
  );
  return node;
}

/** Several curves on shared axes, with the y range labelled (the compare view's fallback). */
export function renderLineChart(
  doc: Document,
  curves: { label: string; steps: number[]; values: number[] }[],
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
