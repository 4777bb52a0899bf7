"""The tracking server is down when the cell starts: the cell runs at once, offline, and its run reaches
the store when the server is back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager
from mlflow import MlflowClient

from jupyter_exp.reproduce.kernel_run import send_execute_request
from tests.faults.mlflow_server import MlflowServer
from tests.faults.report import FaultLine, record_fault
from tests.support.journal import wait_until

pytestmark = pytest.mark.kernel
POINTS = 2000

OFFLINE_CELL = f"""%%track --name offline-run --param batch=32
import jupyter_exp
lr = 0.05
for step in range({POINTS}):
    jupyter_exp.log(step=step, loss=1.0 / (step + 1))
print("trained")
"""


def tracking_env(server: MlflowServer, project: Path, journal: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MLFLOW_TRACKING_URI": server.uri,
        "JUPYTER_EXP_ROOT": str(project),
        "JUPYTER_EXP_JOURNAL_DIR": str(journal),
    }


def start_kernel(project: Path, env: dict[str, str]) -> tuple[KernelManager, Any]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(project))
    kernel = manager.client()
    kernel.start_channels()
    try:
        kernel.wait_for_ready(timeout=60)
    except BaseException:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
        raise
    return manager, kernel


def run_cell(client, code: str, timeout: float = 120) -> list[dict]:
    msg_id = send_execute_request(client, code, None, stop_on_error=False)
    outputs = []
    deadline = time.monotonic() + timeout
    while True:
        message = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return outputs
        if message["msg_type"] in ("stream", "error", "execute_result", "display_data"):
            outputs.append(message["content"])


def value_of(client, expression: str) -> str:
    outputs = run_cell(client, f"print({expression})")
    return "".join(o.get("text", "") for o in outputs).strip()


def test_a_cell_runs_at_once_when_the_store_is_down_and_its_run_arrives_later(project: Path) -> None:
    server = MlflowServer(project.parent / "server")
    manager, kernel = start_kernel(project, tracking_env(server, project, project.parent / "journal"))
    try:
        run_cell(kernel, "%load_ext jupyter_exp")
        started = time.monotonic()
        outputs = run_cell(kernel, OFFLINE_CELL)
        cell_seconds = time.monotonic() - started
        assert "trained" in "".join(o.get("text", "") for o in outputs)
        assert not any("error" in o.get("ename", "").lower() or o.get("traceback") for o in outputs)
        assert cell_seconds < 30, f"the cell waited {cell_seconds:.0f} s for the store"
        local_id = value_of(kernel, "jupyter_exp.track.active.last_run_id")
        assert local_id.startswith("offline-")

        server.start()
        back = time.monotonic()
        store = MlflowClient(server.uri)

        def delivered():
            runs = store.search_runs(
                [e.experiment_id for e in store.search_experiments()], "tags.`jupyter_exp.offline` = 'true'"
            )
            return runs[0] if runs and runs[0].info.status == "FINISHED" else None

        run = wait_until(delivered, timeout=180, what="the offline run to reach the store")
        seconds = time.monotonic() - back
        assert run.data.tags["jupyter_exp.offline.id"] == local_id
        assert run.data.params["lr"] == "0.05" and run.data.params["batch"] == "32"
        stored = len(store.get_metric_history(run.info.run_id, "loss"))
        assert stored == POINTS
        names = {Path(a.path).name for a in store.list_artifacts(run.info.run_id, "jupyter_exp")}
        assert {"cell.py", "history.json", "outputs.json", "config.json", "environment.json"} <= names
        wait_until(
            lambda: value_of(kernel, "jupyter_exp.track.active.last_run_id") == run.info.run_id,
            what="the kernel to know the run's id in the store",
        )
        frame = value_of(kernel, "list(jupyter_exp.runs()['run_id'])")
        assert run.info.run_id in frame
        record_fault(
            FaultLine(
                "tracking server down when the cell starts; back later",
                True,
                POINTS,
                stored,
                seconds,
                run.info.status,
            )
        )
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
        server.stop()


def test_an_offline_run_of_a_kernel_that_is_gone_is_delivered_by_sync(project: Path) -> None:
    server = MlflowServer(project.parent / "server")
    journal = project.parent / "journal"
    env = tracking_env(server, project, journal)
    manager, kernel = start_kernel(project, env)
    try:
        run_cell(kernel, "%load_ext jupyter_exp")
        run_cell(kernel, OFFLINE_CELL)
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
    [entry] = [p for p in journal.iterdir() if p.name.startswith("offline-")]
    assert (entry / "end.json").exists()
    try:
        server.start()
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "jupyter_exp.cli", "sync"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "1 run(s) completed from the journal (1 FINISHED" in done.stdout
        store = MlflowClient(server.uri)
        [run] = store.search_runs([e.experiment_id for e in store.search_experiments()])
        assert run.info.status == "FINISHED" and run.data.tags["jupyter_exp.offline"] == "true"
        stored = len(store.get_metric_history(run.info.run_id, "loss"))
        assert stored == POINTS
        assert not entry.exists()
        record_fault(
            FaultLine(
                "tracking server down, kernel shut down before it is back; `jupyter-exp sync`",
                True,
                POINTS,
                stored,
                time.monotonic() - started,
                run.info.status,
            )
        )
    finally:
        server.stop()


ONLINE_CELL = """%%track --name online-run
import jupyter_exp
x = 1
print("first")
"""
SECOND_CELL = """%%track --name after-the-store-went
y = 2
print("second")
"""


def test_the_store_going_down_right_after_a_cell_that_saw_it_up_does_not_hold_the_next_cell(
    project: Path,
) -> None:
    """A server seen up was remembered for 30 s and not probed: the next cell went into MLflow's HTTP
    retries (492 s, then a traceback, the cell never ran). Each tracked cell now makes a TCP connect."""
    server = MlflowServer(project.parent / "server")
    journal = project.parent / "journal"
    server.start()
    manager, kernel = start_kernel(project, tracking_env(server, project, journal))
    try:
        run_cell(kernel, "%load_ext jupyter_exp")
        assert "first" in "".join(o.get("text", "") for o in run_cell(kernel, ONLINE_CELL))
        first = value_of(kernel, "jupyter_exp.track.active.last_run_id")
        assert first and not first.startswith("offline-")
        value_of(kernel, "jupyter_exp.wait_for_runs()")  # the first run is complete in the store
        server.stop()  # killed seconds after a cell that saw it up

        started = time.monotonic()
        outputs = run_cell(kernel, SECOND_CELL, timeout=90)
        cell_seconds = time.monotonic() - started
        text = "".join(o.get("text", "") for o in outputs)
        assert "second" in text and not any(o.get("traceback") for o in outputs), outputs
        assert cell_seconds < 15, f"the cell waited {cell_seconds:.0f} s for a store that was gone"
        local_id = value_of(kernel, "jupyter_exp.track.active.last_run_id")
        assert local_id.startswith("offline-"), local_id
        assert (journal / local_id).is_dir(), sorted(p.name for p in journal.iterdir())
        record_fault(
            FaultLine(
                "tracking server killed right after a tracked cell; the next cell",
                True,
                None,
                None,
                cell_seconds,
                "journaled",
            )
        )
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
        server.stop()
