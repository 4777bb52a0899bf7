"""Reproducing a run another user recorded: the plan says who, where and when, and it runs only with
explicit confirmation (``--yes`` / ``confirmed``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_exp.ipython.widgets import plan_text
from jupyter_exp.reproduce.provenance import ForeignRecord
from tests.support.kernels import OpenKernel, all_runs, store
from tests.support.reproduce import reproduce

pytestmark = pytest.mark.kernel


def test_another_users_run_needs_confirmation(project: Path, kernel_session: OpenKernel) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    session.run("%%track --name theirs\nvalue = 21 * 2\nprint(value)")
    session.close()
    client = store(project)
    [run] = all_runs(client)
    client.set_tag(run.info.run_id, "mlflow.user", "alice")

    with pytest.raises(ForeignRecord, match=r"recorded by alice on .* --yes"):
        reproduce(project, run.info.run_id)
    assert len(all_runs(client)) == 1  # nothing ran, nothing was written

    planned = reproduce(project, run.info.run_id, dry_run=True)
    text = plan_text(planned)
    assert "The run was recorded by alice" in text
    assert "value = 21 * 2" in text  # what would execute, whole

    confirmed = reproduce(project, run.info.run_id, confirmed=True)
    assert confirmed.verdict is not None and confirmed.verdict.verdict in ("exact", "close")


def test_the_magic_refuses_with_one_line(project: Path, kernel_session: OpenKernel) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    session.run("%%track --name theirs\nx = 1")
    client = store(project)
    [run] = all_runs(client)
    client.set_tag(run.info.run_id, "mlflow.user", "mallory")
    reply, _ = session.run(f"%reproduce {run.info.run_id}")
    session.close()
    assert reply["status"] == "error" and reply["ename"] == "UsageError"
    assert "recorded by mallory" in reply["evalue"] and "--yes" in reply["evalue"]
    assert "\n" not in reply["evalue"].strip()
    assert len(all_runs(client)) == 1
