"""Faults: hostile input to a tracked cell in a real kernel (credentials in values, refused params, odd
repositories); each leaves a complete record, or no run at all, and never a secret."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.faults.report import FaultLine, record_fault
from tests.support.kernels import OpenKernel, all_runs, artifact, store

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

PASSWORD = "Zq8s3cr3tpw"
GITHUB = "ghp_" + "Zq8" * 12  # a GitHub-shaped token, built so that no real-looking one is in the repo


def texts(outputs: list[dict[str, Any]]) -> str:
    return json.dumps(outputs)


@pytest.mark.timeout(300)
def test_credentials_in_values_never_reach_the_record(project: Path, kernel_session: OpenKernel) -> None:
    started = time.monotonic()
    session = kernel_session(project)
    assert session.run("%load_ext jupyter_exp")[0]["status"] == "ok"
    assert session.run(f'cache = "redis://:{PASSWORD}@cache:6379/0"')[0]["status"] == "ok"
    reply, outputs = session.run(
        f"%%track --name db-{{db_url}} --tag remote=https://bot:{PASSWORD}@git.example/r.git "
        f'--note "uses {GITHUB}" --param dsn=mysql://root:{PASSWORD}@db/x\n'
        f'db_url = "postgresql://user:{PASSWORD}@host/db"\n'
        f'settings = {{"hub": "{GITHUB}", "lr": 0.1}}\n'
        "print(len(db_url), len(cache))"
    )
    session.close()
    assert reply["status"] == "ok", outputs
    client = store(project)
    (run,) = all_runs(client)
    assert run.info.status == "FINISHED"
    params, tags = run.data.params, run.data.tags
    assert params["db_url"] == "postgresql://user:***@host/db"
    assert params["cache"] == "redis://:***@cache:6379/0"
    assert params["dsn"] == "mysql://root:***@db/x"
    assert params["settings.hub"] == "***" and params["settings.lr"] == "0.1"
    assert tags["remote"] == "https://bot:***@git.example/r.git"
    assert tags["mlflow.runName"] == "db-postgresql://user:***@host/db"
    config_json = artifact(client, run.info.run_id, "config.json").read_text()
    assert json.loads(config_json)["db_url"]["value"] == "postgresql://user:***@host/db"
    for where, text in [
        ("params", json.dumps(params)),
        ("tags", json.dumps(tags)),
        ("config.json", config_json),
        ("the card", texts(outputs)),
    ]:
        assert PASSWORD not in text and GITHUB not in text, where
    record_fault(
        FaultLine(
            "credentials in cell values, --param, --tag, --note",
            True,
            None,
            None,
            time.monotonic() - started,
            run.info.status,
        )
    )


REFUSED_UP_FRONT = [
    ("--param " + "k" * 300 + "=1", "at most 250 characters"),
    ("--param seed=5", "--seed 5"),
    ("--param 'opt={\"a b!\": 1}'", "MLflow refuses this key"),
    ("--tag note=" + "x" * 8001, "at most 8000"),
]


@pytest.mark.timeout(300)
def test_refused_items_stop_the_cell_or_leave_the_rest_recorded(
    project: Path, kernel_session: OpenKernel
) -> None:
    started = time.monotonic()
    session = kernel_session(project)
    assert session.run("%load_ext jupyter_exp")[0]["status"] == "ok"
    for line, message in REFUSED_UP_FRONT:
        reply, outputs = session.run(f"%%track {line}\nran = True")
        assert reply["status"] == "error" and reply["ename"] == "UsageError", outputs
        assert message in reply["evalue"] and "\n" not in reply["evalue"]
        assert session.run("assert 'ran' not in dir()")[0]["status"] == "ok"  # the cell did not run
    # params MLflow refuses, from the cell's own config: the others and the whole record are kept
    assert session.run("config = {'lr': 0.1, 'odd key!': 1, 'k' * 300: 2}")[0]["status"] == "ok"
    reply, outputs = session.run("%%track\nprint(config['lr'])")
    assert reply["status"] == "ok", outputs
    session.close()
    client = store(project)
    (run,) = all_runs(client)  # none for the refused lines
    assert run.info.status == "FINISHED"
    assert run.data.params["config.lr"] == "0.1" and "seed" in run.data.params
    incomplete = run.data.tags["jupyter_exp.record.incomplete"]
    assert "odd key!" in incomplete and "kkkk" in incomplete
    assert "jupyter_exp.kernel.name" in run.data.tags and "mlflow.source.git.commit" in run.data.tags
    names = {Path(a.path).name for a in client.list_artifacts(run.info.run_id, "jupyter_exp")}
    assert {"cell.py", "config.json", "environment.json", "history.json", "requirements.txt"} <= names
    record_fault(
        FaultLine(
            "refused --param/--tag (UsageError) and refused cell params",
            True,
            None,
            None,
            time.monotonic() - started,
            run.info.status,
        )
    )


CARD_TEXTS = (
    "import gc\nfrom jupyter_exp.ipython.widgets import RunCard\n"
    "print([c.text() for c in gc.get_objects() if isinstance(c, RunCard)])"
)


@pytest.mark.timeout(300)
def test_unborn_repository_is_recorded_and_shown(make_unborn: Path, kernel_session: OpenKernel) -> None:
    started = time.monotonic()
    session = kernel_session(make_unborn)
    assert session.run("%load_ext jupyter_exp")[0]["status"] == "ok"
    assert session.run("%%track\nlr = 0.1")[0]["status"] == "ok"
    _, outputs = session.run(CARD_TEXTS)
    session.close()
    (run,) = all_runs(store(make_unborn))
    assert run.data.tags["jupyter_exp.git.state"] == "unborn"
    assert "mlflow.source.git.commit" not in run.data.tags
    card = "".join(o.get("text", "") for o in outputs if o["type"] == "stream")
    assert "git: no commit yet" in card, card
    record_fault(
        FaultLine(
            "repository without a commit (unborn)",
            True,
            None,
            None,
            time.monotonic() - started,
            run.info.status,
        )
    )


@pytest.fixture
def make_unborn(tmp_path: Path) -> Path:
    from tests.support.git import git

    root = tmp_path / "unborn"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("lr = 0.1\n")
    return root
