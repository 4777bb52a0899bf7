"""The reproduce dialog's override of a value inside a config object reaches the replay; the job line
and the run detail keep long values inside the sidebar."""

from __future__ import annotations

import pytest

from tests.support.lab import collect_errors, notebook_lab, open_notebook, open_runs_panel

pytestmark = pytest.mark.ui

NOTEBOOK = "configured.ipynb"
# Underscores, not hyphens: a browser may break a line after a hyphen, never inside this word.
LONG_LABEL = "a_label_far_longer_than_the_sidebar_is_wide_so_it_has_to_wrap"
SOURCES = [
    "%load_ext jupyter_exp",
    "import jupyter_exp",
    "%%track --name configured --seed 5\n"
    'config = {"epochs": 2, "label": "short"}\n'
    'for epoch in range(config["epochs"]):\n'
    '    jupyter_exp.log(step=epoch, **{"train/loss": 1 / (1 + epoch)})\n'
    'jupyter_exp.log(epochs_run=config["epochs"])\n'
    'print(config["label"])',
]


@pytest.fixture
def lab(tmp_path):
    with notebook_lab(tmp_path, NOTEBOOK, SOURCES) as lab:
        yield lab


def _inside(inner: dict, outer: dict) -> bool:
    return inner["x"] >= outer["x"] - 1 and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1


def test_dialog_overrides_a_value_inside_a_config_object(browser, lab):
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    errors = collect_errors(page)
    open_notebook(page, lab, NOTEBOOK)
    sidebar = open_runs_panel(page)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    sidebar.locator('.jp-exp-run[data-status="FINISHED"]').first.wait_for(timeout=120_000)
    original_id = sidebar.locator(".jp-exp-run").first.get_attribute("data-run-id")
    assert original_id, sidebar.inner_html()
    original = lab.api(f"/jupyter-exp/runs/{original_id}")
    assert original["params"]["config.epochs"] == "2", original["params"]  # type: ignore[index]

    # Reproduce with two dotted overrides, one of them long.
    sidebar.locator(".jp-exp-run").first.locator(".jp-exp-run-name").click()
    sidebar.locator(".jp-exp-reproduce-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input.jp-exp-overrides-input").fill(f"config.epochs=3, config.label='{LONG_LABEL}'")
    dialog.locator("button", has_text="Reproduce").click()
    page.wait_for_selector('.jp-exp-job[data-state="finished"] .jp-exp-verdict', timeout=240_000)
    job = page.locator('.jp-exp-job[data-state="finished"]').first
    assert "config.epochs=3" in job.inner_text()
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()

    # The override reached the replayed code: three epochs ran, and the params say so.
    reproduction_id = job.locator(".jp-exp-job-summary .jp-exp-job-run").get_attribute("data-run-id")
    reproduction = lab.api(f"/jupyter-exp/runs/{reproduction_id}")
    assert reproduction["params"]["config.epochs"] == "3", reproduction["params"]  # type: ignore[index]
    assert reproduction["params"]["config.label"] == LONG_LABEL  # type: ignore[index]
    assert reproduction["metrics"]["epochs_run"] == 3, reproduction["metrics"]  # type: ignore[index]
    verdict = job.locator(".jp-exp-verdict").get_attribute("data-verdict")
    assert verdict == "varied", job.inner_text()

    # The job line wraps its overrides: the dismiss button stays inside the sidebar.
    panel = sidebar.bounding_box()
    dismiss = job.locator("button.jp-exp-job-dismiss").bounding_box()
    assert panel and dismiss and _inside(dismiss, panel), (dismiss, panel)

    # The detail of the reproduction cuts nothing: long values, keys and artifact names wrap.
    job.locator(".jp-exp-job-summary .jp-exp-job-run").click()
    detail = sidebar.locator(f'.jp-exp-detail[data-run-id="{reproduction_id}"]')
    detail.locator(".jp-exp-params", has_text=LONG_LABEL[:20]).wait_for(timeout=30_000)
    detail.locator(".jp-exp-tags summary").click()
    cut = page.evaluate(
        """() => Array.from(document.querySelectorAll(
             '#jupyter-exp-sidebar .jp-exp-detail .jp-exp-kv th, #jupyter-exp-sidebar .jp-exp-detail .jp-exp-kv td,'
             + ' #jupyter-exp-sidebar .jp-exp-detail .jp-exp-artifacts li'))
           .filter(n => n.offsetParent !== null && n.scrollWidth > n.clientWidth + 1)
           .map(n => n.textContent)"""
    )
    assert cut == [], cut
    label_cell = detail.locator(".jp-exp-params td", has_text=LONG_LABEL[:20])
    assert _inside(label_cell.bounding_box(), panel), label_cell.bounding_box()
    assert not [e for e in errors if e.startswith("uncaught")], errors
