"""Registering a checkpoint from the sidebar, in a real JupyterLab and Chromium, on a run a real kernel recorded
with three checkpoints: the run's detail lists them best first; Register… as candidate; champion refused with
the server's line shown; "Reproduce, then promote" starts a real reproduction job and ends with @champion set
(read back with MlflowClient); the Models tab shows the version with its verdict, aliases and provenance, and
its run link opens the run's detail."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException

from tests.support.git import init_repo
from tests.support.kernels import all_runs, run_notebook, store
from tests.support.lab import collect_errors, open_runs_panel, start_lab, stop_lab

pytestmark = pytest.mark.ui

SETTINGS = {
    "jupyter-exp:plugin": {"pollInterval": 1000, "defaultScope": "all"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
LOOP = """\
%%track --name train --seed 3
import torch, jupyter_exp
torch.manual_seed(0)
model = torch.nn.Linear(2, 1)
for step, loss in enumerate([0.9, 0.4, 0.6]):
    jupyter_exp.checkpoint(model, step=step, loss=loss)
"""


@pytest.fixture(scope="module")
def models_lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("models-view")
    root = tmp / "project"
    root.mkdir()
    init_repo(root)
    run_notebook(root / "train.ipynb", ["%load_ext jupyter_exp", LOOP], root)
    [run] = all_runs(store(root))
    process, lab = start_lab(root, tmp / "home", SETTINGS)
    yield lab, run.info.run_id
    stop_lab(process)


def _register(page, row, name: str, alias: str) -> None:
    row.locator(".jp-exp-register").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input.jp-exp-register-name").fill(name)
    dialog.locator("select.jp-exp-register-alias").select_option(alias)
    dialog.locator("button.jp-mod-accept").click()
    dialog.wait_for(state="detached", timeout=30_000)


def test_register_refused_champion_then_reproduce_and_promote(browser, models_lab, screenshots: Path):
    lab, run_id = models_lab
    client = store(lab.root)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = collect_errors(page)
    page.goto(lab.page_url("/lab"))
    sidebar = open_runs_panel(page)
    sidebar.locator(f'.jp-exp-run[data-run-id="{run_id}"] .jp-exp-run-name').click(timeout=60_000)
    section = sidebar.locator(".jp-exp-detail .jp-exp-checkpoints")
    rows = section.locator("tr.jp-exp-checkpoint")
    page.wait_for_function(
        "() => document.querySelectorAll('#jupyter-exp-sidebar .jp-exp-checkpoints tr.jp-exp-checkpoint')"
        ".length === 3",
        timeout=60_000,
    )
    # best first by loss (0.4 at step 1), the last step marked, the size of each state file shown
    assert [rows.nth(i).get_attribute("data-step") for i in range(3)] == ["1", "2", "0"]
    assert rows.nth(0).locator(".jp-exp-checkpoint-marks").inner_text() == "best"
    assert rows.nth(1).locator(".jp-exp-checkpoint-marks").inner_text() == "last"
    assert rows.nth(0).locator(".jp-exp-checkpoint-size").inner_text().endswith("B")
    best_model = rows.nth(0).get_attribute("data-model-id")
    # the detail lays out once its curves are in (rows would move under the pointer before that)
    sidebar.locator(".jp-exp-detail .jp-exp-metrics svg").first.wait_for(timeout=30_000)

    _register(page, rows.nth(0), "tiny", "candidate")
    section.locator(".jp-exp-registered", has_text="Registered tiny version 1 @candidate").wait_for(
        timeout=30_000
    )
    candidate = client.get_model_version_by_alias("tiny", "candidate")
    assert candidate.source == f"models:/{best_model}" and candidate.tags["jupyter_exp.verdict"] == "none"

    _register(page, rows.nth(0), "tiny", "champion")
    refused = section.locator('.jp-exp-promotion[data-phase="refused"]')
    refused.wait_for(timeout=30_000)
    assert refused.get_attribute("role") == "alert"
    message = refused.locator(".jp-exp-promotion-message").inner_text()
    assert message.startswith("@champion needs a run that reproduces (exact or close)"), message
    assert f"reproduce it first: %reproduce {run_id}" in message
    with pytest.raises(MlflowException):  # nothing set
        client.get_model_version_by_alias("tiny", "champion")
    page.screenshot(path=str(screenshots / "models-refused.png"))

    refused.locator(".jp-exp-reproduce-promote").click()
    promoted = section.locator('.jp-exp-promotion[data-phase="promoted"]')
    promoted.wait_for(timeout=300_000)  # a real replay in a fresh kernel
    assert "Promoted: tiny @champion (verdict: exact)" in promoted.inner_text()
    champion = client.get_model_version_by_alias("tiny", "champion")
    assert champion.version == candidate.version  # the same checkpoint: the same version
    assert champion.tags["jupyter_exp.verdict"] == "exact" and champion.tags["jupyter_exp.reproduction"]

    # the model view: its version with the verdict, both aliases and where it came from
    sidebar.locator(".jp-exp-models-button").click()
    version = page.locator('.jp-exp-models tr.jp-exp-model-version[data-version="1"]')
    version.wait_for(timeout=30_000)
    assert version.locator(".jp-exp-version-verdict").inner_text() == "exact"
    assert version.locator(".jp-exp-version-aliases").inner_text() == "@candidate @champion"
    assert version.locator(".jp-exp-version-notebook").inner_text().startswith("train.ipynb")
    page.screenshot(path=str(screenshots / "models-view.png"))
    version.locator("a.jp-exp-version-run").click()
    sidebar.locator(f'.jp-exp-detail[data-run-id="{run_id}"]').wait_for(timeout=30_000)
    assert [e for e in errors if "409 (Conflict)" not in e] == [], errors  # the refusal's own request
    page.close()
