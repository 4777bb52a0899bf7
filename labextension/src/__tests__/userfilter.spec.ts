/**
 * @jest-environment jsdom
 */
import { NO_FILTERS } from '../runfilters';
import type { IRunsState } from '../runsmodel';
import { OTHER_USER, UserFilterView } from '../widgets/userfilter';
import { makeRun } from './fixtures';

function state(user: string, users: string[] = []): IRunsState {
  return {
    scope: 'all',
    notebookPath: null,
    experiment: null,
    filters: { ...NO_FILTERS, user },
    sort: 'start_time DESC',
    runs: users.map((name, i) => makeRun({ run_id: `r${i}`, user: name })),
    nextPageToken: null,
    selection: [],
    status: 'ready',
    error: null,
    emptyReason: null,
    loadingMore: false
  };
}

function mount() {
  const onChange = jest.fn();
  const view = new UserFilterView(document, { onChange });
  document.body.append(view.select, view.input, view.list);
  const pick = (value: string) => {
    view.select.value = value;
    view.select.dispatchEvent(new Event('change'));
  };
  const values = () => [...view.select.options].map(o => o.value);
  return { view, onChange, pick, values };
}

describe('UserFilterView', () => {
  it('is shown on a shared store with "mine" picked, hidden on a local one', () => {
    const { view } = mount();
    expect(view.render(state(''), false)).toBe(false);
    expect(view.render(state(''), true)).toBe(true);
    expect(view.select.value).toBe('mine');
    // Once a user was picked it stays visible, so the list can go back.
    expect(view.render(state('all'), false)).toBe(true);
    expect(view.select.value).toBe('all');
  });

  it('offers mine, all, the users seen in the listings and another name', () => {
    const { view, onChange, pick, values } = mount();
    view.render(state('all', ['bob', 'ann', 'bob']), true);
    expect(values()).toEqual(['mine', 'all', 'ann', 'bob', OTHER_USER]);
    expect([...view.list.options].map(o => o.value)).toEqual(['ann', 'bob']);
    pick('bob');
    expect(onChange).toHaveBeenLastCalledWith('bob');
    // A listing of bob's runs only keeps ann among the choices.
    view.render(state('bob', ['bob']), true);
    expect(view.select.value).toBe('bob');
    expect(values()).toContain('ann');
    pick('mine');
    expect(onChange).toHaveBeenLastCalledWith('mine');
  });

  it('takes a typed user name on Enter, and Escape goes back', () => {
    const { view, onChange, pick, values } = mount();
    view.render(state(''), true);
    expect(view.input.hidden).toBe(true);
    pick(OTHER_USER);
    expect(onChange).not.toHaveBeenCalled();
    expect(view.input.hidden).toBe(false);
    expect(document.activeElement).toBe(view.input);
    view.input.value = ' carol ';
    view.input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(onChange).toHaveBeenLastCalledWith('carol');
    expect(view.input.hidden).toBe(true);
    view.render(state('carol'), true);
    expect(values()).toContain('carol');
    expect(view.select.value).toBe('carol');

    pick(OTHER_USER);
    view.input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(view.input.hidden).toBe(true);
    expect(view.select.value).toBe('carol');
    expect(onChange).toHaveBeenCalledTimes(1);
  });
});
