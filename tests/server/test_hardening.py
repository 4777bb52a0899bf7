"""The server extension the jupyter_server way: an ExtensionApp that stops cleanly, every route
authenticated and authorized, and bad input a one-line 400 (502 only for a store that failed)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth import Authorizer
from tornado.httpclient import HTTPClientError

from jupyter_exp.server import JupyterExpApp
from jupyter_exp.server.handlers import AUTH_RESOURCE
from jupyter_exp.server.handlers import ROUTES as READ_ROUTES
from jupyter_exp.server.model_handlers import ROUTES as MODEL_ROUTES
from jupyter_exp.server.run_handlers import ROUTES as RUN_ROUTES
from jupyter_exp.server.sweep_handlers import ROUTES as SWEEP_ROUTES
from tests.support.git import init_repo
from tests.support.kernels import all_runs, run_notebook, store
from tests.support.server import wait_for

ROUTES = READ_ROUTES + RUN_ROUTES + MODEL_ROUTES + SWEEP_ROUTES  # the route tables the extension serves
HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete")


class Policy(Authorizer):
    """An authorizer that refuses what the test puts in ``denied``: (action, resource) pairs."""

    denied: set[tuple[str, str]] = set()

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return (action, resource) not in self.denied and ("*", resource) not in self.denied


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_exp": True, "jupyter_server_terminals": False},
            "allow_unauthenticated_access": False,
            "authorizer_class": Policy,
        },
        "JupyterExpApp": {"reaper_interval_s": 3600.0},
        "JupyterExp": {"stale_after_s": 123.0},  # the old place: still applies, with a warning
    }


@pytest.fixture
def deny() -> Iterator[set[tuple[str, str]]]:
    Policy.denied = set()
    yield Policy.denied
    Policy.denied = set()


def extension(serverapp: Any) -> JupyterExpApp:
    app = serverapp.extension_manager.extension_points["jupyter_exp"].app
    assert isinstance(app, JupyterExpApp)
    return app


def layers(method: Any) -> list[str]:
    """The qualified names of a method's decorator wrappers, outermost first."""
    found = []
    while method is not None:
        found.append(method.__code__.co_qualname)
        method = getattr(method, "__wrapped__", None)
    return found


def served_routes(serverapp: Any) -> list[tuple[str, type]]:
    """What the running server really routes under /jupyter-exp/."""
    found = []
    for host in serverapp.web_app.default_router.rules:
        for rule in getattr(host.target, "rules", []):
            pattern = getattr(rule.matcher, "regex", None)
            if pattern is not None and "/jupyter-exp/" in pattern.pattern:
                found.append((pattern.pattern, rule.target))
    return found


def test_every_route_is_authenticated_and_authorized(jp_serverapp):
    served = served_routes(jp_serverapp)
    assert {handler for _, handler in served} == {handler for _, handler in ROUTES}  # nothing unlisted
    missing = []
    for pattern, handler in served:
        if getattr(handler, "auth_resource", None) != AUTH_RESOURCE:
            missing.append(f"{pattern} ({handler.__name__}): no auth_resource")
        for name in HTTP_METHODS:
            method = handler.__dict__.get(name)
            if method is None:
                continue
            chain = layers(method)
            if not any(n.startswith("authenticated.") for n in chain):
                missing.append(f"{name.upper()} {pattern}: not @authenticated")
            if not any(n.startswith("authorized.") for n in chain):
                missing.append(f"{name.upper()} {pattern}: not @authorized")
    assert missing == []


def requests_of(routes: list[tuple[str, type]]) -> list[tuple[str, list[str]]]:
    """One request per route and method, with placeholder ids in the patterns."""
    found = []
    for route, handler in routes:
        parts = route.replace("(?P<run_id>[^/]+)", "r1").replace("(?P<job_id>[0-9a-f]+)", "ab12")
        parts = parts.replace("(?P<name>[^/]+)", "n1").split("/")
        for name in HTTP_METHODS:
            if name in handler.__dict__:
                found.append((name.upper(), parts))
    return found


async def test_an_authorizer_refusing_the_resource_refuses_every_route(jp_fetch, deny):
    deny.add(("*", AUTH_RESOURCE))
    requests = requests_of(ROUTES)
    assert len(requests) >= 17  # every route of both tables, each method
    for method, parts in requests:
        body = "{}" if method == "POST" else None
        with pytest.raises(HTTPClientError) as error:
            await jp_fetch("jupyter-exp", *parts, method=method, body=body)
        assert error.value.code == 403, (method, parts)
        assert AUTH_RESOURCE in json.loads(error.value.response.body)["message"]


async def test_starting_a_reproduction_needs_kernel_execute(jp_fetch, deny):
    deny.add(("execute", "kernels"))
    assert (await jp_fetch("jupyter-exp", "reproductions")).code == 200  # reading jobs is fine
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("jupyter-exp", "reproductions", method="POST", body=json.dumps({"run_id": "r1"}))
    assert error.value.code == 403
    assert json.loads(error.value.response.body)["message"].endswith("execute on resource: kernels.")
    deny.clear()
    with pytest.raises(HTTPClientError) as error:  # allowed: on to the request itself (no such run)
        await jp_fetch("jupyter-exp", "reproductions", method="POST", body=json.dumps({"run_id": "r1"}))
    assert error.value.code == 404


BAD_INPUT = [
    ("GET", ["runs"], {"page_token": "W10="}, None, "page token"),  # base64 of []
    ("GET", ["runs"], {"page_token": "bnVsbA=="}, None, "page token"),  # base64 of null
    ("GET", ["runs"], {"page_token": "e30"}, None, "page token"),  # not padded
    ("GET", ["runs"], {"filter": "attributes.start_time > 99999999999999999999"}, None, "out of range"),
    ("GET", ["runs"], {"filter": "metrics.loss < -9223372036854775809"}, None, "out of range"),
    ("POST", ["reproductions"], {}, "[" * 100_000 + "]" * 100_000, "must be JSON"),
    ("POST", ["reproductions"], {}, '{"run_id": ' + "[" * 50_000 + "]" * 50_000 + "}", "must be JSON"),
]


@pytest.mark.parametrize(("method", "parts", "params", "body", "message"), BAD_INPUT)
async def test_bad_input_is_a_one_line_400_without_a_traceback(
    jp_fetch, caplog, method, parts, params, body, message
):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("jupyter-exp", *parts, method=method, params=params, body=body)
    assert error.value.code == 400
    answer = json.loads(error.value.response.body)
    assert message in answer["message"] and "\n" not in answer["message"]
    assert "object has no attribute" not in answer["message"] and "SQLite" not in answer["message"]
    assert [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()] == []


async def test_ordinary_filters_and_tokens_still_work(jp_fetch):
    big_but_fine = {"filter": "attributes.start_time > 9223372036854775807"}  # 2**63 - 1
    assert (await jp_fetch("jupyter-exp", "runs", params=big_but_fine)).code == 200
    token = "eyJvZmZzZXQiOiAxfQ=="  # base64 of {"offset": 1}, what MLflow hands out
    answer = json.loads((await jp_fetch("jupyter-exp", "runs", params={"page_token": token})).body)
    assert answer["runs"] == []


async def test_a_store_that_really_fails_is_still_502(jp_fetch, monkeypatch, tmp_path):
    broken = tmp_path / "mlflow.db"
    broken.write_bytes(b"not a database" * 100)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{broken}")
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch("jupyter-exp", "runs")
    assert error.value.code == 502
    assert "not an SQLite database" in json.loads(error.value.response.body)["message"]


def test_traits_are_the_apps_and_the_old_ones_still_apply(jp_serverapp):
    app = extension(jp_serverapp)
    assert app.reaper_interval_s == 3600.0  # c.JupyterExpApp.*
    assert app.stale_after_s == 123.0  # c.JupyterExp.stale_after_s, deprecated
    reaper = jp_serverapp.web_app.settings["jupyter_exp_reaper"]
    assert (reaper.interval_s, reaper.stale_after_s) == (3600.0, 123.0)
    assert app.log is jp_serverapp.log


@pytest.fixture
def held(tmp_path: Path) -> tuple[Path, str]:
    """A project with one recorded run whose replay waits while HOLD names an existing file."""
    root = tmp_path / "held"
    root.mkdir()
    init_repo(root)
    sources = [
        "%load_ext jupyter_exp",
        "%%track --name held\nimport os, time\nwhile os.path.exists(os.environ.get('HOLD', '')):\n"
        "    time.sleep(0.05)\nprint('released')",
    ]
    run_notebook(root / "held.ipynb", sources, root)
    (run,) = all_runs(store(root))
    return root, run.info.run_id


async def test_stop_extension_stops_the_reaper_and_cancels_running_jobs(
    jp_fetch, jp_serverapp, held, monkeypatch, tmp_path
):
    root, run_id = held
    hold = tmp_path / "hold"
    hold.write_text("")
    monkeypatch.setenv("HOLD", str(hold))
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(root))
    kernels_before = set(jp_serverapp.kernel_manager.list_kernel_ids())
    body = json.dumps({"run_id": run_id})
    job_id = json.loads((await jp_fetch("jupyter-exp", "reproductions", method="POST", body=body)).body)["id"]

    async def at_the_held_cell() -> bool:
        progress = json.loads((await jp_fetch("jupyter-exp", "reproductions", job_id)).body)["progress"]
        return bool(progress["current"] and progress["total"] and progress["done"] == progress["total"] - 1)

    await wait_for(at_the_held_cell, 180, "the replay to run the held (last) cell", every=0.1)
    app = extension(jp_serverapp)
    assert app.reaper._periodic is not None
    await app.stop_extension()
    assert app.reaper._periodic is None
    job = app.jobs.get(job_id)
    assert job.state == "cancelled"
    assert set(jp_serverapp.kernel_manager.list_kernel_ids()) == kernels_before  # the replay kernel is gone
    reproduced = [r for r in all_runs(store(root)) if r.info.run_id != run_id]
    assert all(r.info.status != "RUNNING" for r in reproduced)
    assert hold.exists()  # it was stopped, not released
