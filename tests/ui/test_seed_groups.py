"""Seed groups in the sidebar, in a real JupyterLab and Chromium, on two ``%%track --seeds 0,1,2`` groups
recorded by a real kernel: the children nest under their parent (collapsed), a parent row shows mean ± sd (n),
the list is dense at the default sidebar width and the arrow keys move between rows, the parent's detail shows
its group, and comparing the two parents gives the verdicts ``%compare`` gives for the same two ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.seeding import seed_groups
from tests.support.kernels import run_notebook
from tests.support.lab import collect_errors, open_runs_panel, start_lab, stop_lab

pytestmark = pytest.mark.ui

SETTINGS = {
    "jupyter-exp:plugin": {"pollInterval": 1000, "defaultScope": "all"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
ROW_COUNT = "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run').length === 8"


def compare_magic_lines(root: Path, small: str, large: str) -> list[str]:
    """``%compare SMALL LARGE --no-chart`` in a real kernel: its text lines."""
    executed, _ = run_notebook(
        root / "nb" / "compare.ipynb", ["%load_ext jupyter_exp", f"%compare {small} {large} --no-chart"], root
    )
    texts = [
        output.get("data", {}).get("text/plain", "")
        for output in executed.cells[1].outputs
        if output.get("output_type") == "display_data"
    ]
    return "\n".join(texts).splitlines()


@pytest.fixture(scope="module")
def grouped_lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seed-groups")
    root = tmp / "project"
    parents = seed_groups(root)
    expected = compare_magic_lines(root, parents["small"], parents["large"])
    process, lab = start_lab(root, tmp / "home", SETTINGS)
    yield lab, parents, expected
    stop_lab(process)


def _press(page, key: str) -> str:
    page.keyboard.press(key)
    return page.evaluate("document.activeElement && document.activeElement.dataset.runId || ''")


def test_nested_groups_detail_and_keys(browser, grouped_lab, screenshots: Path):
    lab, parents, _ = grouped_lab
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = collect_errors(page)
    page.goto(lab.page_url("/lab"))
    sidebar = open_runs_panel(page)
    page.wait_for_function(ROW_COUNT, timeout=60_000)

    # two groups, collapsed: only their parents show; each parent's metric is mean ± sd (n)
    visible = sidebar.locator(".jp-exp-run:visible")
    assert visible.count() == 2
    small = sidebar.locator(f'.jp-exp-run[data-run-id="{parents["small"]}"]')
    shown = small.locator(".jp-exp-group-metric").first.inner_text()
    assert shown.startswith("eval/accuracy") and "±" in shown and shown.endswith("(3)"), shown
    assert "ci_" not in small.inner_text()
    # dense at the default width: a row in at most two lines
    width = page.evaluate("document.querySelector('#jupyter-exp-sidebar').getBoundingClientRect().width")
    heights = [box["height"] for box in (visible.nth(i).bounding_box() for i in range(visible.count()))]
    assert width <= 260 and max(heights) <= 44, (width, heights)

    # a finished reproduction's job line wraps in the panel instead of being cut (the stylesheet's rule,
    # measured on a job line of the panel's width)
    cut = page.evaluate(
        """() => { const jobs = document.querySelector('#jupyter-exp-sidebar .jp-exp-jobs');
        const job = document.createElement('div'); job.className = 'jp-exp-job'; job.dataset.state = 'finished';
        const line = document.createElement('div'); line.className = 'jp-exp-job-summary';
        line.textContent = '3 children replayed: 2 exact, 1 close; reproduction 0123456789abcdef0123456789abcdef';
        const hidden = jobs.hidden; jobs.hidden = false; job.appendChild(line); jobs.appendChild(job);
        const found = [line.scrollWidth > line.clientWidth + 1, line.getBoundingClientRect().height > 20];
        job.remove(); jobs.hidden = hidden; return found; }"""
    )
    assert cut == [False, True], cut  # nothing cut off: it took a second line

    small.locator(".jp-exp-group-toggle").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run:not([hidden])').length === 5"
    )
    children = sidebar.locator(".jp-exp-run.jp-exp-run-child:visible")
    assert children.count() == 3
    assert [children.nth(i).locator(".jp-exp-run-seed").inner_text() for i in range(3)] == [
        "seed 0",
        "seed 1",
        "seed 2",
    ]
    page.screenshot(path=str(screenshots / "seed-groups.png"))

    # arrow keys: down from the parent to its first child, up again, Left closes the group
    small.focus()
    first_child = children.nth(0).get_attribute("data-run-id")
    assert _press(page, "ArrowDown") == first_child
    assert _press(page, "ArrowUp") == parents["small"]
    assert _press(page, "ArrowLeft") == parents["small"]  # closes the group
    page.wait_for_function(
        "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run:not([hidden])').length === 2"
    )
    assert _press(page, "ArrowUp") == parents["large"]  # newest first: "large" above "small"
    assert _press(page, "ArrowDown") == parents["small"]

    # the parent's detail: its children's shared configuration, mean ± sd (n) per metric, its children
    page.keyboard.press("Enter")
    detail = sidebar.locator(f'.jp-exp-detail[data-run-id="{parents["small"]}"]')
    group = detail.locator(".jp-exp-group-section")
    group.wait_for(timeout=30_000)
    assert "No parameters" not in detail.inner_text()
    shared = group.locator(".jp-exp-shared-params").inner_text()
    assert "lr" in shared and "0.05" in shared and "hidden" in shared
    assert group.locator(".jp-exp-group-metrics tr").count() < 10  # not 25 statistic rows
    assert group.locator(".jp-exp-group-children a").count() == 3
    assert not detail.locator(".jp-exp-open-snapshot").is_disabled()  # the first child's snapshot
    group.locator(".jp-exp-group-children a").nth(1).click()
    child = sidebar.locator(".jp-exp-detail .jp-exp-group-parent a")
    child.wait_for(timeout=30_000)
    assert child.inner_text() == "small"
    assert errors == [], errors
    page.close()


def test_comparing_two_parents_gives_compares_verdicts(browser, grouped_lab, screenshots: Path):
    lab, parents, expected = grouped_lab
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = collect_errors(page)
    page.goto(lab.page_url("/lab"))
    sidebar = open_runs_panel(page)
    page.wait_for_function(ROW_COUNT, timeout=60_000)
    for name in ("small", "large"):  # ticking a parent ticks its whole group
        sidebar.locator(f'.jp-exp-run[data-run-id="{parents[name]}"] input.jp-exp-run-select').check()
    sidebar.locator(".jp-exp-compare-button").click()
    compare = page.locator(".jp-exp-compare")
    table = compare.locator("table.jp-exp-group-stats")
    table.wait_for(timeout=60_000)

    headings = table.locator("thead th").all_inner_texts()
    rows = table.locator("tbody tr")
    verdicts = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("th, td").all_inner_texts()
        assert len(cells) == len(headings), (headings, cells)  # was 8 cells under 7 headings
        verdicts[cells[0].rstrip(" ↑↓")] = cells[headings.index("Verdict")]
    assert set(verdicts) == {"eval/accuracy", "train/loss"}
    for metric, verdict in verdicts.items():  # %compare SMALL LARGE says the same
        line = next(line for line in expected if line.startswith(metric + " "))
        assert line.rstrip().endswith(verdict), (line, verdict)
    items = compare.locator(".jp-exp-group-list li").all_inner_texts()
    assert items[0].startswith("Baseline: small (3 runs")
    assert "Parameters (1 of" in compare.inner_text()  # lr differs between the groups' configurations
    title = page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel").last.inner_text()
    assert title == "small vs large", title
    page.screenshot(path=str(screenshots / "compare-groups.png"))

    # the other group as the baseline: compared again, the other way round
    compare.locator("select.jp-exp-baseline-select").select_option(parents["large"])
    page.wait_for_function(
        "() => { const li = document.querySelector('.jp-exp-compare .jp-exp-group-list li');"
        " return li && li.textContent.startsWith('Baseline: large'); }",
        timeout=60_000,
    )
    assert (
        page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel").last.inner_text()
        == "large vs small"
    )
    assert errors == [], errors
    page.close()
