"""A RUNNING run whose kernel process is gone is ended KILLED, unless a journal still holds it (another
process may be delivering its true status at that moment: two `jupyter-exp sync` at once)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mlflow import MlflowClient

from jupyter_exp import record_schema as schema
from jupyter_exp.tracking.journal import DELIVERED, ENTRY, host_name, journaled_run_ids
from jupyter_exp.tracking.stale import end_stale_runs


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def running_run_of_a_dead_kernel(client: MlflowClient) -> str:
    found = client.get_experiment_by_name("stale")
    experiment = found.experiment_id if found else client.create_experiment("stale")
    tags = {
        schema.HEARTBEAT: "2026-01-01T00:00:00+00:00",
        schema.KERNEL_HOST: host_name(),
        schema.KERNEL_PID: str(dead_pid()),
    }
    return client.create_run(experiment, tags=tags).info.run_id


def test_a_journaled_run_is_left_to_its_journal_and_the_others_end_killed(tmp_path: Path) -> None:
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    journaled, other = running_run_of_a_dead_kernel(client), running_run_of_a_dead_kernel(client)
    offline = tmp_path / "journal" / "offline-local-id"  # an offline run's entry names its store id apart
    offline.mkdir(parents=True)
    (offline / ENTRY).write_text("{}")
    (offline / DELIVERED).write_text(json.dumps({"run_id": journaled}))
    held = journaled_run_ids([tmp_path / "journal", tmp_path / "no-such-journal"])
    assert held == {"offline-local-id", journaled}

    ended = end_stale_runs(client, journaled=held)

    assert [run_id for run_id, _ in ended] == [other]
    assert client.get_run(other).info.status == "KILLED"
    assert client.get_run(journaled).info.status == "RUNNING"
