"""bob reproduces alice's run on the team's store (PostgreSQL + ``mlflow server`` with basic auth, where
everyone may READ every experiment and write only to their own): the reproduction is recorded in bob's own
experiment, linked to alice's run by tags; where the store refuses even that, the verdict is ``failed``
with the refusal in one line, never a traceback."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.harness import Deployment, User
from tests.support.kernels import KernelSession, make_project

CELL = (
    "%%track --name fit --experiment {experiment} --seed 3\n"
    "import random, mlflow\n"
    "acc = random.random()\n"
    'mlflow.log_metric("acc", acc)\n'
    'print("acc", acc)'
)


@pytest.fixture(scope="module")
def team(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> tuple[Deployment, Path, User]:
    project = make_project(tmp_path_factory.mktemp("team"))
    return deployment, project, deployment.ensure_user(User("bob", secrets.token_urlsafe(18)))


def alices_run(deployment: Deployment, project: Path, experiment: str) -> str:
    kernel = KernelSession(
        project, extra_env={**deployment.env(), "JUPYTER_EXP_JOURNAL_DIR": str(project.parent / "j-alice")}
    )
    try:
        assert kernel.run("%load_ext jupyter_exp")[0]["status"] == "ok"
        reply, outputs = kernel.run(CELL.format(experiment=experiment))
        assert reply["status"] == "ok", outputs
    finally:
        kernel.close()
    client = deployment.client()
    [run] = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    return str(run.info.run_id)


def bob_reproduces(deployment: Deployment, project: Path, bob: User, run_id: str) -> tuple[dict, str]:
    kernel = KernelSession(
        project, extra_env={**deployment.env(bob), "JUPYTER_EXP_JOURNAL_DIR": str(project.parent / "j-bob")}
    )
    try:
        assert kernel.run("%load_ext jupyter_exp")[0]["status"] == "ok"
        reply, outputs = kernel.wait(kernel.send(f"%reproduce {run_id} --yes"), timeout=300)
    finally:
        kernel.close()
    return reply, shown(outputs)


def shown(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for output in outputs:
        parts.append(output.get("text", ""))
        parts += [str(v) for k, v in output.get("data", {}).items() if k in ("text/plain", "text/html")]
        parts += output.get("traceback", [])
    return "\n".join(parts)


def test_bob_reproduces_alices_run_into_his_own_experiment(team: tuple[Deployment, Path, User]) -> None:
    deployment, project, bob = team
    experiment = f"alice-nb-{time.time_ns()}"
    run_id = alices_run(deployment, project, experiment)

    reply, text = bob_reproduces(deployment, project, bob, run_id)

    assert reply["status"] == "ok" and "Traceback" not in text and "MlflowException" not in text, text
    assert "exact" in text, text
    client = deployment.client()  # alice reads everything
    assert len(client.search_runs([client.get_experiment_by_name(experiment).experiment_id])) == 1
    own = client.get_experiment_by_name(f"{experiment} (reproductions by bob)")
    assert (
        own is not None
        and own.tags.get("jupyter_exp.reproductions_of") == client.get_run(run_id).info.experiment_id
    )
    [reproduced] = client.search_runs([own.experiment_id])
    tags = reproduced.data.tags
    assert (
        tags["jupyter_exp.reproduced_from"] == run_id and tags["jupyter_exp.reproduction.verdict"] == "exact"
    )
    assert tags["jupyter_exp.reproduced_from.user"] == "alice" and tags["mlflow.user"] == "bob"


def test_a_store_refusal_is_a_failed_verdict_in_one_line(team: tuple[Deployment, Path, User]) -> None:
    """alice made the experiment bob's reproductions would go to: bob may only read it."""
    deployment, project, bob = team
    experiment = f"alice-nb-{time.time_ns()}"
    run_id = alices_run(deployment, project, experiment)
    deployment.client().create_experiment(f"{experiment} (reproductions by bob)")

    reply, text = bob_reproduces(deployment, project, bob, run_id)

    assert reply["status"] == "ok" and "Traceback" not in text and "MlflowException" not in text, text
    assert "failed" in text and "PERMISSION_DENIED" in text, text
    refusal = next(line for line in text.splitlines() if "not recorded:" in line)
    assert "The MLflow store http://127.0.0.1:" in refusal and bob.password not in text
