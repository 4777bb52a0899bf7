/**
 * @jest-environment jsdom
 */
import {
  RunListView,
  renderRunList,
  renderRunRow,
  updateLiveTimes
} from '../widgets/runlist';
import { renderJobs } from '../widgets/jobsview';
import { makeJob, makeRun, makeRunsState } from './fixtures';

const NOW = 1_763_900_000_000 + 3 * 60_000;

function callbacks() {
  return { onOpen: jest.fn(), onToggle: jest.fn(), onLoadMore: jest.fn() };
}

const listState = makeRunsState;

describe('renderRunRow', () => {
  it('renders a row with stable classes, status, time, metrics, seed and commit', () => {
    const cb = callbacks();
    const row = renderRunRow(
      document,
      makeRun({
        verdict: 'close',
        metrics: { 'system/wall_time_s': 3.2, 'train/loss': 0.123456 }
      }),
      { selected: true, active: false, now: NOW, callbacks: cb }
    );
    expect(row.classList.contains('jp-exp-run')).toBe(true);
    expect(row.dataset.runId).toBe('a1b2c3d4e5f6');
    expect(row.dataset.status).toBe('FINISHED');
    expect(row.querySelector('.jp-exp-run-name')?.textContent).toBe(
      'quickstart-3'
    );
    const badge = row.querySelector<HTMLElement>('.jp-exp-run-status');
    expect(badge?.dataset.status).toBe('FINISHED');
    expect(
      row.querySelector<HTMLInputElement>('input.jp-exp-run-select')?.checked
    ).toBe(true);
    expect(row.querySelector('.jp-exp-run-time')?.textContent).toBe(
      '3 min ago'
    );
    expect(row.querySelector('.jp-exp-run-duration')?.textContent).toBe('12 s');
    expect(row.querySelector('.jp-exp-run-seed')?.textContent).toBe('seed 7');
    expect(row.querySelector('.jp-exp-run-commit')?.textContent).toBe(
      '0123abc*'
    );
    expect(
      row.querySelector<HTMLElement>('.jp-exp-verdict')?.dataset.verdict
    ).toBe('close');
    const metrics = [...row.querySelectorAll<HTMLElement>('.jp-exp-metric')];
    expect(metrics.map(m => m.dataset.metric)).toEqual([
      'train/loss',
      'system/wall_time_s'
    ]);
    // Name and value on one line of text, separated: "train/loss 0.1235", not "train/loss⁰·¹²³⁵".
    expect(metrics[0].textContent).toBe('train/loss 0.1235');
    expect(metrics[0].querySelector('.jp-exp-value')?.textContent).toBe(
      '0.1235'
    );
    expect(metrics[0].querySelector('sup, small')).toBeNull();
  });

  it('opens on click and toggles the selection without opening', () => {
    const cb = callbacks();
    const row = renderRunRow(document, makeRun(), {
      selected: false,
      active: false,
      now: NOW,
      callbacks: cb
    });
    document.body.appendChild(row);
    const box = row.querySelector<HTMLInputElement>(
      'input.jp-exp-run-select'
    ) as HTMLInputElement;
    box.click();
    expect(cb.onToggle).toHaveBeenCalledWith('a1b2c3d4e5f6', true);
    expect(cb.onOpen).not.toHaveBeenCalled();
    (row.querySelector('.jp-exp-run-name') as HTMLElement).click();
    expect(cb.onOpen).toHaveBeenCalledWith('a1b2c3d4e5f6');
    row.remove();
  });

  it('keeps the duration of a running run live', () => {
    const host = document.createElement('div');
    host.appendChild(
      renderRunRow(document, makeRun({ status: 'RUNNING', end_time: null }), {
        selected: false,
        active: false,
        now: NOW,
        callbacks: callbacks()
      })
    );
    expect(host.querySelector('.jp-exp-run-duration')?.textContent).toBe(
      '3 min 00 s'
    );
    updateLiveTimes(host, NOW + 65_000);
    expect(host.querySelector('.jp-exp-run-duration')?.textContent).toBe(
      '4 min 05 s'
    );
    expect(host.querySelector('.jp-exp-run-time')?.textContent).toBe(
      '4 min ago'
    );
  });
});

describe('renderRunList', () => {
  it('shows the empty state of a missing notebook', () => {
    const host = document.createElement('div');
    renderRunList(
      host,
      listState({ scope: 'notebook', emptyReason: 'no-notebook' }),
      {
        activeRunId: null,
        now: NOW,
        callbacks: callbacks()
      }
    );
    expect(host.querySelector('.jp-exp-empty')?.textContent).toMatch(
      /Open a notebook/
    );
    expect(host.querySelector('.jp-exp-error')).toBeNull();
  });

  it('lists rows, marks the active one, and offers load more', () => {
    const host = document.createElement('div');
    const cb = callbacks();
    renderRunList(
      host,
      listState({
        runs: [makeRun({ run_id: 'a' }), makeRun({ run_id: 'b' })],
        selection: ['b'],
        nextPageToken: 'next'
      }),
      { activeRunId: 'a', now: NOW, callbacks: cb }
    );
    const rows = [...host.querySelectorAll<HTMLElement>('.jp-exp-run')];
    expect(rows.map(r => r.dataset.runId)).toEqual(['a', 'b']);
    expect(rows[0].classList.contains('jp-mod-active')).toBe(true);
    expect(
      rows.map(
        r =>
          (r.querySelector('input.jp-exp-run-select') as HTMLInputElement)
            .checked
      )
    ).toEqual([false, true]);
    (host.querySelector('.jp-exp-load-more') as HTMLButtonElement).click();
    expect(cb.onLoadMore).toHaveBeenCalled();
  });
});

describe('RunListView', () => {
  function mount() {
    const host = document.createElement('div');
    document.body.appendChild(host);
    const cb = callbacks();
    const view = new RunListView(host, { callbacks: cb });
    return { host, cb, view };
  }

  const running = makeRun({
    run_id: 'live',
    status: 'RUNNING',
    end_time: null
  });

  it('reuses the row elements of runs still listed, and drops the others', () => {
    const { host, view } = mount();
    view.render(listState({ runs: [running, makeRun({ run_id: 'b' })] }), {
      activeRunId: null,
      now: NOW
    });
    const live = host.querySelector('[data-run-id="live"]');
    const name = live?.querySelector('.jp-exp-run-name');
    // The poll brings the same RUNNING run again (a new object): nothing is rebuilt.
    view.render(
      listState({ runs: [{ ...running }, makeRun({ run_id: 'b' })] }),
      { activeRunId: null, now: NOW + 2000 }
    );
    expect(host.querySelector('[data-run-id="live"]')).toBe(live);
    expect(live?.querySelector('.jp-exp-run-name')).toBe(name);
    // It finished: the same row shows the new status.
    view.render(
      listState({
        runs: [
          makeRun({ run_id: 'c' }),
          { ...running, status: 'FINISHED', end_time: NOW }
        ]
      }),
      { activeRunId: 'live', now: NOW + 4000 }
    );
    const rows = [...host.querySelectorAll<HTMLElement>('.jp-exp-run')];
    expect(rows.map(r => r.dataset.runId)).toEqual(['c', 'live']);
    expect(rows[1]).toBe(live);
    expect(rows[1].dataset.status).toBe('FINISHED');
    expect(rows[1].classList.contains('jp-mod-active')).toBe(true);
    expect(view.row('b')).toBeUndefined();
    host.remove();
  });

  it('keeps keyboard focus and ticks across an update', () => {
    const { host, cb, view } = mount();
    const runs = [running, makeRun({ run_id: 'b' })];
    view.render(listState({ runs }), { activeRunId: null, now: NOW });
    const row = host.querySelector<HTMLElement>('[data-run-id="b"]');
    const box = row?.querySelector<HTMLInputElement>('input.jp-exp-run-select');
    box?.click();
    expect(cb.onToggle).toHaveBeenCalledWith('b', true);
    box?.focus();
    expect(document.activeElement).toBe(box);
    // The model now has 'b' ticked; the live run changed meanwhile.
    view.render(
      listState({
        runs: [
          { ...running, metrics: { loss: 0.5 } },
          makeRun({ run_id: 'b' })
        ],
        selection: ['b']
      }),
      { activeRunId: null, now: NOW + 2000 }
    );
    expect(document.activeElement).toBe(box);
    expect(box?.checked).toBe(true);
    row?.focus();
    view.render(listState({ runs, selection: ['b'] }), {
      activeRunId: null,
      now: NOW + 4000
    });
    expect(document.activeElement).toBe(row);
    expect(host.querySelector<HTMLElement>('[data-run-id="b"]')).toBe(row);
    host.remove();
  });

  it("shows each run's user while the list holds other users' runs", () => {
    const { host, view } = mount();
    const runs = [makeRun({ run_id: 'a', user: 'ann' })];
    const userOf = () =>
      host.querySelector('[data-run-id="a"] .jp-exp-run-user')?.textContent;
    view.render(listState({ runs }), { activeRunId: null, now: NOW });
    expect(userOf()).toBeUndefined();
    const filters = { search: '', status: '' as const, user: 'all' };
    view.render(listState({ runs, filters }), { activeRunId: null, now: NOW });
    expect(userOf()).toBe('ann');
    view.render(listState({ runs, filters: { ...filters, user: 'ann' } }), {
      activeRunId: null,
      now: NOW
    });
    expect(userOf()).toBe('ann');
    view.render(listState({ runs, filters: { ...filters, user: 'mine' } }), {
      activeRunId: null,
      now: NOW
    });
    expect(userOf()).toBeUndefined();
    host.remove();
  });

  it('shows the loading and empty states and comes back to the rows', () => {
    const { host, view } = mount();
    view.render(listState({ status: 'loading' }), {
      activeRunId: null,
      now: NOW
    });
    expect(host.textContent).toBe('Loading runs…');
    view.render(listState({ filters: { search: 'x', status: '', user: '' } }), {
      activeRunId: null,
      now: NOW
    });
    expect(host.querySelector('.jp-exp-empty')?.textContent).toBe(
      'No run matches the filter.'
    );
    view.render(listState({ scope: 'notebook' }), {
      activeRunId: null,
      now: NOW
    });
    expect(host.textContent).toContain('%%track');
    expect(host.textContent).not.toContain('%%%');
    view.render(listState({ runs: [running] }), {
      activeRunId: null,
      now: NOW
    });
    expect(host.querySelector('.jp-exp-empty')).toBeNull();
    expect(host.querySelectorAll('.jp-exp-run')).toHaveLength(1);
    host.remove();
  });
});

describe('renderJobs', () => {
  it('shows progress and cancel while running, the verdict once finished', () => {
    const host = document.createElement('div');
    const cb = {
      onCancel: jest.fn(),
      onDismiss: jest.fn(),
      onOpenRun: jest.fn()
    };
    renderJobs(
      host,
      {
        jobs: [
          makeJob({
            progress: { done: 1, total: 3, current: '[2] model = fit()' }
          })
        ],
        error: null
      },
      cb
    );
    const job = host.querySelector<HTMLElement>('.jp-exp-job');
    expect(job?.dataset.state).toBe('running');
    expect(job?.dataset.jobId).toBe('job-1');
    const progress = host.querySelector(
      'progress.jp-exp-job-progress'
    ) as HTMLProgressElement;
    expect(progress.value).toBe(1);
    expect(progress.max).toBe(3);
    expect(host.textContent).toContain('1/3 cells');
    expect(host.textContent).toContain('Reproducing');
    expect(host.textContent).toContain('[2] model = fit()');
    (host.querySelector('.jp-exp-job-cancel') as HTMLButtonElement).click();
    expect(cb.onCancel).toHaveBeenCalledWith('job-1');

    renderJobs(
      host,
      {
        jobs: [
          makeJob({
            state: 'finished',
            verdict: 'diverged',
            reproduction_run_id: 'repro-run-1',
            summary: '2 of 3 values differ'
          })
        ],
        error: null
      },
      cb
    );
    expect(host.querySelector('.jp-exp-job-cancel')).toBeNull();
    expect(host.querySelector('.jp-exp-job-progress')).toBeNull();
    expect(
      host.querySelector<HTMLElement>('.jp-exp-verdict')?.dataset.verdict
    ).toBe('diverged');
    expect(host.textContent).toContain('2 of 3 values differ');
    expect(host.textContent).toContain('Reproduced');
    expect(host.textContent).not.toContain('Reproducing');
    (
      host.querySelector(
        'a.jp-exp-job-run[data-run-id="repro-run-1"]'
      ) as HTMLElement
    ).click();
    expect(cb.onOpenRun).toHaveBeenCalledWith('repro-run-1');
  });
});
