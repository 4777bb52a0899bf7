/**
 * @jest-environment jsdom
 */
import { DetailModel } from '../detailmodel';
import { groupMetrics, meanSdText } from '../formatgroup';
import type { IComparison, IRunDetail, IRunRelations } from '../types';
import { chartedMetrics } from '../widgets/charts/vegalite';
import {
  comparisonTitle,
  renderComparison
} from '../widgets/compare/comparison';
import { renderRunDetail } from '../widgets/detailview';
import { RunListView, nestRuns } from '../widgets/runlist';
import { COMPARISON, GROUPS, makeRun, makeRunsState } from './fixtures';

/** A `--seeds` parent as the store holds it: only `{metric}/{statistic}` metrics, no params. */
const PARENT = makeRun({
  run_id: 'parent',
  run_name: 'small',
  seed: null,
  start_time: 1000,
  metrics: {
    'eval/accuracy/mean': 0.75,
    'eval/accuracy/std': 0.003,
    'eval/accuracy/n': 3,
    'eval/accuracy/ci_low': 0.74,
    'eval/accuracy/ci_high': 0.76,
    'system/wall_time_s/mean': 1.5,
    'system/wall_time_s/std': 0.1,
    'system/wall_time_s/n': 3
  }
});
const CHILDREN = [0, 1, 2].map(i =>
  makeRun({
    run_id: `child${i}`,
    run_name: `small-${i}`,
    seed: String(i),
    start_time: 1001 + i,
    parent_run_id: 'parent',
    metrics: { 'eval/accuracy': 0.75 + i / 1000 }
  })
);
const OTHER = makeRun({ run_id: 'other', run_name: 'other', start_time: 900 });

function callbacks() {
  return { onOpen: jest.fn(), onToggle: jest.fn(), onLoadMore: jest.fn() };
}

function listOf(runs = [...CHILDREN].reverse().concat(PARENT, OTHER)) {
  const host = document.createElement('div');
  document.body.replaceChildren(host);
  const view = new RunListView(host, { callbacks: callbacks() });
  view.render(makeRunsState({ runs }), { activeRunId: null, now: 5000 });
  return { host, view };
}

function row(host: HTMLElement, runId: string): HTMLElement {
  return host.querySelector<HTMLElement>(`[data-run-id="${runId}"]`)!;
}

describe('seed groups in the run list', () => {
  it('nests children under their parent (oldest first), an orphan stays on top', () => {
    const orphan = makeRun({ run_id: 'orphan', parent_run_id: 'gone' });
    const nested = nestRuns([CHILDREN[2], PARENT, CHILDREN[0], orphan]);
    expect(nested.map(n => [n.run.run_id, n.parentId, n.childCount])).toEqual([
      ['parent', null, 2],
      ['child0', 'parent', 0],
      ['child2', 'parent', 0],
      ['orphan', null, 0]
    ]);
  });

  it('collapses a group by default; its toggle shows and hides the children', () => {
    const { host, view } = listOf();
    const ids = [...host.querySelectorAll<HTMLElement>('.jp-exp-run')].map(
      r => r.dataset.runId
    );
    expect(ids).toEqual(['parent', 'child0', 'child1', 'child2', 'other']);
    expect(view.visibleRows().map(r => r.dataset.runId)).toEqual([
      'parent',
      'other'
    ]);
    const toggle = row(host, 'parent').querySelector<HTMLButtonElement>(
      '.jp-exp-group-toggle'
    )!;
    expect(toggle.hidden).toBe(false);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(
      row(host, 'other').querySelector<HTMLElement>('.jp-exp-group-toggle')!
        .hidden
    ).toBe(true);
    toggle.click();
    expect(view.visibleRows()).toHaveLength(5);
    expect(row(host, 'child1').classList).toContain('jp-exp-run-child');
    toggle.click();
    expect(view.visibleRows()).toHaveLength(2);
  });

  it("shows a parent's metrics as mean ± sd (n), never the statistic keys", () => {
    const { host } = listOf();
    const parent = row(host, 'parent');
    const metrics = [...parent.querySelectorAll('.jp-exp-metric')].map(
      m => m.textContent
    );
    expect(metrics[0]).toBe(`eval/accuracy ${meanSdText(0.75, 0.003, 3)}`);
    expect(metrics[0]).toMatch(/± .*\(3\)$/);
    expect(parent.textContent).not.toMatch(/ci_|\/mean|\/std/);
    expect(groupMetrics(PARENT.metrics).map(g => g.metric)).toEqual([
      'eval/accuracy',
      'system/wall_time_s'
    ]);
  });

  it('moves between the rows shown with the arrow keys, opens and closes groups', () => {
    const { host, view } = listOf();
    const press = (target: HTMLElement, key: string) =>
      target.dispatchEvent(
        new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })
      );
    const parent = row(host, 'parent');
    parent.focus();
    press(parent, 'ArrowDown');
    expect(document.activeElement).toBe(row(host, 'other')); // children collapsed: skipped
    press(row(host, 'other'), 'ArrowUp');
    expect(document.activeElement).toBe(parent);
    press(parent, 'ArrowRight'); // opens the group
    expect(view.isExpanded('parent')).toBe(true);
    press(parent, 'ArrowDown');
    expect(document.activeElement).toBe(row(host, 'child0'));
    press(row(host, 'child0'), 'End');
    expect(document.activeElement).toBe(row(host, 'other'));
    press(row(host, 'other'), 'ArrowUp');
    expect(document.activeElement).toBe(row(host, 'child2'));
    press(row(host, 'child2'), 'ArrowLeft'); // from a child: to its parent
    expect(document.activeElement).toBe(parent);
    press(parent, 'ArrowLeft'); // closes the group
    expect(view.isExpanded('parent')).toBe(false);
  });

  it('keeps the facts of a row on two lines: time in the head, the rest in one line', () => {
    const { host } = listOf();
    const other = row(host, 'other');
    expect(
      other.querySelector('.jp-exp-run-head .jp-exp-run-time')
    ).not.toBeNull();
    const main = other.querySelector('.jp-exp-run-main')!;
    expect(main.children).toHaveLength(2);
    expect(
      other.querySelector('.jp-exp-run-meta .jp-exp-run-commit')
    ).not.toBeNull();
  });
});

const RELATIONS: IRunRelations = {
  run_id: 'parent',
  parent: null,
  children: CHILDREN.map(c => ({
    run_id: c.run_id,
    run_name: c.run_name,
    status: 'FINISHED',
    seed: c.seed,
    verdict: null
  })),
  shared_params: { lr: '0.05', hidden: '8' },
  varying_params: ['seed'],
  summaries: {
    'eval/accuracy': {
      mean: 0.75,
      std: 0.003,
      n: 3,
      ci_low: 0.74,
      ci_high: 0.76
    },
    'system/wall_time_s': {
      mean: 1.5,
      std: 0.1,
      n: 3,
      ci_low: 1.2,
      ci_high: 1.8
    }
  },
  reproduced_from: null,
  reproductions: [
    {
      run_id: 'repro',
      run_name: 'small',
      status: 'FINISHED',
      seed: null,
      verdict: 'exact'
    }
  ],
  snapshot_run_id: null
};

const PARENT_DETAIL: IRunDetail = {
  ...PARENT,
  params: {},
  tags: {},
  artifacts: [],
  cell_source: null,
  inputs: [],
  ui_url: null
};

function detailOf(relations: IRunRelations) {
  const host = document.createElement('div');
  const cbs = {
    onBack: jest.fn(),
    onGotoCell: jest.fn(),
    onOpenSnapshot: jest.fn(),
    onCopyId: jest.fn(),
    onReproduce: jest.fn(),
    onOpenRun: jest.fn()
  };
  renderRunDetail(
    host,
    {
      runId: 'parent',
      detail: PARENT_DETAIL,
      series: {},
      loading: false,
      error: null,
      seriesError: null,
      relations
    },
    { now: 5000, canGotoCell: true, callbacks: cbs }
  );
  return { host, cbs };
}

describe("a parent's detail", () => {
  it('shows the shared configuration, mean ± sd (n) per metric and the children as links', () => {
    const { host, cbs } = detailOf(RELATIONS);
    const group = host.querySelector<HTMLElement>('.jp-exp-group-section')!;
    expect(group).not.toBeNull();
    expect(host.textContent).not.toContain('No parameters');
    const shared = [...group.querySelectorAll('.jp-exp-shared-params tr')].map(
      r => r.textContent
    );
    expect(shared).toEqual(['hidden8', 'lr0.05']);
    expect(group.querySelector('.jp-exp-varying')?.textContent).toBe(
      'Varies: seed'
    );
    const metrics = [...group.querySelectorAll('.jp-exp-group-metrics tr')];
    expect(metrics).toHaveLength(2); // one row per metric, not one per statistic
    expect(metrics[0].textContent).toBe(
      `eval/accuracy${meanSdText(0.75, 0.003, 3)}`
    );
    const links = [
      ...group.querySelectorAll<HTMLAnchorElement>('.jp-exp-group-children a')
    ];
    expect(links.map(a => a.textContent)).toEqual([
      'small-0',
      'small-1',
      'small-2'
    ]);
    links[1].click();
    expect(cbs.onOpenRun).toHaveBeenCalledWith('child1');
    const reproduction = host.querySelector<HTMLAnchorElement>(
      '.jp-exp-reproductions a'
    )!;
    reproduction.click();
    expect(cbs.onOpenRun).toHaveBeenCalledWith('repro');
  });

  it("disables Open snapshot without one, opens a child's when the group has it", () => {
    const none = detailOf(RELATIONS).host.querySelector<HTMLButtonElement>(
      '.jp-exp-open-snapshot'
    )!;
    expect(none.disabled).toBe(true);
    const plain = detailOf({ ...RELATIONS, children: [] }).host;
    expect(
      plain.querySelector<HTMLButtonElement>('.jp-exp-open-snapshot')!.disabled
    ).toBe(false); // a run's own may still be uploading: the server says
    const { host, cbs } = detailOf({ ...RELATIONS, snapshot_run_id: 'child0' });
    const open = host.querySelector<HTMLButtonElement>(
      '.jp-exp-open-snapshot'
    )!;
    expect(open.disabled).toBe(false);
    open.click();
    expect(cbs.onOpenSnapshot.mock.calls[0][0].run_id).toBe('child0');
  });

  it('links a child to its parent; the model loads relations beside the run', async () => {
    const child = {
      ...RELATIONS,
      run_id: 'parent',
      children: [],
      parent: RELATIONS.children[0],
      reproductions: []
    };
    const { host } = detailOf(child);
    expect(host.querySelector('.jp-exp-group-section')).toBeNull();
    expect(host.querySelector('.jp-exp-group-parent a')?.textContent).toBe(
      'small-0'
    );
    const model = new DetailModel({
      fetchRun: async () => PARENT_DETAIL,
      fetchMetrics: async runId => ({ run_id: runId, series: {} }),
      fetchRelations: async () => RELATIONS
    });
    await model.open('parent');
    expect(model.state.relations?.children).toHaveLength(3);
    model.dispose();
  });
});

describe('group comparison in the compare tab', () => {
  const sides: IComparison = {
    ...COMPARISON,
    series: {},
    metrics: { keys: ['eval/acc'], final: { 'eval/acc': [0.9, 0.95] } },
    groups: GROUPS,
    sides: 'groups'
  };

  it("charts the groups' bands when the sides are groups (no per-run curves)", () => {
    const band = {
      group: 0,
      steps: [0, 1],
      mean: [0.8, 0.9],
      low: [0.79, 0.89],
      high: [0.81, 0.91],
      runs: 3,
      downsampled: false
    };
    expect(chartedMetrics(sides)).toEqual([]);
    expect(
      chartedMetrics({
        ...sides,
        groups: { ...GROUPS, series: { 'eval/acc': [band] } }
      })
    ).toEqual(['eval/acc']);
  });

  it('lets the user choose the baseline and titles the tab by its runs', () => {
    const host = document.createElement('div');
    const onBaseline = jest.fn();
    renderComparison(host, sides, {
      showAll: false,
      onToggleShowAll: jest.fn(),
      renderChart: jest.fn(),
      onBaseline
    });
    const picker = host.querySelector<HTMLSelectElement>(
      'select.jp-exp-baseline-select'
    )!;
    expect(picker.value).toBe(sides.runs[0].run_id);
    picker.value = sides.runs[1].run_id;
    picker.dispatchEvent(new Event('change'));
    expect(onBaseline).toHaveBeenCalledWith(sides.runs[1].run_id);
    expect(host.textContent).toContain("Final metrics (each group's mean)");
    expect(comparisonTitle(sides)).toBe(
      sides.runs.map(r => r.run_name).join(' vs ')
    );
  });
});
