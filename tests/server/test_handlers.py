"""REST handlers under /jupyter-exp/ of a real Jupyter server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_exp import __version__


async def test_store_reports_the_server_root(jp_fetch, jp_serverapp, jp_root_dir):
    response = await jp_fetch("jupyter-exp", "store")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = json.loads(response.body)
    root = Path(jp_serverapp.root_dir).expanduser().resolve()
    assert root == Path(jp_root_dir).resolve()
    assert body["root"] == str(root)
    assert body["tracking_uri"] == f"sqlite:///{root}/mlflow.db"
    assert body["artifact_root"] == str(root / "mlartifacts")
    assert body["version"] == __version__
    # ... and the same root is exported to the kernels this server starts.
    assert os.environ["JUPYTER_EXP_ROOT"] == str(root)


async def test_store_follows_mlflow_tracking_uri(jp_fetch, jp_serverapp, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    body = json.loads((await jp_fetch("jupyter-exp", "store")).body)
    assert body["tracking_uri"] == "http://127.0.0.1:5999"
    assert body["artifact_root"] is None
    assert body["root"] == str(Path(jp_serverapp.root_dir).resolve())


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("postgresql://user:s3cr3tpw@127.0.0.1:1/mlflow", "postgresql://user:***@127.0.0.1:1/mlflow"),
        ("https://user:s3cr3tpw@127.0.0.1:1", "https://user:***@127.0.0.1:1"),
    ],
)
async def test_store_never_returns_credentials(jp_fetch, monkeypatch, uri, shown):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    response = await jp_fetch("jupyter-exp", "store")
    assert b"s3cr3tpw" not in response.body
    body = json.loads(response.body)
    assert body["tracking_uri"] == shown
    assert body["ui_url"] in (None, "https://127.0.0.1:1")


@pytest.mark.parametrize("authorization", ["", "token not-the-token"])
async def test_store_needs_the_token(jp_fetch, authorization):
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("jupyter-exp", "store", headers={"Authorization": authorization})
    assert error.value.code in (401, 403)
    body = error.value.response.body.decode() if error.value.response is not None else ""
    assert "mlflow.db" not in body and "tracking_uri" not in body


async def test_unknown_route_is_404(jp_fetch):
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("jupyter-exp", "no-such-route")
    assert error.value.code == 404


async def test_server_api_still_works_with_the_extension(jp_fetch):
    # A control for the 403/404 tests: the token the fixtures send is accepted by the server.
    response = await jp_fetch("api", "status")
    assert response.code == 200
    assert "started" in json.loads(response.body)
