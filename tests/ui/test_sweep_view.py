"""The sidebar's sweep view in a real JupyterLab and Chromium, on a ``%%track --sweep`` recorded by a real
kernel: opened from the parent's detail and from its run-list row, its table rows are the trials, the param
importance is Optuna's (as the REST answer gives it), the charts are drawn, and "verify top 1" reproduces
the best trial in a fresh kernel and shows its verdict in the row."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.kernels import all_runs, make_project, run_notebook, store
from tests.support.lab import collect_errors, luminance, open_runs_panel, start_lab, stop_lab

pytestmark = pytest.mark.ui

SETTINGS = {
    "jupyter-exp:plugin": {"pollInterval": 1000, "defaultScope": "all"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
SWEEP_CELL = """%%track --sweep ui-demo --trials 4 --metric score --prune none --seed 7
import jupyter_exp
x = trial.suggest_float("x", 0.0, 1.0)
k = trial.suggest_int("k", 1, 5)
for step in range(3):
    jupyter_exp.log(step=step, score=x * k * (step + 1))"""


@pytest.fixture(scope="module")
def swept_lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep-view")
    root = make_project(tmp)
    run_notebook(root / "sweep.ipynb", ["%load_ext jupyter_exp", SWEEP_CELL], root)
    runs = [r for r in all_runs(store(root)) if r.data.tags.get("jupyter_exp.sweep") == "ui-demo"]
    [parent] = [r.info.run_id for r in runs if r.data.tags["jupyter_exp.sweep.role"] == "study"]
    trials = {r.info.run_id for r in runs if r.data.tags["jupyter_exp.sweep.role"] == "trial"}
    assert len(trials) == 4
    process, lab = start_lab(root, tmp / "home", SETTINGS)
    yield lab, parent, trials
    stop_lab(process)


def test_the_sweep_view_and_verify_top_1(browser, swept_lab, screenshots: Path):
    lab, parent, trials = swept_lab
    answer = lab.api(f"/jupyter-exp/sweeps/{parent}")
    assert isinstance(answer, dict) and answer["importance"], answer
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    errors = collect_errors(page)
    page.goto(lab.page_url("/lab"))
    sidebar = open_runs_panel(page)
    row = sidebar.locator(f'.jp-exp-run[data-run-id="{parent}"]')
    row.wait_for(timeout=60_000)

    # from the parent's detail: its "Sweep view" button; back returns to the detail
    row.locator(".jp-exp-run-name").click()
    detail = sidebar.locator(f'.jp-exp-detail[data-run-id="{parent}"]')
    detail.locator(".jp-exp-open-sweep").click()
    view = sidebar.locator(".jp-exp-sweep-view")
    table_rows = view.locator("tr.jp-exp-sweep-trial")
    table_rows.first.wait_for(timeout=60_000)
    assert not detail.is_visible()
    shown = {table_rows.nth(i).get_attribute("data-run-id") for i in range(table_rows.count())}
    assert shown == trials
    numbers = sorted(int(table_rows.nth(i).get_attribute("data-trial") or -1) for i in range(4))
    assert numbers == [0, 1, 2, 3]
    best = answer["best"]["run_id"]
    assert table_rows.first.get_attribute("data-run-id") == best  # best first
    assert "jp-mod-best" in (table_rows.first.get_attribute("class") or "")

    # Optuna's importance, as the server computed it, most important first
    bars = view.locator(".jp-exp-sweep-importance-list li")
    assert [bars.nth(i).get_attribute("data-param") for i in range(bars.count())] == list(
        answer["importance"]
    )
    # the charts: parallel coordinates and a scatter per param, drawn by Vega
    view.locator(".jp-exp-sweep-parallel svg, .jp-exp-sweep-parallel canvas").first.wait_for(timeout=60_000)
    assert view.locator(".jp-exp-sweep-scatter").count() == 2

    # sorting by a column header
    view.locator('th[data-sort="number"] button').click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#jupyter-exp-sidebar tr.jp-exp-sweep-trial')]"
        ".map(r => r.dataset.trial).join() === '0,1,2,3'"
    )

    view.locator(".jp-exp-sweep-back").click()
    detail.wait_for(state="visible", timeout=30_000)
    assert not view.is_visible()
    detail.locator(".jp-exp-back").click()

    # from the run list: the parent row's "sweep" button; then verify the best trial
    row.locator(".jp-exp-open-sweep").click()
    table_rows.first.wait_for(timeout=60_000)
    view.locator("input.jp-exp-sweep-k").fill("1")
    view.locator("input.jp-exp-sweep-k").dispatch_event("change")
    view.locator(".jp-exp-sweep-verify-button").click()
    verdict = view.locator(f'tr[data-run-id="{best}"] .jp-exp-sweep-verdict .jp-exp-verdict')
    verdict.wait_for(timeout=300_000)
    assert verdict.get_attribute("data-verdict") == "exact"
    assert view.locator(".jp-exp-sweep-verdict .jp-exp-verdict").count() == 1  # top 1 only
    jobs = lab.api("/jupyter-exp/reproductions")
    assert [job["run_id"] for job in jobs["jobs"]] == [best]  # type: ignore[index]
    page.screenshot(path=str(screenshots / "sweep-view.png"))

    # dark theme: the charts are drawn again in its colours (not left as white blocks)
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=60_000)
    chart = view.locator(".jp-exp-sweep-parallel")
    deadline = time.monotonic() + 60
    while (mean := luminance(chart.screenshot())[0]) > 100 and time.monotonic() < deadline:
        page.wait_for_timeout(250)  # polls a condition with a deadline, not a fixed wait
    assert mean <= 100, mean
    page.screenshot(path=str(screenshots / "sweep-view-dark.png"))
    assert errors == [], errors
    page.close()
