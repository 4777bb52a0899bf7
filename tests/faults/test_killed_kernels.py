"""Kernels that end before their runs reach the store: the journal completes them with the true status."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from tests.faults.report import FaultLine, record_fault
from tests.support.journal import JOURNAL, KILL_AFTER_TRACKED_CELL, ended_by_the_next_kernel, sync, wait_until
from tests.support.kernels import KernelSession, OpenKernel, all_runs, artifact, store

pytestmark = pytest.mark.kernel
POINTS = 3000


def tracked_cell(fails: bool) -> str:
    last = "raise ValueError('diverged at the end')" if fails else "print('done')"
    return (
        "%%track --name victim\nimport jupyter_exp\nlr = 0.1\n"
        f"for step in range({POINTS}):\n    jupyter_exp.log(step=step, loss=1.0 / (step + 1))\n{last}"
    )


def stored_points(client: MlflowClient, run_id: str, key: str = "loss") -> int:
    return len(client.get_metric_history(run_id, key))


def run_killed_after_its_cell(project: Path, fails: bool) -> tuple[MlflowClient, Any]:
    session = KernelSession(project)
    try:
        session.run("%load_ext jupyter_exp")
        session.run(KILL_AFTER_TRACKED_CELL)
        pid = session.km.provisioner.pid
        session.send(tracked_cell(fails))
        wait_until(lambda: not session.km.is_alive(), what="the kernel to be killed")
    finally:
        session.kc.stop_channels()
        session.km.cleanup_resources()
    client = store(project)
    [run] = all_runs(client)
    assert run.info.status == "RUNNING", "the kernel was killed too late to test the journal"
    assert (project / JOURNAL / run.info.run_id / "end.json").exists()
    assert pid is not None
    return client, run


@pytest.mark.parametrize("fails", [False, True], ids=["finished", "failed"])
def test_a_kernel_killed_right_after_its_cell_is_completed_by_sync(project: Path, fails: bool) -> None:
    client, run = run_killed_after_its_cell(project, fails)
    started = time.monotonic()

    done = sync(project)

    assert done.returncode == 0, done.stderr
    assert "1 run(s) completed from the journal" in done.stdout
    run = client.get_run(run.info.run_id)
    expected = "FAILED" if fails else "FINISHED"
    assert run.info.status == expected
    assert "completed from the local journal by jupyter-exp sync" in run.data.tags["jupyter_exp.end_reason"]
    assert run.data.params["lr"] == "0.1"
    assert stored_points(client, run.info.run_id) == POINTS  # none lost, none twice
    assert "system/wall_time_s" in run.data.metrics
    for name in ("cell.py", "history.json", "outputs.json", "config.json", "rng_history.json"):
        assert artifact(client, run.info.run_id, name).stat().st_size > 0
    if fails:
        assert "diverged at the end" in artifact(client, run.info.run_id, "traceback.txt").read_text()
    assert not any((project / JOURNAL).iterdir())
    record_fault(
        FaultLine(
            f"kernel SIGKILLed right after a {expected} cell; `jupyter-exp sync`",
            True,
            POINTS,
            stored_points(client, run.info.run_id),
            time.monotonic() - started,
            run.info.status,
        )
    )
    again = sync(project)
    assert again.returncode == 0 and "0 run(s) completed" in again.stdout  # nothing twice


def test_the_next_kernel_completes_what_a_killed_one_left(project: Path) -> None:
    client, run = run_killed_after_its_cell(project, fails=False)
    started = time.monotonic()
    final = ended_by_the_next_kernel(project, client, run.info.run_id)
    assert final.info.status == "FINISHED"
    assert "the next kernel on this machine" in final.data.tags["jupyter_exp.end_reason"]
    assert stored_points(client, run.info.run_id) == POINTS
    record_fault(
        FaultLine(
            "kernel SIGKILLed right after its cell; the next `%load_ext`",
            True,
            POINTS,
            stored_points(client, run.info.run_id),
            time.monotonic() - started,
            final.info.status,
        )
    )


def test_two_syncs_at_once_deliver_everything_once(project: Path) -> None:
    client, run = run_killed_after_its_cell(project, fails=False)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    command = [sys.executable, "-m", "jupyter_exp.cli", "sync", "--root", str(project)]
    both = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=300)[0] for process in both]
    assert [process.returncode for process in both] == [0, 0]
    assert sum("1 run(s) completed" in out for out in outputs) == 1
    assert client.get_run(run.info.run_id).info.status == "FINISHED"
    assert stored_points(client, run.info.run_id) == POINTS
    history = artifact(client, run.info.run_id, "history.json")
    assert history.stat().st_size > 0


def test_a_kernel_killed_mid_cell_is_ended_killed_at_once(project: Path) -> None:
    """No server: a kernel of plain jupyter_client, SIGKILLed while its cell runs."""
    session = KernelSession(project)
    try:
        session.run("%load_ext jupyter_exp")
        session.send(
            "%%track --name sleeper\nimport time, jupyter_exp\n"
            "for step in range(100000):\n    jupyter_exp.log(step=step, x=step)\n    time.sleep(0.01)"
        )
        client = store(project)
        wait_until(
            lambda: (
                (project / "mlflow.db").exists()
                and any(stored_points(client, r.info.run_id, "x") > 0 for r in all_runs(client))
            ),
            what="the run to log its first points",
        )
        os.kill(session.km.provisioner.pid, signal.SIGKILL)
        wait_until(lambda: not session.km.is_alive(), what="the kernel to die")
    finally:
        session.kc.stop_channels()
        session.km.cleanup_resources()
    [run] = all_runs(client)
    assert run.info.status == "RUNNING"
    assert run.data.tags["jupyter_exp.kernel.id"].startswith("local-")  # no server: a per-kernel token
    started = time.monotonic()

    done = sync(project, "--stale-after", "3600")  # its process is gone: no need to wait for the heartbeat

    assert done.returncode == 0, done.stderr
    run = client.get_run(run.info.run_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["jupyter_exp.end_reason"] == "its kernel ended while the cell was running"
    assert artifact(client, run.info.run_id, "cell.py").read_text().startswith("%%track --name sleeper")
    record_fault(
        FaultLine(
            "kernel (no server) SIGKILLed mid-cell; `jupyter-exp sync`",
            True,
            None,
            stored_points(client, run.info.run_id, "x"),
            time.monotonic() - started,
            run.info.status,
        )
    )


def test_sync_says_when_the_store_cannot_take_the_journal(project: Path) -> None:
    client, run = run_killed_after_its_cell(project, fails=False)
    database = project / "mlflow.db"
    database.rename(project / "away.db")
    database.mkdir()  # the store's path is there but holds no store (a drive not mounted, say)
    try:
        done = sync(project, "--no-stale")
    finally:
        database.rmdir()
        (project / "away.db").rename(database)
    assert done.returncode == 1
    assert "1 not delivered" in done.stdout
    assert "not delivered: run" in done.stderr
    assert (project / JOURNAL / run.info.run_id / "end.json").exists()  # kept for the next try
    assert sync(project).returncode == 0
    assert client.get_run(run.info.run_id).info.status == "FINISHED"
    assert stored_points(client, run.info.run_id) == POINTS


def test_the_next_kernels_first_tracked_cell_runs_while_it_completes_the_last_one(
    project: Path, kernel_session: OpenKernel
) -> None:
    """Completing what a dead kernel left must not get in the way of the new kernel's own first cell
    (both import MLflow at that moment)."""
    client, run = run_killed_after_its_cell(project, fails=False)
    session = kernel_session(project)
    reply, outputs = session.run("%load_ext jupyter_exp\nget_ipython().run_cell_magic('track', '', 'x = 1')")
    assert reply["status"] == "ok", outputs
    assert not [o for o in outputs if o.get("name") == "stderr"], outputs
    wait_until(
        lambda: client.get_run(run.info.run_id).info.status == "FINISHED",
        what="the left-behind run to be completed",
    )
    session.settle()  # the new cell's own run, completed after it returned
    session.close()
    assert all(r.info.status == "FINISHED" for r in all_runs(client))
    assert len(all_runs(client)) == 2


def test_a_run_deleted_from_the_store_is_set_aside_once(project: Path) -> None:
    client, run = run_killed_after_its_cell(project, fails=False)
    client.delete_run(run.info.run_id)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mlflow",
            "gc",
            "--backend-store-uri",
            f"sqlite:///{project / 'mlflow.db'}",
            "--run-ids",
            run.info.run_id,
        ],
        check=True,
        capture_output=True,
        env=env,
        timeout=300,
    )  # permanently gone, as `mlflow gc` leaves it

    done = sync(project, "--no-stale")

    assert done.returncode == 0, done.stderr
    assert "1 set aside (their runs are gone from the store)" in done.stdout
    assert f"run {run.info.run_id} is no longer in the store" in done.stderr
    kept = project / JOURNAL / ".orphaned" / run.info.run_id
    assert (kept / "end.json").exists()  # nothing deleted
    again = sync(project, "--no-stale")
    assert again.returncode == 0 and "set aside" not in again.stdout  # said once
