"""The deployment suite: PostgreSQL + ``mlflow server --app-name basic-auth`` on loopback (harness.py).

``deployment`` gives the running deployment (``tracking_uri``, ``admin`` and ``user`` credentials,
``env()``, ``client()``, ``reset()``, ``stop()``); it fails the tests that use it, with the reason, when a
part cannot be installed or started."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.harness import Deployment, shared_deployment, stop_shared_deployment

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="session")
def deployment() -> Iterator[Deployment]:
    yield shared_deployment()  # a DeploymentError here fails every test that needs it, saying why
    stop_shared_deployment()


@pytest.fixture
def fresh_store(deployment: Deployment) -> Deployment:
    """The deployment with an empty store."""
    deployment.reset()
    return deployment
