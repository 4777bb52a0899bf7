"""Runs of dead kernels end KILLED: kernels of a real server shut down or crashed mid-cell, and stale
heartbeats of kernels the server never knew, against a real SQLite store."""

from __future__ import annotations

import os
import signal
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mlflow import MlflowClient

from jupyter_exp.reproduce.kernel_run import send_execute_request
from jupyter_exp.server.reaper import END_REASON_TAG, sweep
from jupyter_exp.tracking.recorder import HEARTBEAT_TAG
from tests.support.server import ready_kernel, wait_for

SLEEPING_CELL = "%%track --name sleeper\nimport time\nfor _ in range(600):\n    time.sleep(0.1)"


def iso(delta_s: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=delta_s)).isoformat(timespec="seconds")


def runs_of(client: MlflowClient) -> list:
    return client.search_runs([e.experiment_id for e in client.search_experiments()])


def test_sweep_ends_runs_of_gone_and_silent_kernels(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("sweep", artifact_location=str(tmp_path / "artifacts"))

    def run(name: str, kernel: str, beat_age_s: float) -> str:
        tags = {"jupyter_exp.kernel.id": kernel, HEARTBEAT_TAG: iso(beat_age_s)}
        return client.create_run(experiment, run_name=name, tags=tags).info.run_id

    live = run("live-but-quiet", "k-live", 3600)  # a busy kernel of this server: never judged by heartbeat
    gone = run("kernel-gone", "k-gone", 5)
    silent = run("silent", "k-elsewhere", 900)
    beating = run("beating", "k-elsewhere-2", 5)
    plain = client.create_run(experiment, run_name="plain MLflow run").info.run_id  # not ours: left alone

    killed = sweep(client, live={"k-live"}, gone={"k-gone"}, stale_after_s=300)

    assert set(killed) == {gone, silent}
    status = {r.info.run_id: r.info.status for r in runs_of(client)}
    assert status == {live: "RUNNING", gone: "KILLED", silent: "KILLED", beating: "RUNNING", plain: "RUNNING"}
    assert client.get_run(gone).data.tags[END_REASON_TAG] == "its kernel died"
    assert client.get_run(silent).data.tags[END_REASON_TAG].startswith("no heartbeat for 9")
    assert sweep(client, live={"k-live"}, gone=set(), stale_after_s=300) == []  # nothing twice


async def start_tracked_sleeper(jp_serverapp, root: Path) -> tuple[str, str, MlflowClient]:
    """A kernel of the server running a %%track cell that sleeps; returns its id and the RUNNING run's id."""
    kernel_id, client = await ready_kernel(jp_serverapp.kernel_manager, path="")
    send_execute_request(client, "%load_ext jupyter_exp", None, stop_on_error=False)
    send_execute_request(client, SLEEPING_CELL, None, stop_on_error=False)
    client.stop_channels()
    store = MlflowClient(f"sqlite:///{root / 'mlflow.db'}")

    def running() -> str | None:
        if not (root / "mlflow.db").exists():
            return None
        runs = [r for r in runs_of(store) if r.info.status == "RUNNING"]
        return runs[0].info.run_id if runs else None

    run_id = await wait_for(running, what="the tracked cell's run")
    assert store.get_run(run_id).data.tags["jupyter_exp.kernel.id"] == kernel_id
    return kernel_id, run_id, store


async def test_shutting_a_hung_kernel_down_kills_its_run(jp_serverapp, jp_fetch, served_root):
    kernel_id, run_id, store = await start_tracked_sleeper(jp_serverapp, served_root)
    # A hung kernel cannot end its own run (a healthy one does, on its way out): the server kills it.
    os.kill(jp_serverapp.kernel_manager.get_kernel(kernel_id).provisioner.pid, signal.SIGSTOP)
    response = await jp_fetch("api", "kernels", kernel_id, method="DELETE")
    assert response.code == 204

    run = await wait_for(
        lambda: (r := store.get_run(run_id)).info.status != "RUNNING" and r, what="the run to end"
    )
    assert run.info.status == "KILLED"
    assert run.data.tags[END_REASON_TAG] == "its kernel was shut down"
    assert run.info.end_time is not None


async def test_a_crashed_kernel_restarted_by_the_server_kills_its_run(jp_serverapp, served_root):
    kernel_id, run_id, store = await start_tracked_sleeper(jp_serverapp, served_root)
    kernel = jp_serverapp.kernel_manager.get_kernel(kernel_id)
    os.kill(kernel.provisioner.pid, signal.SIGKILL)  # the server's restarter brings it back

    run = await wait_for(
        lambda: (r := store.get_run(run_id)).info.status != "RUNNING" and r, what="the run to end"
    )
    assert run.info.status == "KILLED"
    assert run.data.tags[END_REASON_TAG] == "its kernel was restarted"
    assert kernel_id in jp_serverapp.kernel_manager.list_kernel_ids()  # same kernel id, new process
    await jp_serverapp.kernel_manager.shutdown_kernel(kernel_id, now=True)


async def test_a_kernel_killed_after_its_cell_gets_its_true_status_from_the_journal(
    jp_serverapp, served_root
):
    from tests.support.journal import KILL_AFTER_TRACKED_CELL

    manager = jp_serverapp.kernel_manager
    kernel_id, client = await ready_kernel(manager, path="")
    for code in ("%load_ext jupyter_exp", KILL_AFTER_TRACKED_CELL, "%%track --name quick\nx = 1\nprint(x)"):
        send_execute_request(client, code, None, stop_on_error=False)
    client.stop_channels()
    store = MlflowClient(f"sqlite:///{served_root / 'mlflow.db'}")

    def ended():
        if not (served_root / "mlflow.db").exists():
            return None
        runs = [r for r in runs_of(store) if r.info.status != "RUNNING"]
        return runs[0] if runs else None

    run = await wait_for(ended, timeout=120, what="the server to complete the run")  # the restarter's event
    assert run.info.status == "FINISHED"  # the cell had returned: not KILLED
    assert "completed from the local journal by the Jupyter server" in run.data.tags[END_REASON_TAG]
    await manager.shutdown_kernel(kernel_id, now=True)
