"""Checkpoints and the verdict-gated registry on a team's deployment (PostgreSQL + ``mlflow server`` with
basic auth): alice's tracked cell logs a checkpoint through the server, ``%register --alias candidate``
works at once, ``--alias champion`` is refused until an exact reproduction, then set; bob, who may only read
her model, and may not even read her experiment once the admin takes that away, gets one line, no traceback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_exp.models.catalog import model_detail
from tests.deploy.harness import Deployment, User
from tests.support.kernels import KernelSession, make_project

TRAIN = """%%track --name fit --experiment {experiment} --seed 3
import numpy as np, jupyter_exp
from sklearn.linear_model import LogisticRegression
X = np.random.rand(40, 3); y = (X.sum(1) > 1.5).astype(int)
clf = LogisticRegression().fit(X, y)
jupyter_exp.checkpoint(clf, step=1, accuracy=clf.score(X, y))"""

Reply = tuple[dict[str, Any], list[dict[str, Any]]]


def _ok(reply: Reply) -> Reply:
    assert reply[0]["status"] == "ok", reply[1]
    return reply


def _kernel(deployment: Deployment, project: Path, user: User) -> KernelSession:
    journal = str(project.parent / f"journal-{user.username}")
    kernel = KernelSession(project, extra_env={**deployment.env(user), "JUPYTER_EXP_JOURNAL_DIR": journal})
    _ok(kernel.run("%load_ext jupyter_exp"))
    return kernel


def _printed(reply: Reply) -> str:
    """What the cell showed: streams, the text of its displays, a traceback."""
    parts = [str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in reply[1]]
    return "".join(parts) + "".join(reply[0].get("traceback", []))


@pytest.fixture(scope="module")
def registry(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = make_project(tmp_path_factory.mktemp("registry"))
    experiment, model = f"alice-models-{time.time_ns()}", f"alice-clf-{time.time_ns()}"
    found: dict[str, Any] = {"model": model}
    alice = _kernel(deployment, project, deployment.user)
    try:
        _ok(alice.run(TRAIN.format(experiment=experiment)))
        client = deployment.client()
        [run] = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
        run_id = found["run_id"] = run.info.run_id
        found["candidate"] = alice.run(f"%register {run_id} --name {model} --alias candidate")
        found["early_champion"] = alice.run(f"%register {run_id} --name {model} --alias champion")
        found["reproduced"] = alice.wait(alice.send(f"%reproduce {run_id}"), timeout=300)
        found["champion"] = alice.run(f"%register {run_id} --name {model} --alias champion")
    finally:
        alice.close()
    bob = deployment.ensure_user(User("bob", "bob-" + deployment.user.password[::-1]))
    kernel = _kernel(deployment, project, bob)
    try:
        found["bob_on_her_model"] = kernel.run(f"%register {run_id} --name {model} --alias candidate")
        deployment.request(
            "POST",
            "/api/3.0/mlflow/users/permissions/grant",
            {
                "username": bob.username,
                "resource_type": "experiment",
                "resource_id": run.info.experiment_id,
                "permission": "DENY",
            },
        )  # as the admin: MLflow lets only admins change permissions
        found["bob_on_her_run"] = kernel.run(f"%register {run_id} --name bobs-{model}")
    finally:
        kernel.close()
    found["client"] = deployment.client()
    found["bob"] = bob
    return found


def test_candidate_at_once_champion_only_after_an_exact_reproduction(registry: dict[str, Any]) -> None:
    client, model, run_id = registry["client"], registry["model"], registry["run_id"]
    _ok(registry["candidate"])
    early = registry["early_champion"][0]
    assert early["status"] == "error" and early["ename"] == "UsageError", registry["early_champion"]
    assert f"reproduce it first: %reproduce {run_id}" in early["evalue"] and "\n" not in early["evalue"]
    assert "exact" in _printed(_ok(registry["reproduced"]))
    assert "(verdict: exact)" in _printed(_ok(registry["champion"]))

    [logged] = client.search_logged_models(
        [client.get_run(run_id).info.experiment_id], filter_string=f"source_run_id = '{run_id}'"
    )
    champion = client.get_model_version_by_alias(model, "champion")
    candidate = client.get_model_version_by_alias(model, "candidate")
    assert champion.version == candidate.version  # one checkpoint, registered once
    assert champion.source == f"models:/{logged.model_id}"
    # MLflow's SQL registry keeps no model id on a version (None, on PostgreSQL as on SQLite): the model
    # view reads it from the source
    assert champion.model_id in (None, logged.model_id)
    [shown] = model_detail(client, model, "champion")["versions"]
    assert shown["model_id"] == logged.model_id and shown["aliases"] == ["candidate", "champion"]
    assert shown["verdict"] == "exact" and shown["run_id"] == run_id and shown["git_commit"]
    assert champion.run_id == run_id and champion.tags["jupyter_exp.run"] == run_id
    assert champion.tags["jupyter_exp.verdict"] == "exact" and champion.tags["jupyter_exp.step"] == "1"
    assert len(client.search_model_versions(f"name = '{model}'")) == 1


@pytest.mark.parametrize("attempt", ["bob_on_her_model", "bob_on_her_run"])
def test_a_user_without_rights_gets_one_line(registry: dict[str, Any], attempt: str) -> None:
    reply, outputs = registry[attempt]
    assert reply["status"] == "error" and reply["ename"] == "UsageError", (reply, outputs)
    message = reply["evalue"]
    assert message.startswith("%register: ") and "\n" not in message, message
    assert "PERMISSION_DENIED" in message or "Permission denied" in message, message
    assert "Traceback" not in _printed(registry[attempt]) and registry["bob"].password not in message
    client, model = registry["client"], registry["model"]
    assert len(client.search_model_versions(f"name = '{model}'")) == 1  # nothing half-written
    assert not client.search_registered_models(f"name = 'bobs-{model}'")
