"""The stock MLflow UI (`mlflow ui` on the store jupyter-exp writes) lists our runs: the experiments
jupyter-exp creates are tagged ``mlflow.experimentKind = custom_model_development``. MLflow 3.17's UI decides
the view by its own GenAI / Model training switch (kept in the browser, default GenAI; ``workflowType`` in
the URL sets it), so the link the README gives carries ``workflowType=machine_learning``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from jupyter_exp.config import StoreLocation
from jupyter_exp.tracking.store import client_for, experiment_id_for

pytestmark = pytest.mark.ui


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port = _free_port()
    log = tmp_path / "mlflow-ui.log"
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "ui",
            "--backend-store-uri",
            location.tracking_uri,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"mlflow ui exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"mlflow ui did not answer in 90 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield url, experiment_id
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
