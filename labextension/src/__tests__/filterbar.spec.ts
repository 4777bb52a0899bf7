/**
 * @jest-environment jsdom
 */
import { NO_FILTERS } from '../runfilters';
import type { IRunsState } from '../runsmodel';
import { FilterBar } from '../widgets/filterbar';
import { bracketed, makeRun, makeRunsState } from './fixtures';

function runsState(overrides: Partial<IRunsState> = {}): IRunsState {
  return makeRunsState({
    scope: 'notebook',
    notebookPath: 'train.ipynb',
    ...overrides
  });
}

/** A FilterBar over a fake model whose setters are mocks; its controls in the document. */
function mount(state: IRunsState = runsState()) {
  const model = {
    state,
    setScope: jest.fn(),
    setExperiment: jest.fn(),
    setSearch: jest.fn(),
    setStatusFilter: jest.fn(),
    setUserFilter: jest.fn(),
    setSortField: jest.fn(),
    setSortDirection: jest.fn()
  };
  const bar = new FilterBar(document, { model, trans: bracketed });
  document.body.replaceChildren(
    bar.scope,
    bar.experiment,
    bar.search,
    bar.status,
    bar.user.select,
    bar.sort
  );
  const key = (node: HTMLElement, name: string) =>
    node.dispatchEvent(new KeyboardEvent('keydown', { key: name }));
  const change = (
    node: HTMLSelectElement | HTMLInputElement,
    value: string
  ) => {
    node.value = value;
    node.dispatchEvent(new Event('change'));
  };
  return { bar, model, key, change };
}

describe('FilterBar', () => {
  it('applies each control to the model', () => {
    const { bar, model, key, change } = mount();
    bar.render(model.state, false);
    change(bar.scope, 'experiment');
    expect(model.setScope).toHaveBeenCalledWith('experiment');
    bar.experiment.value = 'exp-1';
    key(bar.experiment, 'Enter');
    expect(model.setExperiment).toHaveBeenCalledWith('exp-1');
    change(bar.status, 'FAILED');
    expect(model.setStatusFilter).toHaveBeenCalledWith('FAILED');
    change(bar.sort, 'run_name');
    expect(model.setSortField).toHaveBeenCalledWith('run_name');
    change(bar.user.select, 'all');
    expect(model.setUserFilter).toHaveBeenCalledWith('all');
  });

  it('applies the filter string on Enter and clears it on Escape', () => {
    const { bar, model, key } = mount();
    bar.search.value = 'metrics.loss < 1';
    key(bar.search, 'x');
    expect(model.setSearch).not.toHaveBeenCalled();
    key(bar.search, 'Enter');
    expect(model.setSearch).toHaveBeenLastCalledWith('metrics.loss < 1');
    key(bar.search, 'Escape');
    expect(bar.search.value).toBe('');
    expect(model.setSearch).toHaveBeenLastCalledWith('');
    key(bar.search, 'Escape'); // already empty: nothing to clear
    expect(model.setSearch).toHaveBeenCalledTimes(2);
  });

  it('shows the state, but not over what is being typed', () => {
    const { bar } = mount();
    const state = runsState({
      scope: 'experiment',
      filters: { ...NO_FILTERS, search: 'params.lr = "0.1"', status: 'RUNNING' }
    });
    bar.render(state, false);
    expect(bar.scope.value).toBe('experiment');
    expect(bar.experiment.hidden).toBe(false);
    expect(bar.experiment.placeholder).toBe(
      '[Experiment (default: train.ipynb)]'
    );
    expect(bar.search.value).toBe('params.lr = "0.1"');
    expect(bar.status.value).toBe('RUNNING');
    bar.search.focus();
    bar.search.value = 'metrics.acc >';
    bar.render({ ...state, filters: NO_FILTERS }, false);
    expect(bar.search.value).toBe('metrics.acc >');
    expect(bar.status.value).toBe('');
    bar.render(runsState({ notebookPath: null }), false);
    expect(bar.experiment.hidden).toBe(true);
    expect(bar.experiment.placeholder).toBe('[Experiment name or id]');
  });

  it('offers the attributes, then the metrics of the rows, to sort by', () => {
    const { bar } = mount();
    const runs = [makeRun({ metrics: { 'system/cpu': 1, loss: 0.5 } })];
    bar.render(runsState({ runs, sort: 'metrics.loss ASC' }), false);
    const labels = [...bar.sort.options].map(o => o.textContent);
    expect(labels).toEqual([
      '[Start time]',
      '[End time]',
      '[Name]',
      '[Status]',
      'loss',
      'system/cpu'
    ]);
    expect(bar.sort.querySelector('optgroup')?.label).toBe('[Metric]');
    expect(bar.sort.value).toBe('metrics.loss');
    // The same metrics again: the options are kept, not rebuilt.
    const first = bar.sort.options[0];
    bar.render(runsState({ runs, sort: 'run_name ASC' }), false);
    expect(bar.sort.options[0]).toBe(first);
    expect(bar.sort.value).toBe('run_name');
  });

  it('turns the direction around', () => {
    const { bar, model } = mount(runsState({ sort: 'metrics.loss ASC' }));
    expect(bar.direction).toBe('ASC');
    bar.toggleDirection();
    expect(model.setSortDirection).toHaveBeenCalledWith('DESC');
  });

  it('shows the user filter on a shared store, or once a user was picked', () => {
    const { bar } = mount();
    expect(bar.render(runsState(), false)).toBe(false);
    expect(bar.render(runsState(), true)).toBe(true);
    const picked = runsState({ filters: { ...NO_FILTERS, user: 'bob' } });
    expect(bar.renderUser(picked, false)).toBe(true);
    expect(bar.user.select.value).toBe('bob');
  });
});
