"""jupyter_exp.runs() against mlflow.search_runs on the same real SQLite store."""

from __future__ import annotations

import math
import shutil
import sqlite3

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

import jupyter_exp
from jupyter_exp.query.listing import QueryError
from jupyter_exp.query.runs_table import overview
from jupyter_exp.tracking.sqlite_store import read_runs_frame


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(tmp_path))
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    first = client.create_experiment("a.ipynb", artifact_location=str(tmp_path / "artifacts"))
    second = client.create_experiment("b.ipynb", artifact_location=str(tmp_path / "artifacts"))
    for i in range(6):
        experiment = first if i % 2 else second
        run = client.create_run(experiment, run_name=f"r{i}", tags={"mlflow.source.name": f"nb{i % 3}.ipynb"})
        client.log_param(run.info.run_id, "lr", str(i / 10))
        client.log_metric(run.info.run_id, "loss", float("nan") if i == 4 else 1.0 / (i + 1), step=i)
        if i != 5:
            client.set_terminated(run.info.run_id, "FAILED" if i == 3 else "FINISHED")
    deleted = client.create_run(first, run_name="deleted")
    client.delete_run(deleted.info.run_id)
    return tmp_path, client


def mlflow_way(uri: str, **kwargs) -> pd.DataFrame:
    mlflow.set_tracking_uri(uri)
    try:
        return mlflow.search_runs(search_all_experiments=True, **kwargs)
    finally:
        mlflow.set_tracking_uri("")


def same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert set(ours.columns) == set(theirs.columns)
    assert list(ours["run_id"]) == list(theirs["run_id"])
    for column in theirs.columns:
        for a, b in zip(ours[column], theirs[column], strict=True):
            if (
                (isinstance(b, float) and math.isnan(b))
                or b is None
                or b is pd.NaT
                or (not isinstance(b, str) and pd.isna(b))
            ):
                assert a is None or pd.isna(a), (column, a, b)
            else:
                assert a == b, (column, a, b)


def test_runs_frame_equals_mlflow_search_runs(project):
    _, client = project
    ours = jupyter_exp.runs()
    assert len(ours) == 6 and "deleted" not in set(ours["tags.mlflow.runName"])
    same(ours, mlflow_way(client.tracking_uri))
    assert str(ours["start_time"].dtype).startswith("datetime64") and ours["metrics.loss"].dtype == "float64"


def test_filters_match_mlflows(project):
    _, client = project
    same(
        jupyter_exp.runs(experiment="a.ipynb"), mlflow_way(client.tracking_uri, experiment_names=["a.ipynb"])
    )
    by_notebook = jupyter_exp.runs(notebook="nb1.ipynb")
    assert set(by_notebook["tags.mlflow.runName"]) == {"r1", "r4"}
    filtered = jupyter_exp.runs(filter_string="params.lr = '0.2'")  # through mlflow.search_runs
    assert list(filtered["tags.mlflow.runName"]) == ["r2"]
    with pytest.raises(QueryError, match="no experiment named"):
        jupyter_exp.runs(experiment="nope")


def test_an_unknown_schema_is_not_read_directly(project, tmp_path):
    root, _ = project
    copy = tmp_path / "changed.db"
    shutil.copy(root / "mlflow.db", copy)
    assert len(read_runs_frame(copy)) == 6
    with sqlite3.connect(copy) as connection:
        connection.execute("ALTER TABLE runs RENAME COLUMN artifact_uri TO artifact_location")
    assert read_runs_frame(copy) is None  # runs() then asks mlflow.search_runs


def test_a_filter_in_a_notebooks_scope_keeps_mlflows_types(project):
    """``%runs --status FINISHED`` in the default scope: one search per name the notebook may have been
    recorded as; an empty one must not turn the dates into objects (``overview`` crashed on ``.dt``)."""
    root, _ = project
    frame = jupyter_exp.runs(notebook=str(root / "nb1.ipynb"), filter_string="attributes.status = 'FINISHED'")
    assert list(frame["tags.mlflow.runName"]) == ["r4", "r1"]  # nb1's finished runs, newest first
    assert str(frame["start_time"].dtype).startswith("datetime64")
    assert list(overview(frame)["run"]) == ["r4", "r1"]
