"""The run created straight in SQLite (tracking/direct_run.py): the same rows as MLflow's ``create_run``,
only where the store is exactly what the installed MLflow opens without migrating, and MLflow's import on a
thread that no other thread's ``import mlflow`` can race (issue 24 section 4)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.store.db.utils import _get_latest_schema_revision
from mlflow.utils import validation

from jupyter_exp import record_schema as schema
from jupyter_exp.config import StoreLocation
from jupyter_exp.tracking import direct_run, mlflow_rules
from jupyter_exp.tracking.store import client_for, experiment_id_for


@pytest.fixture(scope="module")
def location(tmp_path_factory: pytest.TempPathFactory) -> StoreLocation:
    root = tmp_path_factory.mktemp("direct")
    where = StoreLocation(f"sqlite:///{root / 'mlflow.db'}", str(root / "mlartifacts"), root)
    client = client_for(where)
    experiment_id_for(client, where, "ready")  # created with its kind tag, as the slow path leaves it
    client.create_experiment("kindless")
    client.delete_experiment(experiment_id_for(client, where, "gone"))
    return where


def test_mlflows_rules_and_head_revision_are_copied_right():
    assert direct_run.installed_head_revision() == _get_latest_schema_revision()
    assert mlflow_rules.MAX_PARAM_VAL_LENGTH == validation.MAX_PARAM_VAL_LENGTH
    assert mlflow_rules.MAX_TAG_VAL_LENGTH == validation.MAX_TAG_VAL_LENGTH
    assert mlflow_rules.MAX_ENTITY_KEY_LENGTH == validation.MAX_ENTITY_KEY_LENGTH
    for key in ["lr", "a b:c/d-e.f", "x/../y", "/abs", "..", ".", "bad$key", "ü", "a//b", ""]:
        assert mlflow_rules.valid_key(key) == bool(validation.validate_param_and_metric_name(key)), key
        assert mlflow_rules.path_not_unique(key) == validation.path_not_unique(key), key


def test_a_direct_run_is_what_mlflows_create_run_makes(location):
    client = MlflowClient(location.tracking_uri)
    store = direct_run.direct_experiment(location, "ready")
    assert store is not None
    tags = {schema.USER: "ada", schema.SEED: "7", "note": "x" * 10}
    by_mlflow = client.create_run(store.experiment_id, run_name="cell-3", tags=tags, start_time=1234)
    run_id = direct_run.create_run(store, "cell-3", tags, 1234, "ada")
    assert run_id is not None and len(run_id) == 32
    ours = client.get_run(run_id)
    theirs = client.get_run(by_mlflow.info.run_id)
    fields = ["run_name", "status", "start_time", "end_time", "user_id", "experiment_id", "lifecycle_stage"]
    assert ours.info.run_id == run_id
    assert [getattr(ours.info, f) for f in fields] == [getattr(theirs.info, f) for f in fields]
    assert ours.info.artifact_uri == theirs.info.artifact_uri.replace(by_mlflow.info.run_id, run_id)
    assert ours.data.tags == theirs.data.tags  # mlflow.runName added, as MLflow adds it
    client.set_terminated(run_id)  # MLflow's own calls work on it
    assert client.get_run(run_id).info.status == "FINISHED"


def test_only_a_store_mlflow_opens_as_it_is_takes_the_direct_way(location, tmp_path):
    assert direct_run.direct_experiment(location, "missing") is None  # MLflow's way creates it
    assert direct_run.direct_experiment(location, "kindless") is None  # MLflow's way tags it
    assert direct_run.direct_experiment(location, "gone") is None  # MLflow's way restores it
    other = StoreLocation("http://127.0.0.1:1", None, tmp_path)
    assert direct_run.direct_experiment(other, "ready") is None
    old = tmp_path / "old.db"
    old.write_bytes(Path(location.tracking_uri.removeprefix("sqlite:///")).read_bytes())
    with sqlite3.connect(old) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'cafe0123'")
    older = StoreLocation(f"sqlite:///{old}", None, tmp_path)
    assert direct_run.direct_experiment(older, "ready") is None  # MLflow would migrate it first
    ready = direct_run.direct_experiment(location, "ready")
    assert ready is not None
    with sqlite3.connect(ready.database) as connection:  # deleted since it was looked up
        connection.execute(
            "UPDATE experiments SET lifecycle_stage = 'deleted' WHERE experiment_id = ?",
            (int(ready.experiment_id),),
        )
    try:
        assert direct_run.create_run(ready, "late", {}, 1, "ada") is None  # nothing written
    finally:
        MlflowClient(location.tracking_uri).restore_experiment(ready.experiment_id)


GATE_SCRIPT = """
import sys, threading
from pathlib import Path
from jupyter_exp.config import StoreLocation
from jupyter_exp.tracking.direct_run import deferred_client

import builtins
original = builtins.__import__
root = Path(sys.argv[1])
client = deferred_client(StoreLocation(f"sqlite:///{root / 'mlflow.db'}", str(root / "mlartifacts"), root))
errors = []

def importer(name):
    try:
        __import__(name)
    except Exception as error:
        errors.append(repr(error))

others = [threading.Thread(target=importer, args=(n,)) for n in
          ("mlflow.entities", "mlflow.utils.validation", "mlflow", "mlflow.tracking.fluent")]
for thread in others:
    thread.start()
for thread in others:
    thread.join()
client.search_experiments(max_results=1)
print("ERRORS", errors, "RESTORED", builtins.__import__ is original)
"""


def test_other_threads_importing_mlflow_wait_for_the_background_import(location):
    """Without the gate, a thread importing MLflow while the client's thread imports it is handed a
    half-initialised module ('cannot import name ... from partially initialized module')."""
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(GATE_SCRIPT), str(location.root)],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "ERRORS [] RESTORED True" in done.stdout, done.stdout + done.stderr[-2000:]
