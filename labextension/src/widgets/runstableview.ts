/**
 * The runs table (`.jp-exp-runs-table-view`): params against metrics over the selected runs or a whole
 * experiment. A column picker (params, metrics, tags), sorting by any column, CSV export, and the same
 * runs as parallel coordinates or a scatter of two columns (Vega-Lite through the rendermime registry).
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import { formatMetricValue } from '../formatvalue';
import {
  cellValue,
  columnId,
  defaultColumns,
  numericColumns,
  parallelSpec,
  scatterSpec,
  sortRows,
  toCsv,
  type IColumn,
  type IRunsMatrix
} from '../runstable';
import { RendermimeCharts } from './charts/rendermime';
import { onThemeChange, readChartTheme, vegaThemeConfig } from './charts/theme';
import type { VegaLiteSpec } from './charts/vegalite';
import {
  button,
  el,
  errorAlert,
  select,
  untranslated,
  type Trans
} from './dom';

type View = 'table' | 'parallel' | 'scatter';

export class RunsTableContent extends Widget {
  constructor(options: RunsTableContent.IOptions) {
    super();
    this.addClass('jp-exp-runs-table-view');
    this._fetch = options.fetchMatrix;
    this._onOpenRun = options.onOpenRun;
    this._charts = new RendermimeCharts(options.rendermime ?? null);
    this._trans = options.trans ?? untranslated;
    this._title = options.title;
    // Charts take the theme's colours as values: draw again when it changes.
    this._stopWatchingTheme = onThemeChange(this.node.ownerDocument, () =>
      this._render()
    );
  }

  get matrix(): IRunsMatrix | null {
    return this._matrix;
  }

  /** The CSV of the table as shown (rows sorted, columns chosen). */
  csv(): string {
    return this._matrix ? toCsv(this._rows(), this._columns) : '';
  }

  async load(): Promise<void> {
    const doc = this.node.ownerDocument;
    this.node.replaceChildren(
      el(doc, 'div', 'jp-exp-status', this._trans.__('Loading runs…'))
    );
    try {
      this._matrix = await this._fetch();
      this._columns = defaultColumns(this._matrix);
      this._render();
    } catch (error) {
      this.node.replaceChildren(errorAlert(doc, this._trans, error));
    }
  }

  dispose(): void {
    this._stopWatchingTheme();
    this._charts.dispose();
    super.dispose();
  }

  private _rows() {
    return sortRows(this._matrix?.runs ?? [], this._sort, this._descending);
  }

  private _picker(doc: Document, matrix: IRunsMatrix): HTMLElement {
    const trans = this._trans;
    const details = el(doc, 'details', 'jp-exp-column-picker');
    details.open = this._pickerOpen;
    details.addEventListener('toggle', () => {
      this._pickerOpen = details.open;
    });
    details.appendChild(
      el(doc, 'summary', '', trans.__('Columns (%1)', this._columns.length))
    );
    const chosen = new Set(this._columns.map(columnId));
    const groups: [string, IColumn['kind'], string[]][] = [
      [trans.__('Params'), 'param', matrix.params],
      [trans.__('Metrics'), 'metric', matrix.metrics],
      [trans.__('Tags'), 'tag', matrix.tags]
    ];
    for (const [title, kind, keys] of groups) {
      const group = el(doc, 'fieldset', 'jp-exp-column-group');
      group.appendChild(el(doc, 'legend', '', title));
      for (const key of keys) {
        const column: IColumn = { kind, key };
        const label = el(doc, 'label', 'jp-exp-column-choice');
        const box = el(doc, 'input');
        box.type = 'checkbox';
        box.checked = chosen.has(columnId(column));
        box.dataset.column = columnId(column);
        box.addEventListener('change', () => {
          this._columns = box.checked
            ? [...this._columns, column]
            : this._columns.filter(c => columnId(c) !== columnId(column));
          this._render();
        });
        label.append(box, ` ${key}`);
        group.appendChild(label);
      }
      details.appendChild(group);
    }
    return details;
  }

  private _render(): void {
    const matrix = this._matrix;
    if (!matrix || this.isDisposed) {
      return;
    }
    const doc = this.node.ownerDocument;
    const trans = this._trans;
    this._charts.clear();
    const bar = el(doc, 'div', 'jp-exp-chart-controls');
    bar.appendChild(
      el(
        doc,
        'strong',
        '',
        trans.__('%1: %2 runs', this._title, matrix.runs.length) +
          (matrix.truncated ? trans.__(' (the newest)') : '')
      )
    );
    const views: [View, string][] = [
      ['table', trans.__('Table')],
      ['parallel', trans.__('Parallel coordinates')],
      ['scatter', trans.__('Scatter')]
    ];
    for (const [view, label] of views) {
      const tab = button(doc, `jp-exp-view-${view}`, label, {
        accept: this._view === view,
        onClick: () => {
          this._view = view;
          this._render();
        }
      });
      tab.setAttribute('aria-pressed', String(this._view === view));
      bar.appendChild(tab);
    }
    bar.appendChild(
      button(doc, 'jp-exp-export-csv', trans.__('Export CSV'), {
        title: trans.__('Download the table as shown (sorted, chosen columns)'),
        onClick: () => this._download(doc)
      })
    );
    const body = el(doc, 'div', 'jp-exp-runs-table-body');
    this.node.replaceChildren(bar, this._picker(doc, matrix), body);
    if (this._view === 'table') {
      body.appendChild(this._table(doc));
    } else {
      this._chart(doc, body);
    }
  }

  private _table(doc: Document): HTMLElement {
    const trans = this._trans;
    const table = el(doc, 'table', 'jp-exp-runs-table');
    const head = el(doc, 'tr');
    head.appendChild(el(doc, 'th', '', trans.__('Run')));
    for (const column of this._columns) {
      const id = columnId(column);
      const th = el(doc, 'th', `jp-exp-col-${column.kind}`, column.key);
      th.dataset.column = id;
      th.title = trans.__('%1 (click to sort)', id);
      const sorted = this._sort && columnId(this._sort) === id;
      th.setAttribute(
        'aria-sort',
        sorted ? (this._descending ? 'descending' : 'ascending') : 'none'
      );
      if (sorted) {
        th.append(this._descending ? ' ▾' : ' ▴');
      }
      th.addEventListener('click', () => {
        this._descending = sorted
          ? !this._descending
          : column.kind === 'metric';
        this._sort = column;
        this._render();
      });
      head.appendChild(th);
    }
    const thead = el(doc, 'thead');
    thead.appendChild(head);
    const tbody = el(doc, 'tbody');
    for (const row of this._rows()) {
      const tr = el(doc, 'tr');
      tr.dataset.runId = row.run_id;
      const name = el(doc, 'a', 'jp-exp-run-name', row.run_name);
      name.href = '#';
      name.title = row.run_id;
      name.addEventListener('click', event => {
        event.preventDefault();
        this._onOpenRun?.(row.run_id);
      });
      const first = el(doc, 'td');
      first.appendChild(name);
      tr.appendChild(first);
      for (const column of this._columns) {
        const value = cellValue(row, column);
        const text =
          typeof value === 'number'
            ? formatMetricValue(value)
            : value === null && column.kind === 'metric'
              ? 'NaN'
              : (value ?? '');
        const td = el(doc, 'td', `jp-exp-col-${column.kind}`, String(text));
        if (typeof value === 'number') {
          td.title = String(value);
        }
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
    table.append(thead, tbody);
    return table;
  }

  private _chart(doc: Document, body: HTMLElement): void {
    const trans = this._trans;
    const rows = this._rows();
    const numeric = numericColumns(rows, this._columns);
    const config = vegaThemeConfig(readChartTheme(doc.body));
    const host = el(doc, 'div', 'jp-exp-chart');
    host.dataset.view = this._view;
    if (this._view === 'parallel') {
      if (numeric.length < 2) {
        body.appendChild(
          el(
            doc,
            'div',
            'jp-exp-empty',
            trans.__('Choose two or more numeric columns.')
          )
        );
        return;
      }
      host.dataset.axes = String(numeric.length);
      body.appendChild(host);
      this._charts.render(
        host,
        trans.__('Parallel coordinates'),
        parallelSpec(rows, numeric, config) as VegaLiteSpec,
        []
      );
      return;
    }
    if (numeric.length < 2) {
      body.appendChild(
        el(
          doc,
          'div',
          'jp-exp-empty',
          trans.__('Choose two or more numeric columns.')
        )
      );
      return;
    }
    const x = numeric.find(c => columnId(c) === this._scatterX) ?? numeric[0];
    const y =
      numeric.find(c => columnId(c) === this._scatterY) ??
      numeric[numeric.length - 1];
    const choices = numeric.map(c => ({ value: columnId(c), label: c.key }));
    const pickX = select(doc, 'jp-exp-scatter-x', choices, columnId(x), 'x');
    const pickY = select(doc, 'jp-exp-scatter-y', choices, columnId(y), 'y');
    pickX.addEventListener('change', () => {
      this._scatterX = pickX.value;
      this._render();
    });
    pickY.addEventListener('change', () => {
      this._scatterY = pickY.value;
      this._render();
    });
    const controls = el(doc, 'div', 'jp-exp-chart-controls');
    controls.append('x ', pickX, ' y ', pickY);
    body.append(controls, host);
    this._charts.render(
      host,
      trans.__('Scatter'),
      scatterSpec(rows, x, y, config) as VegaLiteSpec,
      []
    );
  }

  private _download(doc: Document): void {
    const blob = new Blob([this.csv()], { type: 'text/csv' });
    const url = URL.createObjectURL(blob);
    const link = el(doc, 'a');
    link.href = url;
    link.download = 'runs.csv';
    doc.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  private _fetch: () => Promise<IRunsMatrix>;
  private _onOpenRun?: (runId: string) => void;
  private _charts: RendermimeCharts;
  private _trans: Trans;
  private _title: string;
  private _matrix: IRunsMatrix | null = null;
  private _columns: IColumn[] = [];
  private _sort: IColumn | null = null;
  private _descending = true;
  private _view: View = 'table';
  private _pickerOpen = false;
  private _scatterX = '';
  private _scatterY = '';
  private _stopWatchingTheme: () => void;
}

export namespace RunsTableContent {
  export interface IOptions {
    title: string;
    fetchMatrix: () => Promise<IRunsMatrix>;
    onOpenRun?: (runId: string) => void;
    rendermime?: IRenderMimeRegistry | null;
    trans?: Trans;
  }
}
