"""The reproduced run delivered by the replay's driver (reproduce/handover.py): a run created straight in
SQLite and only journaled, as a replay kernel without MLflow leaves it, is delivered whole, and only when
its entry is the replay kernel's own and of this store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mlflow import MlflowClient

from jupyter_exp import record_schema as schema
from jupyter_exp.config import StoreLocation
from jupyter_exp.reproduce.handover import deliver_handed_over, handed_over, refusal
from jupyter_exp.tracking import direct_run
from jupyter_exp.tracking.recorder import RunRecorder, now_ms
from jupyter_exp.tracking.store import client_for, experiment_id_for

KERNEL = "replay-kernel-1"


@pytest.fixture(scope="module")
def location(tmp_path_factory: pytest.TempPathFactory) -> StoreLocation:
    root = tmp_path_factory.mktemp("handover")
    where = StoreLocation(f"sqlite:///{root / 'mlflow.db'}", str(root / "mlartifacts"), root)
    experiment_id_for(client_for(where), where, "replays")
    return where


def journal_only_run(location: StoreLocation, journal: Path, kernel_id: str = KERNEL) -> RunRecorder:
    """What the replay kernel leaves: the run in the store, everything else in its released entry."""
    store = direct_run.direct_experiment(location, "replays")
    assert store is not None
    tags = {schema.KERNEL_ID: kernel_id, schema.USER: "ada"}
    recorder = RunRecorder.start(
        None, (store.experiment_id, "replays"), "cell-4", tags, journal, location.tracking_uri, direct=store
    )
    assert recorder.offline and not recorder.entry.meta().offline  # no client, and the run exists
    recorder.log_params({"lr": 0.1})
    recorder.set_tags({schema.DEVICE: "cpu"})
    recorder.stage_json(schema.OUTPUTS, {"outputs": []})
    recorder.entry.spool_points([("loss", 0.5, now_ms(), 0)])
    recorder.entry.write_end("FINISHED", now_ms())
    recorder.entry.release()
    return recorder


def test_the_driver_delivers_the_replay_kernels_entry(location: StoreLocation, tmp_path: Path) -> None:
    recorder = journal_only_run(location, tmp_path / "journal")
    client = MlflowClient(location.tracking_uri)
    assert client.get_run(recorder.run_id).info.status == "RUNNING"
    # a line a background thread printed during settle() may come after its own
    settled = json.dumps({"handed_over": [str(recorder.entry.path)]}) + "\nwarning: something\n"
    delivered = deliver_handed_over(client, handed_over(settled), KERNEL, location.tracking_uri)
    run = client.get_run(recorder.run_id)
    assert delivered == [recorder.run_id] and run.info.status == "FINISHED"
    assert run.data.params == {"lr": "0.1"} and run.data.metrics == {"loss": 0.5}
    assert run.data.tags[schema.DEVICE] == "cpu" and schema.END_REASON not in run.data.tags
    assert [a.path for a in client.list_artifacts(recorder.run_id, schema.ARTIFACT_DIR)] == [
        f"{schema.ARTIFACT_DIR}/{schema.OUTPUTS}"
    ]
    assert not recorder.entry.path.exists()  # the store has all of it


def test_an_entry_of_another_kernel_or_store_is_left_in_the_journal(
    location: StoreLocation, tmp_path: Path
) -> None:
    recorder = journal_only_run(location, tmp_path / "journal", kernel_id="someone-elses")
    path = recorder.entry.path
    assert refusal(path, KERNEL, location.tracking_uri) == "not an entry of the replay kernel"
    assert refusal(path, "someone-elses", "sqlite:///elsewhere.db") == "an entry of another store"
    assert refusal(path, "someone-elses", location.tracking_uri) is None
    client = MlflowClient(location.tracking_uri)
    assert deliver_handed_over(client, [path], KERNEL, location.tracking_uri) == []
    assert client.get_run(recorder.run_id).info.status == "RUNNING" and (path / "entry.json").exists()


def test_an_entry_with_a_link_in_it_is_refused(location: StoreLocation, tmp_path: Path) -> None:
    recorder = journal_only_run(location, tmp_path / "journal")
    os.symlink("/etc/passwd", recorder.entry.path / "staged" / "notebook.ipynb")
    assert "symbolic link" in (refusal(recorder.entry.path, KERNEL, location.tracking_uri) or "")


@pytest.mark.parametrize("answer", ["", "not json", '{"handed_over": "x"}', "[1, 2]", '{"handed_over": [3]}'])
def test_an_answer_that_is_not_settles_hands_over_nothing(answer: str) -> None:
    assert handed_over(answer) == []
