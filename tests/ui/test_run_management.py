"""Run management, a run's charts and its artifacts in a real JupyterLab and Chromium, on runs written straight
into the store (no kernel): one lab for the module. A run's chart renders with its points (zoomable, time axis);
rename (F2), tag (the context menu), delete (Delete) and restore reach the store; a JSON artifact opens
read-only in JupyterLab's viewer."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.tracking.store import client_for
from tests.support.lab import collect_errors, luminance, open_runs_panel, start_lab, stop_lab

pytestmark = pytest.mark.ui

SETTINGS = {
    "jupyter-exp:plugin": {"pollInterval": 500, "defaultScope": "all"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("manage-ui")
    root = tmp / "project"
    root.mkdir()
    client = client_for(resolve_store(JupyterExp(root=str(root))))
    experiment = client.create_experiment("manage")
    ids = {}
    for name, rate in (("alpha", 0.1), ("beta", 0.3)):
        run = client.create_run(experiment, run_name=name)
        ids[name] = run.info.run_id
        for step in range(30):
            client.log_metric(run.info.run_id, "train/loss", 1 / (1 + step * rate), step=step)
        client.log_dict(run.info.run_id, {"accuracy": 0.93, "epochs": 3}, "results/summary.json")
        client.log_image(run.info.run_id, numpy.full((8, 8, 3), 200, dtype=numpy.uint8), "plots/curve.png")
        client.set_terminated(run.info.run_id)
    process, lab = start_lab(root, tmp / "home", SETTINGS)
    yield lab, client, ids
    stop_lab(process)


@pytest.fixture
def page(browser, lab):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.errors = collect_errors(page)
    page.goto(lab[0].page_url("/lab"))
    yield page
    page.close()


def listed(page):
    """The Runs panel once its first row is there (a first load on a busy machine is slow)."""
    sidebar = open_runs_panel(page)
    sidebar.locator(".jp-exp-run").first.wait_for(timeout=90_000)
    return sidebar


def row(sidebar, name: str):
    return sidebar.locator(".jp-exp-run", has=sidebar.page.locator(".jp-exp-run-name", has_text=name)).first


def test_a_runs_chart_renders_its_points_on_a_step_or_time_axis(page, lab, screenshots: Path):
    sidebar = listed(page)
    row(sidebar, "beta").locator(".jp-exp-run-select").check()  # ticked runs are overlaid
    row(sidebar, "alpha").click()
    sidebar.locator(".jp-exp-detail .jp-exp-open-charts").click()
    chart = page.locator('.jp-exp-run-charts .jp-exp-chart[data-metric="train/loss"]')
    chart.locator("svg, canvas").first.wait_for(timeout=30_000)
    assert chart.get_attribute("data-points") == "60"  # both runs' 30 points
    box = chart.locator("svg, canvas").first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150  # a real chart, not a sparkline
    page.screenshot(path=str(screenshots / "run-charts.png"))
    page.select_option(".jp-exp-run-charts .jp-exp-chart-axis", "time")
    chart.locator("svg, canvas").first.wait_for(timeout=30_000)
    assert chart.get_attribute("data-points") == "60"
    assert page.errors == []


def test_rename_tag_delete_and_restore_round_trip(page, lab):
    _, client, ids = lab
    sidebar = listed(page)
    beta = row(sidebar, "beta")
    beta.focus()
    page.keyboard.press("F2")
    assert page.locator(".jp-Dialog input").input_value() == "beta"
    page.locator(".jp-Dialog input").fill("beta-renamed")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run-name')]"
        ".some(n => n.textContent.includes('beta-renamed'))",
        timeout=30_000,
    )
    assert client.get_run(ids["beta"]).info.run_name == "beta-renamed"

    row(sidebar, "beta-renamed").click(button="right")
    page.locator(".lm-Menu-item", has_text="Tag Run…").click()
    page.locator(".jp-Dialog input").fill("stage=best")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.locator(".jp-Dialog").wait_for(state="detached", timeout=30_000)
    _wait(lambda: client.get_run(ids["beta"]).data.tags.get("stage") == "best")

    row(sidebar, "beta-renamed").focus()
    page.keyboard.press("Delete")
    page.locator(".jp-Dialog .jp-mod-warn").click()
    row(sidebar, "beta-renamed").wait_for(state="detached", timeout=30_000)
    assert client.get_run(ids["beta"]).info.lifecycle_stage == "deleted"

    page.evaluate("window.jupyterapp.commands.execute('jupyter-exp:show-deleted-runs')")
    deleted = page.locator(f'.jp-exp-deleted-run[data-deleted-run-id="{ids["beta"]}"]')
    deleted.locator(".jp-exp-restore").click()
    row(sidebar, "beta-renamed").wait_for(timeout=30_000)
    assert client.get_run(ids["beta"]).info.lifecycle_stage == "active"
    assert page.errors == []


def test_a_json_artifact_and_an_image_open_read_only(page, lab):
    sidebar = listed(page)
    row(sidebar, "alpha").click()
    sidebar.locator('.jp-exp-artifact-link[data-path="results/summary.json"]').click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="summary.json")
    tab.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.context && w.context.path.startsWith('JupyterExpArtifacts:')"
        " && w.context.model.readOnly && w.node.textContent.includes('accuracy'); }",
        timeout=30_000,
    )
    sidebar.locator('.jp-exp-artifact-link[data-path="plots/curve.png"]').click()
    page.locator(".jp-ImageViewer img").wait_for(timeout=30_000)  # JupyterLab's image viewer
    assert page.locator(".jp-ImageViewer img").get_attribute("src").startswith("data:image/png;base64,")
    assert page.errors == []


def _wait(condition, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_the_runs_table_sorts_picks_columns_and_draws_parallel_coordinates(page, lab, screenshots: Path):
    _, client, ids = lab
    for name, lr in (("alpha", "0.1"), ("beta", "0.3")):
        client.log_param(ids[name], "lr", lr)
    client.set_tag(ids["alpha"], "owner", "ann")
    listed(page).locator('[data-command="jupyter-exp:open-runs-table"]').click()  # the panel's toolbar
    view = page.locator(".jp-exp-runs-table-view")
    table = view.locator("table.jp-exp-runs-table")
    table.wait_for(timeout=30_000)
    assert table.locator("th").all_inner_texts()[1:] == ["lr", "train/loss"]
    table.locator('th[data-column="param:lr"]').click()
    assert table.locator("tbody tr .jp-exp-run-name").all_inner_texts()[0] == "alpha"  # ascending
    view.locator("details.jp-exp-column-picker summary").click()
    view.locator('input[data-column="tag:owner"]').check()
    assert table.locator("th").all_inner_texts()[-1] == "owner"
    view.locator(".jp-exp-view-parallel").click()
    chart = view.locator('.jp-exp-chart[data-view="parallel"]')
    chart.locator("svg, canvas").first.wait_for(timeout=30_000)
    assert chart.get_attribute("data-axes") == "2"
    page.screenshot(path=str(screenshots / "runs-table-parallel.png"))
    view.locator(".jp-exp-view-scatter").click()
    view.locator('.jp-exp-chart[data-view="scatter"]').locator("svg, canvas").first.wait_for(timeout=30_000)
    view.locator(".jp-exp-view-parallel").click()
    chart.locator("svg, canvas").first.wait_for(timeout=30_000)
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=30_000)
    for _ in range(240):  # drawn again in the theme's colours (background first, then the lines)
        chart.locator("svg, canvas").first.wait_for(timeout=30_000)
        if luminance(chart.screenshot())[0] < 80:
            break
        page.wait_for_timeout(250)
    assert luminance(chart.screenshot())[0] < 80  # a dark chart, not a white block
    page.screenshot(path=str(screenshots / "runs-table-parallel-dark.png"))
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)
    assert page.errors == []
