"""The remote-kernel deployment on loopback: the shared ``mlflow server`` (tests/deploy: PostgreSQL and
basic auth), an Enterprise Gateway whose own kernelspec stands in for a GPU kernel, a recording proxy in
front of it, and a Jupyter server started with ``--GatewayClient.url``. Where a part cannot start, the
suite fails and says why."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.harness import Deployment, shared_deployment
from tests.gateway.enterprise_gateway import EnterpriseGateway
from tests.gateway.environment import GPU_KERNEL, MARKER_ENV, clean_env
from tests.gateway.jupyter_server import JupyterServer
from tests.gateway.recording_proxy import RecordingProxy


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return shared_deployment()


@pytest.fixture(scope="module")
def marker() -> str:
    return f"gpu-node-{secrets.token_hex(6)}"


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, deployment: Deployment, marker: str
) -> Iterator[EnterpriseGateway]:
    """The remote side: its kernels get the store's credentials from the gateway's own environment
    (``EG_INHERITED_ENVS``), never from a request."""
    remote_env = {
        **deployment.user.env(),
        "EG_INHERITED_ENVS": "MLFLOW_TRACKING_USERNAME,MLFLOW_TRACKING_PASSWORD,PATH,HOME",
    }
    gateway = EnterpriseGateway(
        tmp_path_factory.mktemp("gateway"), {GPU_KERNEL: {MARKER_ENV: marker}}, env=remote_env
    )
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture(scope="module")
def proxy(gateway: EnterpriseGateway) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy(gateway.url)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def ws_url(gateway: EnterpriseGateway) -> str:
    return gateway.url.replace("http://", "ws://")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("project")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    root: Path,
    deployment: Deployment,
    proxy: RecordingProxy,
    ws_url: str,
) -> Iterator[JupyterServer]:
    """The user's Jupyter server: kernels on the gateway, the sidebar on the shared store."""
    server = JupyterServer(
        root,
        tmp_path_factory.mktemp("server-home"),
        [f"--GatewayClient.url={proxy.url}", f"--GatewayClient.ws_url={ws_url}"],
        clean_env() | deployment.env(),
    )
    server.start()
    yield server
    server.stop()
