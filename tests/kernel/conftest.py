"""Real kernels (nbclient / jupyter_client) writing to a real SQLite MLflow store in a tmp dir.

The helpers are tests/support/kernels.py; the ``project`` and ``kernel_session`` fixtures
tests/support/plugin.py."""

from __future__ import annotations

import os

import pytest

from tests.deploy.harness import deploy_mode, shared_deployment

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module", autouse=True)
def _deployment_emptied() -> None:
    """Against the deployment, each module starts on an empty store (as its module-scoped projects would on
    SQLite files of their own), and this process uses it as the normal user: the tracking URI and
    credentials in its environment, for the replays it starts and the store it reads."""
    if deploy_mode():
        deployment = shared_deployment()
        deployment.reset()
        os.environ.update(deployment.env())
