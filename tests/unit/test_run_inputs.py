"""The run detail lists the files the cell read (inputs.json), for the sidebar."""

from __future__ import annotations

import json

from mlflow import MlflowClient

from jupyter_exp.query.listing import run_detail


def test_run_detail_lists_the_inputs(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("inputs", artifact_location=str(tmp_path / "artifacts"))
    run = client.create_run(experiment)
    folder = tmp_path / "jupyter_exp"
    folder.mkdir()
    inputs = [
        {"path": "data/train.csv", "size": 12, "mtime": 1.0, "sha256": "ab" * 32},
        {"path": "data/huge.bin", "size": 10**12, "mtime": 2.0, "sha256": None},
    ]
    (folder / "inputs.json").write_text(json.dumps(inputs))
    client.log_artifacts(run.info.run_id, str(folder), "jupyter_exp")
    plain = client.create_run(experiment)  # no inputs.json: recorded before inputs were, or by plain MLflow

    detail = run_detail(client, run.info.run_id)

    assert detail["inputs"] == [
        {"path": "data/train.csv", "size": 12, "sha256": "ab" * 32},
        {"path": "data/huge.bin", "size": 10**12, "sha256": None},
    ]
    assert run_detail(client, plain.info.run_id)["inputs"] == []
