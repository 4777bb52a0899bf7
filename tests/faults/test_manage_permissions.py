"""Run management against a tracking server's own permissions (``mlflow server --app-name basic-auth``, every
user READ by default, as the README's team setup): managing a teammate's run is refused with one line naming
what was refused, and nothing of the run changes; one's own run is managed as usual."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from jupyter_exp.tracking.manage import Forbidden, delete_run, rename_run, update_tags
from tests.faults.mlflow_server import MlflowServer

pytestmark = pytest.mark.slow
ADMIN = ("admin", "admin-password-1234")
USERS = {"alice": "alice-password-1234", "bob": "bob-password-1234"}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[MlflowServer]:
    import base64
    import json
    import urllib.request

    folder = tmp_path_factory.mktemp("auth")
    config = folder / "basic_auth.ini"
    config.write_text(
        "[mlflow]\ndefault_permission = READ\n"
        f"database_uri = sqlite:///{folder / 'auth.db'}\n"
        f"admin_username = {ADMIN[0]}\nadmin_password = {ADMIN[1]}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    server = MlflowServer(
        folder / "mlflow",
        app_name="basic-auth",
        env={"MLFLOW_AUTH_CONFIG_PATH": str(config), "MLFLOW_FLASK_SERVER_SECRET_KEY": "s" * 32},
    )
    server.start(timeout=180)
    token = base64.b64encode(":".join(ADMIN).encode()).decode()
    for name, password in USERS.items():
        request = urllib.request.Request(
            server.uri + "/api/2.0/mlflow/users/create",
            data=json.dumps({"username": name, "password": password}).encode(),
            method="POST",
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=60).close()
    yield server
    server.stop()


def client_of(server: MlflowServer, user: str, monkeypatch: pytest.MonkeyPatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", USERS[user])
    return MlflowClient(server.uri)


def test_a_teammates_run_is_refused_in_one_line_and_left_as_it_was(server, monkeypatch):
    alice = client_of(server, "alice", monkeypatch)
    experiment = alice.create_experiment(f"alice-{os.getpid()}")
    run = alice.create_run(experiment, run_name="alices-run")
    run_id = run.info.run_id
    alice.set_terminated(run_id)

    bob = client_of(server, "bob", monkeypatch)
    for action, call in [
        ("rename", lambda: rename_run(bob, run_id, "bobs-now")),
        ("tag", lambda: update_tags(bob, run_id, {"stage": "x"}, [])),
        ("delete", lambda: delete_run(bob, run_id)),
    ]:
        with pytest.raises(Forbidden) as refused:
            call()
        message = str(refused.value)
        assert "\n" not in message and f"you {action}" in message and run_id in message
        assert Forbidden.http_status == 403

    alice = client_of(server, "alice", monkeypatch)
    after = alice.get_run(run_id)
    assert after.info.run_name == "alices-run" and "stage" not in after.data.tags
    assert after.info.lifecycle_stage == "active"
    assert rename_run(alice, run_id, "renamed-by-alice") == "renamed-by-alice"  # her own: allowed
