"""The tracked cell's two steps in a real IPython shell and a real SQLite store: prepare() returns a frozen
PreparedCell and writes nothing; run(prepared) records the run and names it as soon as it exists."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest
from IPython.core.interactiveshell import InteractiveShell
from mlflow import MlflowClient

from jupyter_exp import record_schema as schema
from jupyter_exp.capture import rng_history
from jupyter_exp.capture.notebook import ExecutionHistory, HistoryEntry
from jupyter_exp.config import JupyterExp
from jupyter_exp.track.prepared import PreparedCell, TrackingError, TrackOptions
from jupyter_exp.track.tracked_cell import TrackedCell
from jupyter_exp.tracking.finisher import wait_for_runs


@pytest.fixture
def shell(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    instance = InteractiveShell.instance()
    instance.user_ns["width"] = 3
    return instance


def cell(shell, body: str, **options) -> TrackedCell:
    settings = JupyterExp(finish_in_background=False, snapshot=False, requirements=False)
    return TrackedCell(shell, f"%%track\n{body}", body, TrackOptions(quiet=True, **options), settings, None)


def runs(root) -> list:
    client = MlflowClient(f"sqlite:///{root / 'mlflow.db'}")
    return client.search_runs([e.experiment_id for e in client.search_experiments()])


def test_prepare_returns_a_frozen_prepared_cell_and_writes_no_run(shell, tmp_path):
    prepared = cell(shell, "lr = 0.1\narea = width * lr", seed=7, name="w{width}-s{seed}").prepare()
    assert isinstance(prepared, PreparedCell)
    assert (prepared.run_name, prepared.seed, prepared.params["seed"]) == ("w3-s7", 7, "7")
    assert prepared.params["lr"] == "0.1" and prepared.params["width"] == "3"
    with pytest.raises(dataclasses.FrozenInstanceError):
        prepared.seed = 8  # type: ignore[misc]
    assert runs(tmp_path) == []


def test_a_bad_option_fails_in_prepare_before_anything_runs(shell, tmp_path):
    with pytest.raises(TrackingError, match="--config nothing: no variable"):
        cell(shell, "ran = True", config_names=["nothing"]).prepare()
    assert "ran" not in shell.user_ns


def test_run_records_the_prepared_cell_and_names_its_run_at_once(shell, tmp_path):
    tracked = cell(shell, "import jupyter_exp\njupyter_exp.log(step=0, loss=0.5)\nresult = width * 2", seed=1)
    started: list[str] = []
    tracked.run(tracked.prepare(), started=started.append)
    assert wait_for_runs(60)
    (run,) = runs(tmp_path)
    assert started == [run.info.run_id]
    assert run.info.status == schema.FINISHED and shell.user_ns["result"] == 6
    assert run.data.tags[schema.SEED] == "1" and run.data.metrics["loss"] == 0.5
    assert schema.WALL_TIME in run.data.metrics and schema.PEAK_RSS in run.data.metrics


def test_a_failing_cell_raises_its_own_error_and_its_run_is_failed(shell, tmp_path):
    tracked = cell(shell, "raise ValueError('boom')")
    with pytest.raises(ValueError, match="boom"):
        tracked.run(tracked.prepare())
    assert wait_for_runs(60)
    (run,) = runs(tmp_path)
    assert run.info.status == schema.FAILED_STATUS


class WatchedEntry(HistoryEntry):
    """A history entry that notes on which thread it was encoded (issue 24: flat in the history)."""

    threads: ClassVar[set[str]] = set()

    def public(self) -> dict[str, Any]:
        WatchedEntry.threads.add(threading.current_thread().name)
        return super().public()


class WatchedStates(dict[str, Any]):
    """Generator states that note on which thread they were read to be encoded."""

    def items(self) -> Any:
        WatchedEntry.threads.add(threading.current_thread().name)
        return super().items()


def test_the_history_is_built_off_the_cell_path_and_recorded_whole(shell, tmp_path):
    history = ExecutionHistory()
    history.entries = [
        WatchedEntry(n, None, f"x = {n}", True, rng_states=WatchedStates(random=(3, (n, n), None)))
        for n in range(1, 4)
    ]
    settings = JupyterExp(finish_in_background=True, snapshot=False, requirements=False)
    tracked = TrackedCell(shell, "%%track\ny = 1", "y = 1", TrackOptions(quiet=True), settings, history)
    started: list[str] = []
    tracked.run(tracked.prepare(), started=started.append)
    assert wait_for_runs(60)
    assert threading.main_thread().name not in WatchedEntry.threads  # the cell's path: a list of references
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    folder = Path(client.download_artifacts(started[0], "jupyter_exp", str(tmp_path / "got")))
    assert [e["source"] for e in json.loads((folder / schema.HISTORY).read_text())][:3] == [
        "x = 1",
        "x = 2",
        "x = 3",
    ]
    states = rng_history.read(json.loads((folder / schema.RNG_HISTORY).read_text()))
    assert sorted(states) == [1, 2, 3] and json.loads(states[2]) == {
        "dict": {"random": {"tuple": [3, {"tuple": [2, 2]}, None]}}
    }
