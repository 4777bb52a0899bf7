"""The jupyter_server extension in a real Jupyter server (pytest-jupyter's jp_fetch).

pytest-jupyter's fixtures and its coroutine-test hooks are imported here rather than named in
``pytest_plugins``: pytest refuses ``pytest_plugins`` in a conftest below the rootdir when it is run
as ``pytest tests``, and this keeps the plugin (and its autouse event loop) to tests/server.
pytest-jupyter 0.11 runs ``async def`` tests itself: no pytest-asyncio, no ``asyncio_mode``.
"""

from __future__ import annotations

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403


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
    """The server must resolve the store itself; the extension's export is undone after each test."""
    for name in ("MLFLOW_TRACKING_URI", "JUPYTER_EXP_ROOT"):
        monkeypatch.setenv(name, "unset-by-test")  # recorded, so teardown restores the original
        monkeypatch.delenv(name)
