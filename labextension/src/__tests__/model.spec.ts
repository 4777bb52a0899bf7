import { IStoreState, StoreModel } from '../model';
import { waitFor } from './fixtures';

const STORE = {
  tracking_uri: 'sqlite:////abs/path/mlflow.db',
  artifact_root: '/abs/path/mlartifacts',
  root: '/abs/path',
  version: '0.1.0',
  shared: false
};

function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('StoreModel', () => {
  let model: StoreModel;

  afterEach(() => {
    model?.dispose();
  });

  it('parses the store answer and emits the new state', async () => {
    model = new StoreModel({ fetchStore: async () => ({ ...STORE }) });
    const seen: IStoreState[] = [];
    model.changed.connect((_, state) => seen.push(state));

    const state = await model.refresh();

    expect(state.status).toBe('ready');
    expect(model.info).toEqual(STORE);
    expect(model.state.label).toBe('mlflow.db (SQLite)');
    expect(model.error).toBeNull();
    expect(seen.map(s => s.status)).toEqual(['loading', 'ready']);
  });

  it('does not emit when a refresh brings nothing new', async () => {
    model = new StoreModel({ fetchStore: async () => ({ ...STORE }) });
    await model.refresh();
    const changed = jest.fn();
    model.changed.connect(changed);
    await model.refresh();
    expect(changed).not.toHaveBeenCalled();
  });

  it('records a failed request and keeps the last info', async () => {
    let fail = false;
    model = new StoreModel({
      fetchStore: async () => {
        if (fail) {
          throw new Error('Store unreachable');
        }
        return STORE;
      }
    });
    await model.refresh();
    fail = true;
    const state = await model.refresh();
    expect(state.status).toBe('error');
    expect(state.error).toBe('Store unreachable');
    expect(state.info).toEqual(STORE);

    fail = false;
    await model.refresh();
    expect(model.status).toBe('ready');
    expect(model.error).toBeNull();
  });

  it('reports a malformed answer as an error', async () => {
    model = new StoreModel({ fetchStore: async () => ({ root: '/x' }) });
    const state = await model.refresh();
    expect(state.status).toBe('error');
    expect(state.info).toBeNull();
    expect(state.error).toMatch(/tracking_uri/);
  });

  it('shares one request between concurrent refreshes', async () => {
    const answer = deferred<unknown>();
    const fetchStore = jest.fn(() => answer.promise);
    model = new StoreModel({ fetchStore });
    const first = model.refresh();
    const second = model.refresh();
    answer.resolve(STORE);
    await Promise.all([first, second]);
    expect(fetchStore).toHaveBeenCalledTimes(1);
  });

  it('changes the frequency of its one poll in place and never polls at 0', async () => {
    const fetchStore = jest.fn(async () => STORE);
    model = new StoreModel({ fetchStore, pollInterval: 0 });
    model.startPolling();
    expect(model.isPolling).toBe(false);
    await model.refresh();
    expect(fetchStore).toHaveBeenCalledTimes(1);

    model.setPollInterval(20);
    expect(model.isPolling).toBe(true);
    await waitFor(() => fetchStore.mock.calls.length >= 3);
    model.setPollInterval(0);
    expect(model.isPolling).toBe(false);
    const calls = fetchStore.mock.calls.length;
    // A refresh still loads once, and does not start polling again.
    await model.refresh();
    expect(fetchStore.mock.calls.length).toBe(calls + 1);
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(fetchStore.mock.calls.length).toBe(calls + 1);
  });

  it('stops emitting once disposed', async () => {
    model = new StoreModel({ fetchStore: async () => STORE });
    const changed = jest.fn();
    model.changed.connect(changed);
    model.dispose();
    await model.refresh();
    expect(changed).not.toHaveBeenCalled();
    expect(model.isDisposed).toBe(true);
  });
});
