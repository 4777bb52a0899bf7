"""The remote-kernel deployment on loopback: the shared ``mlflow server`` (tests/deploy: PostgreSQL and
basic auth), an Enterprise Gateway whose own kernelspec stands in for a GPU kernel, a recording proxy in
front of it, and a Jupyter server started with ``--GatewayClient.url``. Where a part cannot start, the
suite fails and says why."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.harness import Deployment, shared_deployment
from tests.gateway.enterprise_gateway import EnterpriseGateway
from tests.gateway.jupyter_server import JupyterServer
from tests.gateway.recording_proxy import RecordingProxy

GPU_KERNEL = "gpu-sim"
MARKER_ENV = "JX_TEST_GPU_MARKER"  # set by the gateway's kernelspec only
# what the test process may have that must not leak into the parts started here
LOCAL_NAMES = ("MLFLOW_", "JUPYTER_EXP_", "JPY_", "KERNEL_", "JUPYTER_GATEWAY_", "PYTHONHASHSEED")


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(LOCAL_NAMES)} | {
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        # jupyter_server's gateway client waits this long for a kernel and asks the gateway to (default 40 s):
        # generous, for a machine busy with other work
        "KERNEL_LAUNCH_TIMEOUT": "240",
    }


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
