"""The jupyter_server extension in a real Jupyter server (pytest-jupyter's jp_fetch).

pytest-jupyter's fixtures and its coroutine-test hooks are imported here rather than named in
``pytest_plugins``: pytest refuses ``pytest_plugins`` in a conftest below the rootdir when it is run
as ``pytest tests``, and this keeps the plugin (and its autouse event loop) to tests/server.
pytest-jupyter 0.11 runs ``async def`` tests itself: no pytest-asyncio, no ``asyncio_mode``.

What several test files share lives here: the seeded project, the REST client over it, the served root,
a server kernel ready to execute, and one way to wait on a condition (generous deadlines, no fixed sleeps).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403

from tests.deploy.harness import deploy_mode, shared_deployment

from .seeding import Seeded, seed_project


@pytest.fixture
def jp_server_config():  # overrides pytest-jupyter's
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_exp": True, "jupyter_server_terminals": False},
            "allow_unauthenticated_access": False,
        }
    }


@pytest.fixture(autouse=True)
def _clean_store_env(monkeypatch):
    """The server must resolve the store itself; the extension's export is undone after each test.
    Against the deployment (``JUPYTER_EXP_TEST_STORE=deploy``) its store is the team server, as the
    normal user."""
    for name in ("MLFLOW_TRACKING_URI", "JUPYTER_EXP_ROOT"):
        monkeypatch.setenv(name, "unset-by-test")  # recorded, so teardown restores the original
        monkeypatch.delenv(name)
    if deploy_mode():
        for name, value in shared_deployment().env().items():
            monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def seeded(request, tmp_path_factory) -> Seeded:
    """A project with real tracked runs, seeded once per test module (its tests may add runs to it)."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    return seed_project(tmp_path_factory.mktemp(name) / "project")


class JupyterExpAPI:
    """The extension's routes under ``/jupyter-exp/`` through ``jp_fetch``; answers parsed from JSON."""

    def __init__(self, fetch: Callable[..., Awaitable[Any]]) -> None:
        self.fetch = fetch

    async def __call__(
        self, path: str, params: dict | None = None, method: str = "GET", body: object = None
    ) -> Any:
        return (await self.answer(path, params, method, body))[1]

    async def post(self, path: str, body: object = None) -> tuple[int, Any]:
        """A POST: its status code and its answer."""
        return await self.answer(path, None, "POST", body)

    async def answer(self, path: str, params: dict | None, method: str, body: object) -> tuple[int, Any]:
        pairs = [(k, v) for k, vs in (params or {}).items() for v in (vs if isinstance(vs, list) else [vs])]
        kwargs: dict[str, Any] = {"method": method, "params": pairs}
        if method == "POST":
            kwargs["body"] = json.dumps(body if body is not None else {})
        response = await self.fetch("jupyter-exp", *path.split("/"), **kwargs)
        return response.code, json.loads(response.body)


@pytest.fixture
def api(jp_fetch, seeded, monkeypatch) -> JupyterExpAPI:
    """The REST API of a server whose store is the seeded one."""
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(seeded.root))
    return JupyterExpAPI(jp_fetch)


@pytest.fixture
def served_root(jp_root_dir, monkeypatch) -> Path:
    """The server's root as the project: its kernels (which inherit the variable) record there."""
    root = Path(jp_root_dir).resolve()
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(root))
    return root


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 60, what: str = "the condition", every: float = 0.25
) -> Any:
    """Poll ``predicate`` (a coroutine function, or a blocking function run on a thread) until it
    returns something true, and return that; fail after ``timeout`` seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        if inspect.iscoroutinefunction(predicate):
            value = await predicate()
        else:
            value = await asyncio.to_thread(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(every)


async def ready_kernel(manager: Any, **start: Any) -> tuple[str, Any]:
    """A kernel started by the server's kernel manager and a client whose channels are up and ready."""
    kernel_id = await manager.start_kernel(kernel_name="python3", **start)
    client = manager.get_kernel(kernel_id).client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    return kernel_id, client
