"""The artifact store's disk is full: no partial files, the run says what is missing, the journal keeps
it and `jupyter-exp sync` delivers it once there is space; nothing spills into the next cell's output."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.report import FaultLine, record_fault
from tests.support.journal import JOURNAL, sync, wait_until
from tests.support.kernels import OpenKernel, all_runs, store

pytestmark = pytest.mark.kernel


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real, tiny filesystem (tmpfs), filled up: root can mount one, as the tests run."""
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.fail(f"the full-disk test needs to mount a tmpfs (as root): {done.stderr.decode().strip()}")
    try:
        with (mount / "filler").open("wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_artifact_disk_loses_nothing(
    project: Path, full_disk: Path, kernel_session: OpenKernel
) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    session.run(
        "from mlflow import MlflowClient\n"
        f"MlflowClient('sqlite:///{project / 'mlflow.db'}').create_experiment("
        f"'full', artifact_location='{full_disk / 'artifacts'}')"
    )
    session.run(
        "%%track --experiment full --name on-a-full-disk\nimport jupyter_exp\n"
        "for step in range(100):\n    jupyter_exp.log(step=step, loss=1.0)\nprint('x' * 50000)"
    )
    client = store(project)
    run = wait_until(
        lambda: (
            (r := [r for r in all_runs(client) if r.info.run_name == "on-a-full-disk"])
            and r[0].info.status != "RUNNING"
            and r[0]
        ),
        what="the run to end",
    )
    _, after = session.run("print('next cell')")
    session.close()
    assert run.info.status == "FINISHED"
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 100
    incomplete = run.data.tags["jupyter_exp.record.incomplete"]
    assert "No space left on device" in incomplete and "cell.py" in incomplete
    stored = list((full_disk / "artifacts").rglob("*.*"))
    assert all(p.stat().st_size > 0 for p in stored), f"partial files left: {stored}"
    assert texts_of(after) == "next cell\n"  # nothing of the failure in another cell
    assert (project / JOURNAL / run.info.run_id).exists()  # kept for later

    (full_disk / "filler").unlink()  # space again
    started = time.monotonic()
    done = sync(project)
    assert done.returncode == 0, done.stderr
    run = client.get_run(run.info.run_id)
    assert "jupyter_exp.record.incomplete" not in run.data.tags
    names = {Path(a.path).name for a in client.list_artifacts(run.info.run_id, "jupyter_exp")}
    assert {"cell.py", "history.json", "outputs.json", "config.json"} <= names
    assert not (project / JOURNAL / run.info.run_id).exists()
    record_fault(
        FaultLine(
            "artifact disk full; space again, then `jupyter-exp sync`",
            True,
            100,
            len(client.get_metric_history(run.info.run_id, "loss")),
            time.monotonic() - started,
            run.info.status,
        )
    )


def texts_of(outputs: list[dict]) -> str:
    assert all(o["type"] == "stream" and o["name"] == "stdout" for o in outputs), outputs
    return "".join(o["text"] for o in outputs)
