/**
 * @jest-environment jsdom
 */
import { formatMetricValue } from '../formatvalue';
import type { ChartRenderer } from '../widgets/charts/vegalite';
import { renderComparison } from '../widgets/compare/comparison';
import { renderCellDiffs } from '../widgets/compare/celldiffs';
import {
  differenceText,
  renderGroupStatistics,
  summaryText
} from '../widgets/compare/groupstats';
import {
  renderFinalMetrics,
  renderParamTable
} from '../widgets/compare/tables';
import { COMPARISON, GROUPS as groups, bracketed } from './fixtures';

function render(showAll = false) {
  const host = document.createElement('div');
  const charts: string[] = [];
  const renderChart: ChartRenderer = (container, metric) => {
    charts.push(metric);
    container.textContent = 'chart';
  };
  const toggle = jest.fn();
  renderComparison(host, COMPARISON, {
    showAll,
    onToggleShowAll: toggle,
    renderChart
  });
  return { host, charts, toggle };
}

describe('renderComparison', () => {
  it('shows only differing params by default, all with the toggle, differing rows marked', () => {
    const { host, toggle } = render(false);
    let rows = [
      ...host.querySelectorAll<HTMLElement>('table.jp-exp-param-table tbody tr')
    ];
    expect(rows.map(r => r.dataset.param)).toEqual(['lr']);
    expect(rows[0].classList.contains('jp-exp-differs')).toBe(true);
    expect(
      [...rows[0].querySelectorAll('td')].map(td => td.textContent)
    ).toEqual(['0.1', '0.2']);

    document.body.appendChild(host);
    const box = host.querySelector(
      '.jp-exp-show-all input'
    ) as HTMLInputElement;
    box.click();
    expect(toggle).toHaveBeenCalledWith(true);
    host.remove();

    rows = [
      ...render(true).host.querySelectorAll<HTMLElement>(
        'table.jp-exp-param-table tbody tr'
      )
    ];
    expect(
      rows.map(r => [r.dataset.param, r.classList.contains('jp-exp-differs')])
    ).toEqual([
      ['lr', true],
      ['seed', false]
    ]);
  });

  it('puts final metrics side by side and one chart per metric', () => {
    const { host, charts } = render();
    const cells = [
      ...host.querySelectorAll('table.jp-exp-final-metrics tbody td')
    ];
    expect(cells.map(c => c.textContent)).toEqual(['0.12', '–']);
    const headers = [
      ...host.querySelectorAll('table.jp-exp-final-metrics thead th')
    ];
    expect(headers.map(h => h.textContent)).toEqual([
      'Metric',
      'one (aaaaaaaa) finished',
      'two (bbbbbbbb) finished'
    ]);
    expect(charts).toEqual(['train/loss']);
    expect(
      host.querySelector<HTMLElement>('.jp-exp-chart')?.dataset.metric
    ).toBe('train/loss');
  });

  it('colours the cell diff', () => {
    const { host } = render();
    const diff = host.querySelector('.jp-exp-cell-diff') as HTMLElement;
    expect(diff.querySelector('.jp-exp-diff-del')?.textContent).toBe(
      '-x = 1\n'
    );
    expect(diff.querySelector('.jp-exp-diff-add')?.textContent).toBe(
      '+x = 2\n'
    );
    expect(diff.querySelector('.jp-exp-diff-hunk')?.textContent).toBe(
      '@@ -1 +1 @@\n'
    );
  });
});

describe('group statistics', () => {
  it('shows each group against the baseline with the verdict and its notes', () => {
    const node = renderGroupStatistics(document, groups);
    const items = [...node.querySelectorAll('.jp-exp-group-list li')].map(
      li => li.textContent
    );
    expect(items).toEqual([
      'Baseline: lr=0.05 (2 runs, seeds 0, 1)',
      'Group 2: lr=0.2 (2 runs, seeds 0, ?)'
    ]);
    const row = node.querySelector<HTMLElement>(
      'table.jp-exp-group-stats tbody tr'
    )!;
    expect(row.dataset.outcome).toBe('better');
    // one cell per heading, each value under its own heading
    const headings = [
      ...node.querySelectorAll('table.jp-exp-group-stats thead th')
    ].map(th => th.textContent);
    const cells = [...row.querySelectorAll('th, td')].map(
      cell => cell.textContent
    );
    expect(cells).toHaveLength(headings.length);
    const under = (heading: string) => cells[headings.indexOf(heading)];
    expect(under('Metric')).toBe('eval/acc ↑');
    expect(under('Baseline')).toContain('(n=6)');
    expect(under('Difference [95% CI]')).toContain('[');
    expect(under("Cohen's d")).toBe(
      formatMetricValue(groups.statistics[0].cohens_d!)
    );
    expect(under('p (BH)')).toBe(
      formatMetricValue(groups.statistics[0].p_adjusted!)
    );
    expect(under('Verdict')).toBe('better');
    expect(
      row.querySelector('td.jp-exp-verdict-better')?.getAttribute('title')
    ).toBe('paired by seed');
    const notes = [...node.querySelectorAll('.jp-exp-group-notes li')].map(
      li => li.textContent
    );
    expect(notes).toContain('eval/acc: paired by seed');
  });

  it('is part of the comparison when the runs form groups, absent otherwise', () => {
    const host = document.createElement('div');
    const options = {
      showAll: false,
      onToggleShowAll: jest.fn(),
      renderChart: jest.fn()
    };
    renderComparison(host, { ...COMPARISON, groups }, options);
    expect(host.querySelector('table.jp-exp-group-stats')).not.toBeNull();
    renderComparison(host, { ...COMPARISON, groups: null }, options);
    expect(host.querySelector('.jp-exp-group-stats-block')).toBeNull();
  });

  it('says so when there is a single group', () => {
    const node = renderGroupStatistics(document, { ...groups, statistics: [] });
    expect(node.querySelector('table')).toBeNull();
    expect(node.textContent).toContain('One group only');
  });
});

describe('compare tables', () => {
  it('say why no parameter or metric row is shown', () => {
    const none = { keys: [], differing: [], values: {} };
    expect(
      renderParamTable(document, { ...COMPARISON, params: none }, false)
        .textContent
    ).toBe('No parameters.');
    expect(
      renderParamTable(
        document,
        { ...COMPARISON, params: { ...COMPARISON.params, differing: [] } },
        false
      ).textContent
    ).toBe('All 2 parameters are equal.');
    expect(
      renderFinalMetrics(document, {
        ...COMPARISON,
        metrics: { keys: [], final: {} }
      }).textContent
    ).toBe('No metrics.');
  });

  it('label a run without a name "run", with its id\'s first 8 characters', () => {
    const comparison = {
      ...COMPARISON,
      runs: [{ ...COMPARISON.runs[0], run_name: '' }, COMPARISON.runs[1]]
    };
    const table = renderFinalMetrics(document, comparison);
    const names = [...table.querySelectorAll('thead .jp-exp-run-name')];
    expect(names.map(n => n.textContent)).toEqual([
      'run (aaaaaaaa)',
      'two (bbbbbbbb)'
    ]);
  });
});

describe('cell diffs', () => {
  it('show the reference cell, then each diff, or why there is none', () => {
    const node = renderCellDiffs(document, {
      ...COMPARISON,
      cells: [
        { run_id: 'aaaaaaaa1', source: null, diff: null },
        { run_id: 'bbbbbbbb2', source: 'x = 1', diff: '' },
        { run_id: 'cccccccc3', source: null, diff: null }
      ]
    });
    const blocks = [
      ...node.querySelectorAll<HTMLElement>('.jp-exp-cell-block')
    ];
    expect(blocks.map(b => b.querySelector('h4')?.textContent)).toEqual([
      'one (aaaaaaaa): reference cell',
      'two (bbbbbbbb) vs the reference',
      'cccccccc3 vs the reference'
    ]);
    expect(
      blocks.map(b => b.querySelector('.jp-exp-empty')?.textContent)
    ).toEqual([
      'No cell source recorded.',
      'Same cell source.',
      'No cell source recorded.'
    ]);
  });
});

describe('group statistics text', () => {
  it('writes summaries and differences, a dash for what is missing', () => {
    expect(summaryText(null)).toBe('–');
    expect(summaryText({ mean: 0.5, std: null, n: 1 } as never)).toBe(
      '0.5 (n=1)'
    );
    expect(differenceText({ ...groups.statistics[0], ci_low: null })).toBe(
      '0.05'
    );
    expect(differenceText({ ...groups.statistics[0], difference: null })).toBe(
      '–'
    );
  });
});

describe('translation', () => {
  it('passes every string of the compare view through the translator', () => {
    const host = document.createElement('div');
    renderComparison(
      host,
      { ...COMPARISON, groups: { ...groups, statistics: [] } },
      {
        showAll: false,
        onToggleShowAll: jest.fn(),
        renderChart: jest.fn(),
        trans: bracketed
      }
    );
    expect([...host.querySelectorAll('h3')].map(h => h.textContent)).toEqual([
      '[Parameters (1 of 2 differ)]',
      '[Final metrics]',
      '[Groups over seeds]',
      '[Curves]',
      '[Cells]'
    ]);
    expect(host.querySelector('.jp-exp-show-all')?.textContent).toBe(
      ' [show all params]'
    );
    expect(
      host.querySelector('.jp-exp-param-table thead th')?.textContent
    ).toBe('[Parameter]');
    expect(
      host.querySelector('.jp-exp-final-metrics thead th')?.textContent
    ).toBe('[Metric]');
    expect(
      [...host.querySelectorAll('.jp-exp-group-list li')].map(
        li => li.textContent
      )
    ).toEqual([
      '[[Baseline]: lr=0.05 (2 runs, seeds 0, 1)]',
      '[[Group 2]: lr=0.2 (2 runs, seeds 0, ?)]'
    ]);
    expect(
      host.querySelector('.jp-exp-group-stats-block .jp-exp-empty')?.textContent
    ).toBe('[One group only: nothing to compare it with.]');
    expect(host.querySelector('.jp-exp-cell-block h4')?.textContent).toBe(
      '[one (aaaaaaaa): reference cell]'
    );
    const stats = renderGroupStatistics(document, groups, bracketed);
    expect(
      [...stats.querySelectorAll('thead th')].map(th => th.textContent)
    ).toEqual([
      '[Metric]',
      '[Baseline]',
      '[Group]',
      '[Difference [95% CI]]',
      "[Cohen's d]",
      '[p (BH)]',
      '[Verdict]'
    ]);
  });
});
