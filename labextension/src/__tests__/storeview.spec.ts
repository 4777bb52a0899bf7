/**
 * @jest-environment jsdom
 */
import type { IStoreState } from '../model';
import { renderStoreView } from '../widgets/storeview';

const INFO = {
  tracking_uri: 'sqlite:////abs/path/mlflow.db',
  artifact_root: '/abs/path/mlartifacts',
  root: '/abs/path',
  version: '0.1.0'
};

function render(state: IStoreState): HTMLElement {
  const host = document.createElement('div');
  renderStoreView(host, state);
  return host;
}

describe('renderStoreView', () => {
  it('shows the tracking URI, label and root under stable class names', () => {
    const host = render({
      status: 'ready',
      info: INFO,
      label: 'mlflow.db (SQLite)',
      error: null
    });
    expect(host.dataset.status).toBe('ready');
    expect(host.querySelector('.jp-exp-title')?.textContent).toBe('Runs');
    expect(host.querySelector('.jp-exp-store-uri')?.textContent).toBe(
      INFO.tracking_uri
    );
    expect(host.querySelector('.jp-exp-store-line')?.textContent).toBe(
      `Tracking store: ${INFO.tracking_uri}`
    );
    expect(host.querySelector('.jp-exp-store-label')?.textContent).toBe(
      'mlflow.db (SQLite)'
    );
    expect(host.querySelector('.jp-exp-root')?.textContent).toBe('/abs/path');
    expect(host.querySelector('.jp-exp-artifact-root')?.textContent).toBe(
      INFO.artifact_root
    );
    expect(host.querySelector('.jp-exp-error')).toBeNull();
  });

  it('shows a loading line, then an error line', () => {
    const host = render({
      status: 'loading',
      info: null,
      label: '',
      error: null
    });
    expect(host.querySelector('.jp-exp-status')?.textContent).toMatch(
      /Loading/
    );

    renderStoreView(host, {
      status: 'error',
      info: null,
      label: '',
      error: 'Forbidden'
    });
    const error = host.querySelector('.jp-exp-error');
    expect(error?.textContent).toBe('Error: Forbidden');
    expect(error?.getAttribute('role')).toBe('alert');
    expect(host.querySelector('.jp-exp-status')).toBeNull();
    expect(host.querySelectorAll('.jp-exp-title')).toHaveLength(1);
  });

  it('never shows a database password', () => {
    const host = render({
      status: 'ready',
      info: { ...INFO, tracking_uri: 'postgresql://u:s3cret@db:5432/mlflow' },
      label: 'db:5432/mlflow (PostgreSQL)',
      error: null
    });
    expect(host.textContent).not.toContain('s3cret');
    expect(host.querySelector('.jp-exp-store-uri')?.textContent).toBe(
      'postgresql://u:***@db:5432/mlflow'
    );
  });
});
