/**
 * @jest-environment jsdom
 */
import { PolledModel, StateModel } from '../statemodel';
import { waitFor } from './fixtures';

interface IState {
  readonly value: string | null;
  readonly items: readonly { id: string; n?: number }[];
}

/** A model that loads `value` with an injected request, as the real ones do. */
class ValueModel extends StateModel<IState> {
  constructor(private _fetch: (query: string) => Promise<string>) {
    super({ value: null, items: [] });
  }

  set(state: IState): boolean {
    return this.setState(state);
  }

  /** Load for `query`; an answer that comes after a newer `load` is dropped. */
  async load(query: string): Promise<void> {
    const generation = this.invalidate();
    const value = await this._fetch(query);
    if (this.isCurrent(generation)) {
      this.patch({ value });
    }
  }
}

class CountModel extends PolledModel<{ count: number }> {
  constructor(interval: number) {
    super({ count: 0 }, { interval, name: 'test:count' });
  }

  loads = 0;

  get pollObject(): unknown {
    return this.poll;
  }

  get frequencyInterval(): number {
    return this.poll.frequency.interval;
  }

  protected async load(): Promise<void> {
    this.loads++;
    this.patch({ count: this.loads });
  }
}

describe('StateModel', () => {
  it('does not emit for a deep-equal state, and emits for a changed one', () => {
    const model = new ValueModel(async q => q);
    const changed = jest.fn();
    model.changed.connect(changed);
    expect(model.set({ value: null, items: [] })).toBe(false);
    expect(model.set({ value: 'a', items: [{ id: 'x', n: 1 }] })).toBe(true);
    // A new object with the same content: no signal.
    expect(model.set({ value: 'a', items: [{ id: 'x', n: 1 }] })).toBe(false);
    expect(changed).toHaveBeenCalledTimes(1);
    model.set({ value: 'a', items: [{ id: 'x', n: 2 }] });
    expect(changed).toHaveBeenCalledTimes(2);
    expect(model.state.items[0].n).toBe(2);
    // JSONExt.deepEqual: a key holding `undefined` is an absent key; order in a list counts.
    expect(model.set({ value: 'a', items: [{ id: 'x', n: 2 }] })).toBe(false);
    expect(
      model.set({ value: 'a', items: [{ id: 'x', n: 2 }, { id: 'y' }] })
    ).toBe(true);
    expect(
      model.set({
        value: 'a',
        items: [
          { id: 'x', n: 2 },
          { id: 'y', n: undefined }
        ]
      })
    ).toBe(false);
    expect(
      model.set({ value: 'a', items: [{ id: 'y' }, { id: 'x', n: 2 }] })
    ).toBe(true);
    expect(changed).toHaveBeenCalledTimes(4);
    model.dispose();
  });

  it('drops the answer of a request made before a newer one', async () => {
    const pending = new Map<string, (value: string) => void>();
    const model = new ValueModel(
      query => new Promise<string>(resolve => pending.set(query, resolve))
    );
    const old = model.load('old');
    const fresh = model.load('new');
    pending.get('new')?.('new answer');
    await fresh;
    pending.get('old')?.('old answer');
    await old;
    expect(model.state.value).toBe('new answer');
    model.dispose();
  });

  it('applies nothing once disposed', async () => {
    let resolve!: (value: string) => void;
    const model = new ValueModel(() => new Promise(r => (resolve = r)));
    const changed = jest.fn();
    model.changed.connect(changed);
    const load = model.load('q');
    model.dispose();
    resolve('late');
    await load;
    expect(model.state.value).toBeNull();
    expect(changed).not.toHaveBeenCalled();
    expect(model.isDisposed).toBe(true);
  });
});

describe('PolledModel', () => {
  it('keeps one poll and changes its frequency in place', async () => {
    const model = new CountModel(0);
    const poll = model.pollObject;
    await model.refresh();
    expect(model.loads).toBe(1);
    expect(model.isPolling).toBe(false);

    model.startPolling();
    expect(model.isPolling).toBe(false); // interval 0: never on its own
    model.setPollInterval(15);
    expect(model.isPolling).toBe(true);
    expect(model.frequencyInterval).toBe(15);
    await waitFor(() => model.loads >= 4);
    model.setPollInterval(25);
    expect(model.frequencyInterval).toBe(25);
    const loads = model.loads;
    await waitFor(() => model.loads >= loads + 2);
    model.stopPolling();
    expect(model.isPolling).toBe(false);
    expect(model.pollObject).toBe(poll);
    model.dispose();
  });

  it('shares one load between concurrent refreshes and resolves after it', async () => {
    const model = new CountModel(0);
    const [a, b] = await Promise.all([model.refresh(), model.refresh()]);
    expect(model.loads).toBe(1);
    expect(a.count).toBe(1);
    expect(b.count).toBe(1);
    model.dispose();
  });
});
