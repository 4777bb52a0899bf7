/**
 * @jest-environment jsdom
 */
import type { IStoreState } from '../model';
import { renderStoreLine } from '../widgets/storeview';

const INFO = {
  tracking_uri: 'sqlite:////abs/path/mlflow.db',
  artifact_root: '/abs/path/mlartifacts',
  root: '/abs/path',
  version: '0.1.0'
};

function render(state: IStoreState): HTMLElement {
  const host = document.createElement('div');
  renderStoreLine(host, state);
  return host;
}

describe('renderStoreLine', () => {
  it('shows the store label in one line, the details in its tooltip', () => {
    const host = render({
      status: 'ready',
      info: INFO,
      label: 'mlflow.db (SQLite)',
      error: null
    });
    expect(host.dataset.status).toBe('ready');
    const line = host.querySelector<HTMLElement>('.jp-exp-store-line');
    expect(line?.textContent).toBe('Store: mlflow.db (SQLite)');
    expect(line?.title.split('\n')).toEqual([
      `Tracking URI: ${INFO.tracking_uri}`,
      'Root: /abs/path',
      'Artifacts: /abs/path/mlartifacts',
      'jupyter-exp 0.1.0'
    ]);
    expect(host.querySelector('.jp-exp-error')).toBeNull();
  });

  it('shows a loading line, then an error line that keeps the last info', () => {
    const host = render({
      status: 'loading',
      info: null,
      label: '',
      error: null
    });
    expect(host.querySelector('.jp-exp-status')?.textContent).toMatch(
      /Loading/
    );
    renderStoreLine(host, {
      status: 'error',
      info: INFO,
      label: 'mlflow.db (SQLite)',
      error: 'Forbidden'
    });
    const error = host.querySelector('.jp-exp-error');
    expect(error?.textContent).toBe('Store: Forbidden');
    expect(error?.getAttribute('role')).toBe('alert');
    expect(host.querySelector('.jp-exp-status')).toBeNull();
    expect(host.querySelector('.jp-exp-store-label')?.textContent).toBe(
      'mlflow.db (SQLite)'
    );
  });

  it('never shows a database password, not even in the tooltip', () => {
    const host = render({
      status: 'ready',
      info: { ...INFO, tracking_uri: 'postgresql://u:s3cret@db:5432/mlflow' },
      label: '',
      error: null
    });
    const line = host.querySelector<HTMLElement>('.jp-exp-store-line');
    expect(host.innerHTML).not.toContain('s3cret');
    expect(line?.textContent).toBe('Store: postgresql://u:***@db:5432/mlflow');
    expect(line?.title).toContain('postgresql://u:***@db:5432/mlflow');
  });
});
