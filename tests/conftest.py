"""What every suite shares: no network from MLflow, no idle MLflow job runners, each module's store
settings its own, and the fixtures of tests/support/plugin.py (``project``, ``kernel_session``, ``browser``);
the helpers are imported from tests/support, never from another suite's conftest or test module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Only the rootdir conftest may name plugins (pytest refuses pytest_plugins further down).
pytest_plugins = ["tests.support.plugin"]

# Set in the environment, not per test: kernels, servers and subprocesses the tests start inherit it.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

# MLflow 3's `mlflow server` also starts a job runner and seven huey consumers (~240 MB each) for GenAI jobs that
# no test uses; on a 2-core machine they slow every test that starts a server.
os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")

STORE_VARIABLES = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
)


@pytest.fixture(scope="module", autouse=True)
def _store_environment_restored() -> Iterator[None]:
    """A module that talks to a store with credentials sets them in this process's environment (MLflow's
    HTTP client reads them only there); the next module gets the environment back as it was, or its kernels
    would run as that store's user (and refuse to replay their own runs as another user's)."""
    saved = {name: os.environ.get(name) for name in STORE_VARIABLES}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
