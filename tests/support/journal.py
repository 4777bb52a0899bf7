"""Waiting on a condition, the project's journal, ``jupyter-exp sync``, and kernels killed after their cell:
what the fault and server suites share about runs that end after their kernel."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlflow import MlflowClient

from tests.support.kernels import KernelSession

JOURNAL = ".jupyter-exp-journal"

# After the next %%track cell returns (its run is journaled, its delivery just begun), the kernel
# holds the store's write lock, so that nothing more reaches it, and is SIGKILLed: what a kernel
# killed at once after its last cell leaves behind.
KILL_AFTER_TRACKED_CELL = """
import os, signal, sqlite3
def _kill_after_tracked(result):
    if result.info.raw_cell.startswith("%%track"):
        hold = sqlite3.connect(os.environ["JUPYTER_EXP_ROOT"] + "/mlflow.db", timeout=60)
        hold.execute("BEGIN EXCLUSIVE")
        os.kill(os.getpid(), signal.SIGKILL)
get_ipython().events.register("post_run_cell", _kill_after_tracked)
"""


def wait_until(predicate: Callable[[], Any], timeout: float = 120, what: str = "the condition") -> Any:
    """``predicate()``'s first true value, polled every 0.2 s; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def ended_by_the_next_kernel(project: Path, client: MlflowClient, run_id: str) -> Any:
    """A new kernel on the host loads the extension; the run it found RUNNING, once it has ended."""
    session = KernelSession(project)
    try:
        session.run("%load_ext jupyter_exp")
        return wait_until(
            lambda: (r := client.get_run(run_id)).info.status != "RUNNING" and r,
            what="the next kernel to end the run",
        )
    finally:
        session.close()


def sync(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``jupyter-exp sync --root project args...`` in a child process, without this process's store URI."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return subprocess.run(
        [sys.executable, "-m", "jupyter_exp.cli", "sync", "--root", str(project), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
