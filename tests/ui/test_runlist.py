"""The run list in a real JupyterLab and Chromium, on runs written straight into the store (no kernel):
ticks survive a filter and a live update, Compare looks and is disabled below two ticks, metric values
sit on the names' baseline, the list sorts by a metric both ways, the back button keeps its label."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.lab import collect_errors, open_runs_panel, start_lab, stop_lab

pytestmark = pytest.mark.ui

LONG_NAME = "a-run-with-a-very-long-name-that-does-not-fit-the-sidebar-width-at-all"
SETTINGS = {
    "jupyter-exp:plugin": {"pollInterval": 500, "defaultScope": "all"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def _seed_store(root: Path) -> tuple[object, str]:
    """Three finished runs with a loss each and one RUNNING run; returns (client, running run id)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{root / 'mlflow.db'}")
    experiment = client.create_experiment("runlist", artifact_location=(root / "mlartifacts").as_uri())
    for name, loss in [("mid", 0.5), ("low", 0.1), (LONG_NAME, 0.9)]:
        run = client.create_run(experiment, run_name=name)
        client.log_metric(run.info.run_id, "loss", loss, step=0)
        client.log_param(run.info.run_id, "lr", str(loss))
        client.set_terminated(run.info.run_id, "FINISHED")
    live = client.create_run(experiment, run_name="live")
    client.log_metric(live.info.run_id, "loss", 0.3, step=0)
    return client, live.info.run_id


@pytest.fixture
def seeded_lab(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    client, live = _seed_store(root)
    process, lab = start_lab(root, tmp_path / "home", SETTINGS)
    yield lab, client, live
    stop_lab(process)


def _names(sidebar) -> list[str]:
    return sidebar.locator(".jp-exp-run .jp-exp-run-name").all_inner_texts()


def test_ticks_filter_sort_and_layout(browser, seeded_lab, screenshots: Path):
    lab, client, live = seeded_lab
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = collect_errors(page)
    page.goto(lab.page_url("/lab"))
    sidebar = open_runs_panel(page)
    page.wait_for_function(
        "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run').length === 4", timeout=60_000
    )

    # Compare is a toolbar button of the panel: disabled, and drawn so, below two ticks.
    compare = sidebar.locator(".jp-exp-compare-button")
    assert compare.inner_text().strip() == "Compare (0)"
    faded = "el => Number(getComputedStyle(el).opacity)"
    disabled = "el => el.hasAttribute('disabled') && el.getAttribute('aria-disabled') === 'true'"
    assert compare.evaluate(disabled) and compare.evaluate(faded) < 0.6
    sidebar.locator(".jp-exp-run", has_text="mid").locator("input.jp-exp-run-select").check()
    page.wait_for_function(
        "() => document.querySelector('#jupyter-exp-sidebar .jp-exp-compare-button').textContent.includes('(1)')",
        timeout=30_000,
    )
    assert compare.evaluate(disabled) and compare.evaluate(faded) < 0.6
    sidebar.locator(".jp-exp-run", has_text="low").locator("input.jp-exp-run-select").check()
    page.wait_for_function(
        "() => !document.querySelector('#jupyter-exp-sidebar .jp-exp-compare-button').hasAttribute('disabled')",
        timeout=30_000,
    )
    assert compare.inner_text().strip() == "Compare (2)" and compare.evaluate(faded) == 1

    # A live update of a RUNNING run keeps the focused checkbox, its tick and the row elements.
    row_js = "id => document.querySelector(`#jupyter-exp-sidebar .jp-exp-run[data-run-id='${id}']`)"
    page.evaluate(
        f"id => {{ const row = ({row_js})(id); row.dataset.marked = 'yes';"
        " row.querySelector('input.jp-exp-run-select').focus(); }",
        live,
    )
    client.log_metric(live, "loss", 0.25, step=1)  # type: ignore[attr-defined]
    page.wait_for_function(
        f"id => {{ const row = ({row_js})(id); return row && row.textContent.includes('0.25'); }}",
        arg=live,
        timeout=30_000,
    )
    assert page.evaluate(
        f"id => {{ const row = ({row_js})(id);"
        " return row.dataset.marked === 'yes' && document.activeElement === row.querySelector('input'); }",
        live,
    )

    # Typing a filter keeps the ticked runs (the compare count too), shown or not.
    search = sidebar.locator("input.jp-exp-search")
    search.fill("metrics.loss < 0.2")
    search.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run').length === 1", timeout=30_000
    )
    assert _names(sidebar) == ["low"]
    assert sidebar.locator(".jp-exp-run input.jp-exp-run-select").is_checked()
    assert compare.inner_text().strip() == "Compare (2)"
    search.fill("")
    search.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run').length === 4", timeout=30_000
    )
    checked = sidebar.locator(".jp-exp-run:has(input.jp-exp-run-select:checked) .jp-exp-run-name")
    assert sorted(checked.all_inner_texts()) == ["low", "mid"]

    # The box's own language (query/search_text.py): a bare lr=0.5 is the param (it was "Invalid attribute
    # key 'lr'"), words match names; a filter it cannot read shows the server's one line, with an example.
    for text in ("lr=0.5", "MID"):
        search.fill(text)
        search.press("Enter")
        page.wait_for_function(
            "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run').length === 1", timeout=30_000
        )
        assert _names(sidebar) == ["mid"], text
    search.fill("loss <")
    search.press("Enter")
    error = sidebar.locator(".jp-exp-error")
    error.filter(has_text="e.g. lr=0.2").wait_for(timeout=30_000)
    assert error.inner_text().startswith("Error: filter: loss < what?"), error.inner_text()
    search.fill("")
    search.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-run').length === 4", timeout=30_000
    )

    # A metric value sits on its name's baseline, in the same size: not a superscript.
    metric = sidebar.locator(".jp-exp-run", has_text="mid").locator(".jp-exp-metric").first
    caption, value = metric.locator(".jp-exp-caption"), metric.locator(".jp-exp-value")
    assert metric.inner_text().replace("\n", " ").split() == ["loss", "0.5"]
    size = "el => getComputedStyle(el).fontSize"
    assert caption.evaluate(size) == value.evaluate(size)
    bottom = "el => el.getBoundingClientRect().bottom"
    assert abs(caption.evaluate(bottom) - value.evaluate(bottom)) <= 1.5

    # Sort by the metric, ascending then descending (the server sorts).
    sort = sidebar.locator("select.jp-exp-sort")
    assert "metrics.loss" in sort.locator("option").evaluate_all("options => options.map(o => o.value)")
    sort.select_option("metrics.loss")
    direction = sidebar.locator(".jp-exp-sort-direction")
    if direction.get_attribute("aria-pressed") != "true":
        direction.click()
    ascending = ["low", "live", "mid", LONG_NAME]
    deadline = time.monotonic() + 30
    while _names(sidebar) != ascending and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert _names(sidebar) == ascending
    direction.click()
    deadline = time.monotonic() + 30
    while _names(sidebar) != ascending[::-1] and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert _names(sidebar) == ascending[::-1]
    page.screenshot(path=str(screenshots / "sidebar-sorted-by-metric.png"))

    # The detail of a long-named run: "Runs" keeps its whole label.
    sidebar.locator(".jp-exp-run", has_text=LONG_NAME).locator(".jp-exp-run-name").click()
    back = sidebar.locator(".jp-exp-detail .jp-exp-back")
    sidebar.locator(".jp-exp-detail-header .jp-exp-run-name", has_text=LONG_NAME).wait_for(timeout=30_000)
    sizes = back.evaluate("el => [el.scrollWidth, el.clientWidth, el.getBoundingClientRect().width]")
    assert sizes[0] <= sizes[1] and sizes[2] > 40, sizes
    name = sidebar.locator(".jp-exp-detail-header .jp-exp-run-name")
    # The name gives way (cut with its tooltip, or wrapped), beside the button, not over it.
    assert LONG_NAME in ((name.get_attribute("title") or "") + name.inner_text())
    box = "el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"
    b, n = back.evaluate(box), name.evaluate(box)
    assert b[2] <= n[0] or b[3] <= n[1], (b, n)  # beside it or below it, never over it
    page.screenshot(path=str(screenshots / "run-detail-long-name.png"))
    back.click()
    sidebar.locator(".jp-exp-run").first.wait_for(timeout=30_000)
    assert not [e for e in errors if "jupyter-exp" in e or "uncaught" in e], errors
