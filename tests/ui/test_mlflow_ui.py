"""The stock MLflow UI (`mlflow ui` on the store jupyter-exp writes) lists our runs: the experiments
jupyter-exp creates are tagged ``mlflow.experimentKind = custom_model_development``. MLflow 3.17's UI decides
the view by its own GenAI / Model training switch (kept in the browser, default GenAI; ``workflowType`` in
the URL sets it), so the link docs/tracking.md gives carries ``workflowType=machine_learning``."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_exp.config import StoreLocation
from jupyter_exp.tracking.store import client_for, experiment_id_for
from tests.support.lab import mlflow_web

pytestmark = pytest.mark.ui


@pytest.fixture
def mlflow_ui(tmp_path):
    location = StoreLocation(
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifact_root=str(tmp_path / "mlartifacts"),
        root=tmp_path,
    )
    client = client_for(location)
    experiment_id = experiment_id_for(client, location, "examples/quickstart.ipynb")
    run = client.create_run(experiment_id, run_name="mlp-lr0.05-h64")
    client.log_metric(run.info.run_id, "eval/accuracy", 0.95)
    client.set_terminated(run.info.run_id)
    with mlflow_web("ui", ["--backend-store-uri", location.tracking_uri], tmp_path) as url:
        yield url, experiment_id


def test_stock_mlflow_ui_lists_the_run(browser, mlflow_ui, screenshots: Path):
    url, experiment_id = mlflow_ui
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{url}/#/experiments/{experiment_id}/runs?workflowType=machine_learning")
        page.get_by_text("mlp-lr0.05-h64").first.wait_for(timeout=60_000)
        page.screenshot(path=str(screenshots / "mlflow-ui-runs.png"))
        assert "/traces" not in page.url and "/overview" not in page.url
        assert page.get_by_text("mlp-lr0.05-h64").first.is_visible()
    finally:
        page.close()
