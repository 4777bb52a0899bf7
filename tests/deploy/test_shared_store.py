"""``%%track`` against a team's store: ``mlflow server`` on PostgreSQL, proxied artifacts, basic auth on."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException

from tests.deploy.harness import Deployment, User, stored_files
from tests.support.kernels import KernelSession, all_runs, make_project

STEPS = 300

TRAINING = (
    "%%track --name shared --seed 3\n"
    "lr = 0.05\n"
    "for step in range(STEPS):\n"
    '    jupyter_exp.log(step=step, **{"train/loss": 1 / (1 + step * lr), "train/acc": step / STEPS})\n'
    'mlflow.log_text("hello", "notes/hello.txt")\n'
    'print("trained")'
)
WAIT_FOR_RUNS = "assert jupyter_exp.wait_for_runs(120)"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="module")
def tracked(deployment: Deployment, project: Path):
    """One tracked cell run by a kernel that has the normal user's credentials (and a token) in its
    environment, on an empty store; the run as the store has it."""
    deployment.reset()
    token = "tok-" + deployment.user.password[::-1]  # honoured by MLflow; must not be recorded either
    kernel = KernelSession(
        project,
        extra_env={
            **deployment.env(),
            "MLFLOW_TRACKING_TOKEN": token,
            "JUPYTER_EXP_JOURNAL_DIR": str(project.parent / "journal"),
        },
    )
    try:
        for code in ("%load_ext jupyter_exp", f"import jupyter_exp, mlflow\nSTEPS = {STEPS}"):
            reply, outputs = kernel.run(code)
            assert reply["status"] == "ok", outputs
        reply, outputs = kernel.wait(kernel.send(TRAINING))  # not run(): it would settle silently
        assert reply["status"] == "ok", outputs
        # The run ends on the finisher thread while the next cells run: MLflow's "View run ..." console
        # links must not land in them (the user's cells print what they would untracked).
        after = [kernel.wait(kernel.send(code)) for code in (WAIT_FOR_RUNS, "print('next')")]
        assert [reply["status"] for reply, _ in after] == ["ok", "ok"], after
        printed = "".join(o.get("text", "") for _, outputs in [(reply, outputs), *after] for o in outputs)
        assert "trained" in printed and "next" in printed and "View run" not in printed, printed
    finally:
        kernel.close()
    client = deployment.client()
    runs = all_runs(client)
    assert [r.info.run_name for r in runs] == ["shared"]
    return deployment, client, runs[0], token


def test_tracked_run_lands_in_the_shared_store(tracked, project):
    deployment, client, run, _ = tracked
    assert run.info.status == "FINISHED"
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")  # the server's proxy, no local path
    for key in ("train/loss", "train/acc"):
        history = client.get_metric_history(run.info.run_id, key)
        assert sorted(m.step for m in history) == list(range(STEPS))
    assert run.data.tags["mlflow.user"]  # who ran it, for the sidebar's "mine"
    files = stored_files(client, run.info.run_id)
    assert files["notes/hello.txt"] == b"hello"
    assert "jupyter_exp/cell.py" in files and b"jupyter_exp.log" in files["jupyter_exp/cell.py"]
    assert json.loads(files["jupyter_exp/environment.json"])  # the record's documents went through the proxy
    on_server = {p.name for p in (deployment.server.folder / "artifacts").rglob("*") if p.is_file()}
    assert {"hello.txt", "cell.py"} <= on_server  # kept by the server, not in the project
    assert not (project / "mlartifacts").exists() and not (project / "mlflow.db").exists()


def test_credentials_never_enter_the_record(tracked, project):
    deployment, client, run, token = tracked
    secrets = [deployment.user.password, deployment.admin.password, token]
    files = stored_files(client, run.info.run_id)
    assert files, "the run has no artifacts to search"
    where = {
        "params": json.dumps(run.data.params),
        "tags": json.dumps(run.data.tags),
        "metrics": json.dumps(run.data.metrics),
        **{f"artifact {name}": data.decode("utf-8", "replace") for name, data in files.items()},
    }
    local = [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]
    where |= {f"project file {p}": p.read_text(errors="replace") for p in local}
    journal = project.parent / "journal"
    where |= {f"journal {p}": p.read_text(errors="replace") for p in journal.rglob("*") if p.is_file()}
    for secret in secrets:
        leaks = [name for name, text in where.items() if secret in text]
        assert leaks == [], f"a credential was written into {leaks}"
    assert "MLFLOW_TRACKING_PASSWORD" not in where["artifact jupyter_exp/environment.json"]


def test_the_store_refuses_requests_without_credentials(deployment, monkeypatch):
    from mlflow import MlflowClient

    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MlflowException) as refused:
        MlflowClient(deployment.tracking_uri).search_experiments()
    assert "401" in str(refused.value)


def test_a_user_the_store_refuses_gets_one_line_and_nothing_runs(deployment: Deployment, project: Path):
    """bob may read alice's experiment but not write to it (the store's default permission is READ); with a
    wrong password he may do nothing. Each is one UsageError line naming the store's answer; no run, no
    journal entry, the cell not executed."""
    alice = deployment.client()
    experiment = f"alice-only-{time.time_ns()}"
    experiment_id = alice.create_experiment(experiment)
    bob = deployment.ensure_user(User("bob", secrets.token_urlsafe(18)))
    journal = project.parent / "journal-bob"
    cases = [
        (bob, f"%%track --experiment {experiment}", ["PERMISSION_DENIED", "'bob'", "EDIT permission"]),
        (bob, f"%%track --seeds 1,2 --experiment {experiment}", ["PERMISSION_DENIED", "'bob'"]),  # the parent
        (User("bob", "not-his-password"), "%%track", ["UNAUTHENTICATED", "MLFLOW_TRACKING_PASSWORD"]),
    ]
    for who, magic, expected in cases:
        kernel = KernelSession(
            project, extra_env={**deployment.env(who), "JUPYTER_EXP_JOURNAL_DIR": str(journal)}
        )
        try:
            reply, outputs = kernel.run("%load_ext jupyter_exp\nexecuted = False")
            assert reply["status"] == "ok", outputs
            reply, outputs = kernel.run(f"{magic}\nexecuted = True")
            assert reply["status"] == "error" and reply["ename"] == "UsageError", (magic, reply, outputs)
            message = reply["evalue"].strip()
            assert "\n" not in message and message.startswith("The MLflow store http://127.0.0.1:"), message
            assert all(part in message for part in expected), (expected, message)
            assert who.password not in message and deployment.user.password not in message
            shown = [line for o in outputs for line in o.get("traceback", []) if line.strip()]
            assert len(shown) <= 1, shown  # IPython shows a UsageError as its message alone
            _, outputs = kernel.run("print(executed)")
            assert "".join(o.get("text", "") for o in outputs) == "False\n", outputs
        finally:
            kernel.close()
    assert alice.search_runs([experiment_id]) == []
    assert not journal.exists() or [p for p in journal.rglob("*") if p.is_file()] == []
