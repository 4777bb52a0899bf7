"""The jupyter_server extension in a real Jupyter server (pytest-jupyter's jp_fetch).

pytest-jupyter's fixtures and its coroutine-test hooks are imported here rather than named in
``pytest_plugins``: pytest refuses ``pytest_plugins`` in a conftest below the rootdir when it is run
as ``pytest tests``, and this keeps the plugin (and its autouse event loop) to tests/server.
pytest-jupyter 0.11 runs ``async def`` tests itself: no pytest-asyncio, no ``asyncio_mode``.

The fixtures several test files share live here: the seeded project, the REST client over it, the served
root. The REST client, waiting on a condition and a server kernel ready to execute are tests/support/server.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403

from tests.deploy.harness import deploy_mode, shared_deployment
from tests.support.server import JupyterExpAPI

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
