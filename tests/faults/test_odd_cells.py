"""Odd cells: undecodable text, and runs the next %load_ext ends when their process is gone."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.faults.report import FaultLine, record_fault
from tests.support.journal import ended_by_the_next_kernel, wait_until
from tests.support.kernels import KernelSession, OpenKernel, all_runs, artifact_json, store

pytestmark = pytest.mark.kernel


def test_undecodable_text_is_recorded_and_stays_in_its_cell(
    project: Path, kernel_session: OpenKernel
) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    session.run("%%track --name odd-text\nprint('bad \\udcff text')\nx = 1")
    _, after = session.run("print('next cell')")
    session.close()
    client = store(project)
    [run] = all_runs(client)
    assert run.info.status == "FINISHED"
    outputs = artifact_json(client, run.info.run_id, "outputs.json")
    assert "bad" in str(outputs)
    assert artifact_json(client, run.info.run_id, "history.json")[-1]["source"].startswith("%%track")
    assert [o.get("text") for o in after] == ["next cell\n"]  # nothing of jupyter-exp's threads here
    record_fault(FaultLine("a cell printing lone surrogates", True, None, None, None, run.info.status))


def test_the_next_load_ext_ends_the_runs_of_a_dead_process(project: Path) -> None:
    session = KernelSession(project)
    client = store(project)
    try:
        session.run("%load_ext jupyter_exp")
        session.send("%%track --name forever\nimport time\nwhile True:\n    time.sleep(0.05)")
        wait_until(lambda: (project / "mlflow.db").exists() and all_runs(client), what="the run to start")
        os.kill(session.km.provisioner.pid, signal.SIGKILL)
        wait_until(lambda: not session.km.is_alive(), what="the kernel to die")
    finally:
        session.kc.stop_channels()
        session.km.cleanup_resources()
    [run] = all_runs(client)
    assert run.info.status == "RUNNING"
    started = time.monotonic()
    ended = ended_by_the_next_kernel(project, client, run.info.run_id)
    assert ended.info.status == "KILLED"
    assert ended.data.tags["jupyter_exp.end_reason"] == "its kernel ended while the cell was running"
    record_fault(
        FaultLine(
            "kernel SIGKILLed mid-cell; the next `%load_ext` on the host",
            True,
            None,
            None,
            time.monotonic() - started,
            ended.info.status,
        )
    )
