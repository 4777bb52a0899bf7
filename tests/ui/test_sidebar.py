"""The Runs sidebar in a real JupyterLab and a real Chromium: track, watch, compare, reproduce."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.lab import Lab, collect_errors, luminance, notebook_lab, open_notebook, open_runs_panel

# a chart on a dark background has light labels and lines; an empty dark box has none of them
BRIGHT_SHARE = 0.001

pytestmark = pytest.mark.ui

TRAINING = (
    "%%track --name {name} --seed 3\n"
    "lr = {lr}\n"
    "for step in range(40):\n"
    '    jupyter_exp.log(step=step, **{{"train/loss": 1 / (1 + step * lr)}})\n'
    "    time.sleep(0.1)\n"
    'print("final loss", round(1 / (1 + 39 * lr), 4))'
)
SOURCES = [
    "%load_ext jupyter_exp",
    "import time\nimport jupyter_exp",
    TRAINING.format(name="slow-lr", lr=0.1),
    TRAINING.format(name="fast-lr", lr=0.3),
]
NOTEBOOK = "train.ipynb"


@pytest.fixture
def lab(tmp_path):
    with notebook_lab(tmp_path, NOTEBOOK, SOURCES) as lab:
        yield lab


SNAPSHOT_TABS = (
    "() => Array.from(window.jupyterapp.shell.widgets('main'))"
    ".filter(w => w.context && w.context.path.startsWith('JupyterExpSnapshots:'))"
)


def shoot(page, lab: Lab, path: Path) -> None:
    """A screenshot for the README and docs/sidebar.md: it must not show the test's temporary paths."""
    shown = page.evaluate("document.body.innerText")
    assert str(lab.root.parent) not in shown, [
        line for line in shown.splitlines() if str(lab.root.parent) in line
    ]
    page.screenshot(path=str(path))


def kernel_ids(lab: Lab) -> set[str]:
    return {kernel["id"] for kernel in lab.api("/api/kernels")}  # type: ignore[attr-defined]


def test_track_watch_compare_and_reproduce(browser, lab, screenshots: Path):
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    errors = collect_errors(page)
    open_notebook(page, lab, NOTEBOOK)

    # The Runs panel, scoped to the notebook in focus: empty before anything ran.
    sidebar = open_runs_panel(page)
    sidebar.locator(".jp-exp-run-list, .jp-exp-empty").first.wait_for(timeout=30_000)
    assert sidebar.locator(".jp-exp-run").count() == 0

    # Execute the notebook as a user would (Run All): the first run shows up RUNNING, then FINISHED.
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    sidebar.locator('.jp-exp-run[data-status="RUNNING"]').first.wait_for(timeout=90_000)
    page.screenshot(path=str(screenshots / "sidebar-running.png"))
    finished = sidebar.locator('.jp-exp-run[data-status="FINISHED"]')
    page.wait_for_function(
        "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run[data-status=\"FINISHED\"]').length === 2",
        timeout=120_000,
    )
    names = finished.locator(".jp-exp-run-name").all_inner_texts()
    assert sorted(names) == ["fast-lr", "slow-lr"]
    assert "train/loss" in sidebar.locator('.jp-exp-run[data-status="FINISHED"]').first.inner_text()
    shoot(page, lab, screenshots / "sidebar-runs.png")

    # Run detail with its params.
    sidebar.locator(".jp-exp-run", has_text="slow-lr").locator(".jp-exp-run-name").click()
    detail = sidebar.locator(".jp-exp-detail")
    detail.wait_for(timeout=30_000)
    detail.locator(".jp-exp-params", has_text="0.1").wait_for(timeout=30_000)
    detail.locator("svg.jp-exp-sparkline").first.wait_for(timeout=30_000)
    shoot(page, lab, screenshots / "run-detail.png")

    # "Go to cell" focuses the tracked cell in the open notebook (by its cell id).
    page.evaluate("window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0")
    detail.locator(".jp-exp-goto-cell").click()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 2", timeout=30_000
    )
    # "Open snapshot" opens the recorded notebook, read-only, in a tab of its own, with no kernel.
    kernels = kernel_ids(lab)
    assert len(kernels) == 1  # the notebook's own
    errors.clear()
    detail.locator(".jp-exp-open-snapshot").click()
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.context && w.context.path.startsWith('JupyterExpSnapshots:')"
        " && w.content.widgets.length === 4 && !w.context.contentsModel.writable; }",
        timeout=30_000,
    )
    snapshot_text = page.evaluate(
        "window.jupyterapp.shell.currentWidget.content.widgets.map(c => c.model.sharedModel.getSource()).join('\\n')"
    )
    assert "--name slow-lr" in snapshot_text and "--name fast-lr" in snapshot_text
    tab = page.evaluate(
        "(async () => { const w = window.jupyterapp.shell.currentWidget; await w.sessionContext.ready;"
        " return {label: w.title.label, session: w.sessionContext.session ? w.sessionContext.session.id : null,"
        " kernel: w.sessionContext.kernelDisplayName, readOnly: w.context.model.readOnly,"
        " dirty: w.context.model.dirty}; })()"
    )
    assert tab == {
        "label": "train @ slow-lr.ipynb",
        "session": None,
        "kernel": "No Kernel",
        "readOnly": True,
        "dirty": False,
    }, tab
    assert kernel_ids(lab) == kernels
    # Opening it again reveals the same tab (twice: the second time it is the current tab already).
    for _ in range(2):
        page.evaluate(
            "window.jupyterapp.shell.activateById(window.jupyterapp.shell.widgets('main').next().value.id)"
        )
        detail.locator(".jp-exp-open-snapshot").click()
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.context"
            " && window.jupyterapp.shell.currentWidget.context.path.startsWith('JupyterExpSnapshots:')",
            timeout=30_000,
        )
    assert page.evaluate(f"({SNAPSHOT_TABS})().length") == 1
    # Closing the untouched tab asks nothing, and leaves no kernel behind.
    page.evaluate(f"({SNAPSHOT_TABS})()[0].close()")
    page.wait_for_function(f"() => ({SNAPSHOT_TABS})().length === 0", timeout=30_000)
    assert page.locator(".jp-Dialog").count() == 0
    assert kernel_ids(lab) == kernels
    # @jupyter-widgets/jupyterlab-manager (5.0.x) reads the kernel of every notebook tab once its session
    # is ready, a tab without kernel included (any notebook opened with "No Kernel"): one error of theirs.
    upstream = [e for e in errors if "reading 'kernel'" in e and "@jupyter-widgets/jupyterlab-manager" in e]
    assert len(upstream) <= 1 and [e for e in errors if e not in upstream] == [], errors
    sidebar.locator(".jp-exp-back").click()

    # Compare the two runs: only lr differs; curves overlaid; the cells' diff shows the change.
    for row in sidebar.locator(".jp-exp-run").all():
        row.locator("input.jp-exp-run-select").check()
    sidebar.locator(".jp-exp-compare-button").click()
    compare = page.locator(".jp-exp-compare")
    compare.locator("table.jp-exp-param-table").wait_for(timeout=30_000)
    differing = compare.locator("table.jp-exp-param-table tr.jp-exp-differs").all_inner_texts()
    assert len(differing) == 1 and differing[0].startswith("lr"), differing
    chart = compare.locator('.jp-exp-chart[data-metric="train/loss"]')
    chart.locator("svg, canvas").first.wait_for(timeout=30_000)
    diff = compare.locator(".jp-exp-cell-diff").inner_text()
    assert {"+lr = 0.3", "-lr = 0.1"} <= set(diff.splitlines()) or {"-lr = 0.3", "+lr = 0.1"} <= set(
        diff.splitlines()
    ), diff
    shoot(page, lab, screenshots / "compare.png")

    # Reproduce the first run from the sidebar: a job line with progress, then the verdict.
    open_runs_panel(page)
    sidebar.locator(".jp-exp-run", has_text="slow-lr").locator(".jp-exp-run-name").click()
    sidebar.locator(".jp-exp-reproduce-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("select.jp-exp-kernel-select").wait_for(timeout=30_000)
    dialog.locator("button", has_text="Reproduce").click()
    job = page.locator(".jp-exp-job").first
    job.wait_for(timeout=30_000)
    page.wait_for_selector('.jp-exp-job[data-state="finished"] .jp-exp-verdict', timeout=240_000)
    verdict = page.locator('.jp-exp-job[data-state="finished"] .jp-exp-verdict').first.get_attribute(
        "data-verdict"
    )
    summary = page.locator('.jp-exp-job[data-state="finished"]').first.inner_text()
    assert verdict == "exact", summary
    shoot(page, lab, screenshots / "reproduced.png")

    # The reproduction is a run of the notebook too, with its verdict badge in the list.
    sidebar.locator(".jp-exp-back").click()
    page.wait_for_selector(
        '#jupyter-exp-sidebar .jp-exp-run .jp-exp-verdict[data-verdict="exact"]', timeout=60_000
    )

    # Dark theme: the views use theme variables only; the chart is drawn again in the theme's colours.
    compare_tab = page.evaluate(
        "Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id.startsWith('jupyter-exp-compare')).id"
    )
    page.evaluate(f"window.jupyterapp.shell.activateById('{compare_tab}')")
    chart = page.locator('.jp-exp-chart[data-metric="train/loss"]')
    chart.locator("svg, canvas").first.wait_for(timeout=30_000)
    light_mean, _ = luminance(chart.screenshot())
    assert light_mean > 180, light_mean  # the light theme's chart: a white box
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    deadline = time.monotonic() + 60
    while True:  # the chart is drawn again (background first, then its curves) after the theme's CSS is in
        chart.locator("svg, canvas").first.wait_for(timeout=30_000)
        mean, bright = luminance(chart.screenshot())
        if (mean < 80 and bright > BRIGHT_SHARE) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    # Dark behind the curves, and still a chart: its labels and lines are light.
    assert mean < 80 and bright > BRIGHT_SHARE, (mean, bright)
    shoot(page, lab, screenshots / "compare-dark.png")
    open_runs_panel(page)
    shoot(page, lab, screenshots / "sidebar-dark.png")
    assert not [e for e in console_errors if "jupyter-exp" in e], console_errors
    assert not [e for e in errors if e.startswith("uncaught") and e not in upstream], errors
