/**
 * @jest-environment jsdom
 */
import type { IDetailState } from '../detailmodel';
import type { IRunDetail } from '../types';
import { renderRunDetail } from '../widgets/detailview';
import { makeRun } from './fixtures';

const FIGURE = 'jupyter_exp/figures/figure-1.png';

function render(run: IRunDetail, extra: Record<string, unknown>) {
  const host = document.createElement('div');
  document.body.appendChild(host);
  const state = {
    runId: run.run_id,
    detail: run,
    series: {},
    loading: false,
    error: null,
    seriesError: null
  } as unknown as IDetailState;
  renderRunDetail(host, state, {
    now: Date.now(),
    canGotoCell: false,
    callbacks: {
      onBack: jest.fn(),
      onGotoCell: jest.fn(),
      onOpenSnapshot: jest.fn(),
      onCopyId: jest.fn(),
      onReproduce: jest.fn(),
      onOpenRun: jest.fn(),
      ...extra
    }
  });
  return host;
}

function detail(overrides: Partial<IRunDetail> = {}): IRunDetail {
  return {
    ...makeRun(),
    params: {},
    tags: {},
    artifacts: [
      { path: 'results/summary.json', size: 20 },
      { path: FIGURE, size: 100 }
    ],
    cell_source: null,
    ui_url: null,
    ...overrides
  };
}

describe('run detail: management hooks', () => {
  it('opens an artifact, the charts, and restores a deleted run', () => {
    const onOpenArtifact = jest.fn();
    const onOpenCharts = jest.fn();
    const onRestore = jest.fn();
    const run = detail({ lifecycle: 'deleted' });
    const host = render(run, { onOpenArtifact, onOpenCharts, onRestore });
    (
      host.querySelector(
        '.jp-exp-artifact-link[data-path="results/summary.json"]'
      ) as HTMLElement
    ).click();
    expect(onOpenArtifact).toHaveBeenCalledWith(
      run.run_id,
      'results/summary.json'
    );
    (host.querySelector('.jp-exp-open-charts') as HTMLElement).click();
    expect(onOpenCharts).toHaveBeenCalledWith(run.run_id);
    (
      host.querySelector(
        '.jp-exp-deleted-banner .jp-exp-restore'
      ) as HTMLElement
    ).click();
    expect(onRestore).toHaveBeenCalledWith(run.run_id);
  });

  it("shows a diverged reproduction's figures beside the original's", async () => {
    const loadImage = jest.fn(
      async (runId: string, path: string) =>
        `data:image/png;base64,${runId}${path.length}`
    );
    const run = detail({ reproduced_from: 'orig123', verdict: 'diverged' });
    const host = render(run, { loadImage });
    const pair = host.querySelector(
      `.jp-exp-figure-pair[data-path="${FIGURE}"]`
    );
    expect(pair).not.toBeNull();
    await Promise.resolve();
    await Promise.resolve();
    const sources = [...(pair as HTMLElement).querySelectorAll('img')].map(
      i => i.src
    );
    expect(sources).toEqual([
      `data:image/png;base64,orig123${FIGURE.length}`,
      `data:image/png;base64,${run.run_id}${FIGURE.length}`
    ]);
    expect(loadImage).toHaveBeenCalledTimes(2);
    // an exact reproduction shows none
    const exact = render(
      detail({ reproduced_from: 'orig123', verdict: 'exact' }),
      { loadImage }
    );
    expect(exact.querySelector('.jp-exp-figure-pair')).toBeNull();
  });
});
