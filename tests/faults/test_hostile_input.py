"""Faults: hostile input to a tracked cell in a real kernel (credentials in values, refused params, odd
repositories); each leaves a complete record, or no run at all, and never a secret."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.faults.report import FaultLine, record_fault
from tests.kernel.conftest import KernelSession, all_runs, artifact, store

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

PASSWORD = "Zq8s3cr3tpw"
GITHUB = "ghp_" + "Zq8" * 12  # a GitHub-shaped token, built so that no real-looking one is in the repo


def texts(outputs: list[dict[str, Any]]) -> str:
    return json.dumps(outputs)


@pytest.mark.timeout(300)
def test_credentials_in_values_never_reach_the_record(project: Path) -> None:
    started = time.monotonic()
    session = KernelSession(project)
    try:
        assert session.run("%load_ext jupyter_exp")[0]["status"] == "ok"
        assert session.run(f'cache = "redis://:{PASSWORD}@cache:6379/0"')[0]["status"] == "ok"
        reply, outputs = session.run(
            f"%%track --name db-{{db_url}} --tag remote=https://bot:{PASSWORD}@git.example/r.git "
            f'--note "uses {GITHUB}" --param dsn=mysql://root:{PASSWORD}@db/x\n'
            f'db_url = "postgresql://user:{PASSWORD}@host/db"\n'
            f'settings = {{"hub": "{GITHUB}", "lr": 0.1}}\n'
            "print(len(db_url), len(cache))"
        )
    finally:
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
        FaultLine("credentials in cell values, --param, --tag, --note", True, None, None,
                  time.monotonic() - started, run.info.status)
    )  # fmt: skip
