/**
 * The controls of the runs query: scope, experiment, filter string, whose runs, status and sort
 * field. Each applies its value to the model; `render` shows the model's state (an input being
 * typed in keeps what the user typed). Plain DOM, no JupyterLab imports at runtime: where the
 * controls sit (which toolbar) is the panel's concern (toolbars.ts).
 */
import { STATUS_OPTIONS } from '../runfilters';
import type { IRunsState } from '../runsmodel';
import {
  SORT_FIELDS,
  parseSort,
  sortableMetrics,
  type SortDirection
} from '../runsort';
import type { RunScope, RunStatus } from '../types';
import { ExpClass } from './classes';
import { el, select, untranslated, type Trans } from './dom';
import { UserFilterView } from './userfilter';

export class FilterBar {
  constructor(doc: Document, options: FilterBar.IOptions) {
    const trans = (this._trans = options.trans ?? untranslated);
    const model = (this._model = options.model);
    const state = model.state;

    this.scope = select(
      doc,
      ExpClass.scope,
      [
        { value: 'notebook', label: trans.__('This notebook') },
        { value: 'experiment', label: trans.__('Experiment') },
        { value: 'all', label: trans.__('All runs') }
      ],
      state.scope,
      trans.__('Scope')
    );
    this.scope.addEventListener('change', () =>
      model.setScope(this.scope.value as RunScope)
    );

    this.experiment = this._experimentInput(doc);
    this.search = this._searchInput(doc);

    this.status = select(
      doc,
      ExpClass.statusFilter,
      [
        { value: '', label: trans.__('Any status') },
        ...STATUS_OPTIONS.map(s => ({ value: s, label: s.toLowerCase() }))
      ],
      state.filters.status,
      trans.__('Status')
    );
    this.status.addEventListener('change', () =>
      model.setStatusFilter(this.status.value as RunStatus | '')
    );

    this.user = new UserFilterView(doc, {
      trans,
      onChange: value => model.setUserFilter(value)
    });

    this.sort = el(doc, 'select', `jp-mod-styled ${ExpClass.sort}`);
    this.sort.setAttribute('aria-label', trans.__('Sort by'));
    this.sort.title = trans.__('Sort by');
    this.sort.addEventListener('change', () =>
      model.setSortField(this.sort.value)
    );
  }

  /** Whose runs are listed: this notebook's, an experiment's, all. */
  readonly scope: HTMLSelectElement;
  /** The experiment of scope `experiment` (hidden in the other scopes). */
  readonly experiment: HTMLInputElement;
  /** The filter box's text: words, key=value or MLflow syntax (the server translates it). */
  readonly search: HTMLInputElement;
  readonly status: HTMLSelectElement;
  /** Whose runs on a shared store. */
  readonly user: UserFilterView;
  /** The sort field: the attributes, then the metrics of the rows. */
  readonly sort: HTMLSelectElement;

  /** The sort direction now. */
  get direction(): SortDirection {
    return parseSort(this._model.state.sort).direction;
  }

  /** Sort the other way. */
  toggleDirection(): void {
    this._model.setSortDirection(this.direction === 'ASC' ? 'DESC' : 'ASC');
  }

  /** Show `state`; returns whether the user filter is shown (see `renderUser`). */
  render(state: IRunsState, shared: boolean): boolean {
    const doc = this.scope.ownerDocument;
    const trans = this._trans;
    if (this.scope.value !== state.scope) {
      this.scope.value = state.scope;
    }
    this.experiment.hidden = state.scope !== 'experiment';
    this.experiment.placeholder = state.notebookPath
      ? trans.__('Experiment (default: %1)', state.notebookPath)
      : trans.__('Experiment name or id');
    if (doc.activeElement !== this.experiment) {
      this.experiment.value = state.experiment ?? '';
    }
    if (doc.activeElement !== this.search) {
      this.search.value = state.filters.search;
    }
    this.status.value = state.filters.status;
    const userShown = this.renderUser(state, shared);
    this._renderSort(state);
    return userShown;
  }

  /**
   * The user filter; returns whether it is shown: on a shared store (`shared`), or once a user
   * was picked.
   */
  renderUser(state: IRunsState, shared: boolean): boolean {
    return this.user.render(state, shared);
  }

  private _experimentInput(doc: Document): HTMLInputElement {
    const trans = this._trans;
    const input = el(doc, 'input', `jp-mod-styled ${ExpClass.experiment}`);
    input.type = 'text';
    input.setAttribute('aria-label', trans.__('Experiment name or id'));
    input.title = trans.__(
      'Experiment name or id (Enter applies); empty: the experiment of the notebook in focus'
    );
    input.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        this._model.setExperiment(input.value);
      }
    });
    input.addEventListener('change', () =>
      this._model.setExperiment(input.value)
    );
    return input;
  }

  private _searchInput(doc: Document): HTMLInputElement {
    const trans = this._trans;
    const input = el(doc, 'input', `jp-mod-styled ${ExpClass.search}`);
    input.type = 'search';
    input.placeholder = trans.__('Filter: words, lr=0.1, metrics.loss < 0.5');
    input.title = trans.__(
      'Words match run names, params and tags; lr=0.1 compares a param or metric; MLflow filter syntax works too (Enter applies)'
    );
    input.setAttribute('aria-label', trans.__('Filter runs'));
    input.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        this._model.setSearch(input.value);
      } else if (event.key === 'Escape' && input.value) {
        input.value = '';
        this._model.setSearch('');
      }
    });
    // The clear button of a search input fires "search" with an empty value.
    input.addEventListener('search', () => {
      if (!input.value) {
        this._model.setSearch('');
      }
    });
    return input;
  }

  /** The sort field's options (attributes, then the metrics of the rows), rebuilt as they change. */
  private _renderSort(state: IRunsState): void {
    const doc = this.sort.ownerDocument;
    const trans = this._trans;
    const metrics = sortableMetrics(state.runs, state.sort);
    const key = JSON.stringify(metrics);
    if (key !== this._sortKey) {
      this._sortKey = key;
      const options: HTMLElement[] = SORT_FIELDS.map(f => {
        const option = el(doc, 'option', '', trans.__(f.label));
        option.value = f.value;
        return option;
      });
      if (metrics.length > 0) {
        const group = el(doc, 'optgroup');
        group.label = trans.__('Metric');
        for (const metric of metrics) {
          const option = el(doc, 'option', '', metric);
          option.value = `metrics.${metric}`;
          group.appendChild(option);
        }
        options.push(group);
      }
      this.sort.replaceChildren(...options);
    }
    this.sort.value = parseSort(state.sort).field;
  }

  private _model: FilterBar.IModel;
  private _trans: Trans;
  private _sortKey = '';
}

export namespace FilterBar {
  /** What the controls read and set of the runs model. */
  export interface IModel {
    readonly state: IRunsState;
    setScope(scope: RunScope): void;
    setExperiment(experiment: string | null): void;
    setSearch(search: string): void;
    setStatusFilter(status: RunStatus | ''): void;
    setUserFilter(user: string): void;
    setSortField(field: string): void;
    setSortDirection(direction: SortDirection): void;
  }

  export interface IOptions {
    model: IModel;
    trans?: Trans;
  }
}
