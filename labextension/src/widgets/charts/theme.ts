/**
 * The charts' colours from the JupyterLab theme: `var()` references for SVG, which resolves them
 * itself; the values in effect now for Vega, which needs values (and so draws again when the
 * theme changes). No JupyterLab imports.
 */

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
