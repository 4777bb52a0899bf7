"""The first ``%%track`` of a fresh kernel (issue 24 section 4): its run is created straight in the SQLite
store and MLflow is imported on a thread while the cell runs; the record is whole, ``mlflow.log_*`` in the
cell lands in the run, and a kernel killed right after the cell still gets its run completed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.journal import KILL_AFTER_TRACKED_CELL, ended_by_the_next_kernel, wait_until
from tests.support.kernels import KernelSession, all_runs, artifact, make_project, store

pytestmark = pytest.mark.kernel

FIRST = (
    "%%track --name first\nimport threading\nlr = 0.25\n"
    "print('importing meanwhile:', any(t.name.startswith('jupyter-exp-import') for t in threading.enumerate()))"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose store and experiment exist (a kernel tracked a cell there before)."""
    root = make_project(tmp_path_factory.mktemp("first-cell"))
    session = KernelSession(root)
    try:
        session.run("%load_ext jupyter_exp")
        session.run("%%track --quiet --name setup\nx = 1")
    finally:
        session.close()
    return root


def runs_named(project: Path, name: str) -> list[object]:
    return [r for r in all_runs(store(project)) if r.info.run_name == name]


def test_the_first_cell_runs_while_mlflow_is_imported_and_its_record_is_whole(project: Path) -> None:
    session = KernelSession(project)
    try:
        session.run("%load_ext jupyter_exp")
        reply, outputs = session.run(FIRST)
    finally:
        session.close()
    assert reply["status"] == "ok"
    printed = "".join(o.get("text", "") for o in outputs if o["type"] == "stream")
    assert "importing meanwhile: True" in printed, outputs
    [run] = runs_named(project, "first")
    client = store(project)
    assert run.info.status == "FINISHED" and run.info.end_time
    assert run.data.params["lr"] == "0.25" and "seed" in run.data.params
    for tag in (
        "mlflow.user",
        "mlflow.runName",
        "jupyter_exp.kernel.id",
        "jupyter_exp.seed",
        "jupyter_exp.version",
    ):
        assert tag in run.data.tags, tag
    assert run.info.user_id == run.data.tags["mlflow.user"]
    for name in (
        "cell.py",
        "history.json",
        "environment.json",
        "rng_state.json",
        "config.json",
        "outputs.json",
    ):
        assert artifact(client, run.info.run_id, name).exists(), name
    assert "system/wall_time_s" in run.data.metrics


def test_mlflow_logging_in_the_first_cell_lands_in_its_run(project: Path) -> None:
    session = KernelSession(project)
    try:
        session.run("%load_ext jupyter_exp")
        reply, _ = session.run("%%track --name by-mlflow\nimport mlflow\nmlflow.log_metric('acc', 0.5)")
    finally:
        session.close()
    assert reply["status"] == "ok"
    [run] = runs_named(project, "by-mlflow")
    assert run.data.metrics["acc"] == 0.5
    assert len(all_runs(store(project))) == len({r.info.run_id for r in all_runs(store(project))})


def test_a_kernel_killed_right_after_its_first_cell_gets_its_run_completed(project: Path) -> None:
    session = KernelSession(project)
    try:
        session.run("%load_ext jupyter_exp")
        session.run(KILL_AFTER_TRACKED_CELL)
        session.send("%%track --name killed\nlr = 0.5")
        wait_until(lambda: not session.km.is_alive(), what="the kernel to be killed")
    finally:
        session.kc.stop_channels()
        session.km.cleanup_resources()
    [run] = runs_named(project, "killed")  # the run existed as the cell ran, created directly
    assert run.info.status == "RUNNING"
    ended = ended_by_the_next_kernel(project, store(project), run.info.run_id)
    assert ended.info.status == "FINISHED"
    assert ended.data.params["lr"] == "0.5"
    assert artifact(store(project), run.info.run_id, "cell.py").exists()
