/**
 * @jest-environment jsdom
 */
import { DetailModel, SPARKLINE_POINTS } from '../detailmodel';
import type { IRunDetail } from '../types';
import { renderRunDetail } from '../widgets/detailview';
import {
  ReproduceBody,
  isGpuKernel,
  kernelChoices
} from '../widgets/reproducebody';
import { bracketed, makeRun } from './fixtures';

/** What the detail calls back, each a mock. */
function detailCallbacks() {
  return {
    onBack: jest.fn(),
    onGotoCell: jest.fn(),
    onOpenSnapshot: jest.fn(),
    onCopyId: jest.fn(),
    onReproduce: jest.fn(),
    onOpenRun: jest.fn()
  };
}

const DETAIL: IRunDetail = {
  ...makeRun(),
  params: { lr: '0.1', seed: '7' },
  tags: { 'mlflow.runName': 'quickstart-3' },
  artifacts: [{ path: 'jupyter_exp/cell.py', size: 120 }],
  cell_source: '%%track\nfit()',
  inputs: [
    { path: 'data/train.csv', size: 2048, sha256: 'ab'.repeat(32) },
    { path: 'data/huge.bin', size: null, sha256: null }
  ],
  ui_url: 'http://mlflow:5000/#/experiments/1/runs/a1b2c3d4e5f6'
};

describe('DetailModel', () => {
  it('loads the run and its curves (100 points), keeps the run when curves fail', async () => {
    const fetchMetrics = jest.fn(async (runId: string, maxPoints: number) => ({
      run_id: runId,
      series: {
        'train/loss': {
          steps: [0, 1],
          values: [1, 0.5],
          total_points: 2,
          downsampled: false
        }
      }
    }));
    const model = new DetailModel({
      fetchRun: async () => DETAIL,
      fetchMetrics
    });
    await model.open('a1b2c3d4e5f6');
    expect(fetchMetrics).toHaveBeenCalledWith('a1b2c3d4e5f6', SPARKLINE_POINTS);
    expect(model.state.detail?.params).toEqual({ lr: '0.1', seed: '7' });
    expect(Object.keys(model.state.series)).toEqual(['train/loss']);

    fetchMetrics.mockRejectedValueOnce(new Error('Store unreachable'));
    await model.reload();
    expect(model.state.detail).not.toBeNull();
    expect(model.state.seriesError).toBe('Store unreachable');
    model.close();
    expect(model.state.runId).toBeNull();
    model.dispose();
  });
});

describe('renderRunDetail', () => {
  it('shows its strings through the translator', () => {
    const host = document.createElement('div');
    renderRunDetail(
      host,
      {
        runId: DETAIL.run_id,
        detail: DETAIL,
        series: {},
        loading: false,
        error: null,
        seriesError: 'timeout'
      },
      {
        now: Date.now(),
        canGotoCell: true,
        trans: bracketed,
        callbacks: detailCallbacks()
      }
    );
    const text = (selector: string) =>
      host.querySelector(selector)?.textContent;
    expect(text('.jp-exp-back')).toBe('[← Runs]');
    expect(text('.jp-exp-reproduce-button')).toBe('[Reproduce…]');
    expect(text('a.jp-exp-mlflow-link')).toBe('[Open in MLflow UI]');
    expect(text('.jp-exp-params-section h3')).toBe('[Parameters]');
    expect(text('.jp-exp-metrics .jp-exp-error')).toBe('[Curves: timeout]');
    expect(text('.jp-exp-inputs h3')).toBe('[Inputs (2)]');
    expect(host.querySelector('.jp-exp-kv th')?.textContent).toBe('[Run id]');
  });

  it('renders params, sparklines, buttons and the MLflow link', () => {
    const host = document.createElement('div');
    document.body.appendChild(host);
    const callbacks = detailCallbacks();
    renderRunDetail(
      host,
      {
        runId: DETAIL.run_id,
        detail: DETAIL,
        series: {
          'train/loss': {
            steps: [0, 1, 2],
            values: [1, 0.5, 0.12],
            total_points: 3,
            downsampled: false
          }
        },
        loading: false,
        error: null,
        seriesError: null
      },
      { now: Date.now(), canGotoCell: true, callbacks }
    );
    expect(host.dataset.runId).toBe(DETAIL.run_id);
    const params = [...host.querySelectorAll('.jp-exp-params tr')].map(
      r => r.textContent
    );
    expect(params).toEqual(['lr0.1', 'seed7']);
    expect(host.querySelectorAll('svg.jp-exp-sparkline')).toHaveLength(1);
    expect(host.querySelector('.jp-exp-cell-source')?.textContent).toBe(
      '%%track\nfit()'
    );
    const inputs = [...host.querySelectorAll('.jp-exp-inputs li')];
    expect(inputs.map(i => i.querySelector('code')?.textContent)).toEqual([
      'data/train.csv',
      'data/huge.bin'
    ]);
    expect(inputs[0].textContent).toContain('sha256 abababababab');
    expect((inputs[1] as HTMLElement).title).toContain('not hashed');
    expect(
      host.querySelector<HTMLAnchorElement>('a.jp-exp-mlflow-link')?.href
    ).toBe(`${DETAIL.ui_url}?workflowType=machine_learning`);

    (host.querySelector('.jp-exp-goto-cell') as HTMLButtonElement).click();
    expect(callbacks.onGotoCell).toHaveBeenCalledWith(DETAIL);
    (host.querySelector('.jp-exp-open-snapshot') as HTMLButtonElement).click();
    expect(callbacks.onOpenSnapshot).toHaveBeenCalledWith(DETAIL);
    (host.querySelector('.jp-exp-copy-id') as HTMLButtonElement).click();
    expect(callbacks.onCopyId).toHaveBeenCalledWith(DETAIL.run_id);
    (
      host.querySelector('.jp-exp-reproduce-button') as HTMLButtonElement
    ).click();
    expect(callbacks.onReproduce).toHaveBeenCalledWith(DETAIL.run_id);

    renderRunDetail(
      host,
      {
        ...{
          runId: null,
          detail: null,
          series: {},
          loading: false,
          error: null,
          seriesError: null
        }
      },
      { now: Date.now(), canGotoCell: true, callbacks }
    );
    expect(host.hidden).toBe(true);
    expect(host.childElementCount).toBe(0);
    host.remove();
  });
});

describe('ReproduceBody', () => {
  const kernels = kernelChoices({
    python3: { name: 'python3', display_name: 'Python 3' },
    torch: { name: 'torch', display_name: 'PyTorch (CUDA 12)' }
  });

  it('lists kernels by display name, marks GPU ones, preselects the default', () => {
    expect(kernels.map(k => k.name)).toEqual(['python3', 'torch']);
    expect(isGpuKernel(kernels[0])).toBe(false);
    expect(isGpuKernel(kernels[1])).toBe(true);
    const body = new ReproduceBody({
      runId: 'r1',
      kernels,
      defaultKernel: 'torch',
      runKernel: 'python3'
    });
    const select = body.node.querySelector(
      'select.jp-exp-kernel-select'
    ) as HTMLSelectElement;
    expect(select.value).toBe('torch');
    expect([...select.options].map(o => o.textContent)).toEqual([
      "The run's own kernel (python3)",
      'Python 3',
      'PyTorch (CUDA 12)  [GPU]'
    ]);
    body.dispose();
  });

  it('returns the job request, or null with an inline error on bad overrides', () => {
    const body = new ReproduceBody({ runId: 'r1', kernels, defaultKernel: '' });
    const input = body.node.querySelector(
      'input.jp-exp-overrides-input'
    ) as HTMLInputElement;
    input.value = 'lr=0.05, epochs=3';
    (
      body.node.querySelector('input.jp-exp-deterministic') as HTMLInputElement
    ).checked = true;
    expect(body.getValue()).toEqual({
      run_id: 'r1',
      kernel: null,
      overrides: { lr: '0.05', epochs: '3' },
      deterministic: true,
      checkout: false,
      tz: null
    });
    input.value = 'lr';
    input.dispatchEvent(new Event('input'));
    const error = body.node.querySelector(
      '.jp-exp-overrides-error'
    ) as HTMLElement;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe('"lr" is not name=value');
    expect(body.getValue()).toBeNull();
    body.dispose();
  });
});
