"""The runs panel on a shared store (an ``mlflow server`` on loopback, SQLite behind it) in a real JupyterLab and
Chromium: the user filter lists my runs first, then all users' and one typed user's; the run detail's "Open in
MLflow UI" link opens the run's page of that server in MLflow 3's model training view."""

from __future__ import annotations

import getpass
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.lab import collect_errors, mlflow_web, open_runs_panel, start_lab, stop_lab

pytestmark = pytest.mark.ui

SETTINGS = {
    "jupyter-exp:plugin": {"pollInterval": 1000, "defaultScope": "all"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    store = ["--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}"]
    with mlflow_web(
        "server", [*store, "--artifacts-destination", str(tmp_path / "server-artifacts")], tmp_path
    ) as url:
        yield url


@pytest.fixture
def shared_lab(tmp_path: Path, mlflow_server: str, monkeypatch: pytest.MonkeyPatch):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(mlflow_server)
    experiment = client.create_experiment("team")
    for name, user in [("mine-1", getpass.getuser()), ("bob-1", "bob"), ("ann-1", "ann")]:
        run = client.create_run(experiment, run_name=name, tags={"mlflow.user": user})
        client.set_terminated(run.info.run_id, "FINISHED")
    config = tmp_path / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"JupyterExp": {"tracking_uri": mlflow_server}})
    )
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(config))  # start_lab passes the environment on
    root = tmp_path / "project"
    root.mkdir()
    process, lab = start_lab(root, tmp_path / "home", SETTINGS)
    yield lab, mlflow_server
    stop_lab(process)


def _wait(condition, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def test_user_filter_and_mlflow_link(browser, shared_lab, screenshots: Path):
    lab, server = shared_lab
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = collect_errors(page)
    page.goto(lab.page_url("/lab"))
    sidebar = open_runs_panel(page)

    def names() -> list[str]:
        return sorted(sidebar.locator(".jp-exp-run .jp-exp-run-name").all_inner_texts())

    user = sidebar.locator("select.jp-exp-user-filter")
    user.wait_for(state="visible", timeout=60_000)
    assert user.input_value() == "mine"
    _wait(lambda: names() == ["mine-1"], "my runs only")

    user.select_option("all")
    _wait(lambda: names() == ["ann-1", "bob-1", "mine-1"], "all users' runs")

    user.select_option(" other")
    name = sidebar.locator("input.jp-exp-user-name")
    name.fill("bob")
    name.press("Enter")
    _wait(lambda: names() == ["bob-1"], "bob's runs")
    assert user.input_value() == "bob"
    page.screenshot(path=str(screenshots / "user-filter.png"))

    user.select_option("mine")
    _wait(lambda: names() == ["mine-1"], "my runs again")
    sidebar.locator(".jp-exp-run").first.click()
    link = sidebar.locator("a.jp-exp-mlflow-link")
    link.wait_for(timeout=60_000)
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{server}/#/experiments/"), href
    assert "workflowType=machine_learning" in href

    ui = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        ui.goto(href)
        ui.get_by_text("mine-1").first.wait_for(timeout=90_000)
        ui.get_by_text("Model metrics").first.wait_for(timeout=30_000)  # the run page's tab, not a GenAI view
        assert "/traces" not in ui.url and "/overview" not in ui.url, ui.url
        ui.screenshot(path=str(screenshots / "mlflow-run-page.png"))
    finally:
        ui.close()
    assert errors == []
    page.close()
