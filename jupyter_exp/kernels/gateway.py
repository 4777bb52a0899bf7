"""Replay kernels on a Jupyter Enterprise Gateway, for ``%reproduce`` (a kernel, no Jupyter server).

The gateway's REST API starts the kernel (the request body written here, so that only what
``kernels.forwarding`` lists travels) and jupyter_server's ``GatewayKernelManager``/``GatewayKernelClient``
drive it over the gateway's websocket, as a Jupyter server started with ``--GatewayClient.url`` does.
Everything else of ``GatewayClient`` applies as its ``JUPYTER_GATEWAY_*`` variables in the kernel's
environment say (auth token, headers, certificates, ``JUPYTER_GATEWAY_WS_URL``).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from jupyter_core.utils import run_sync

from jupyter_exp.errors import UpstreamFailure
from jupyter_exp.kernels.forwarding import WORKING_DIR_ENV, to_kernel_env
from jupyter_exp.reproduce.errors import ReproduceError
from jupyter_exp.reproduce.replay_kernel import check_kernelspec

GATEWAY_URL_ENV = "JUPYTER_GATEWAY_URL"  # GatewayClient's own variable


class GatewayUnavailable(ReproduceError, UpstreamFailure):
    """The gateway could not be reached or refused a request (502)."""


def is_gateway_manager(kernel_manager: Any) -> bool:
    """Whether a Jupyter server's kernel manager starts its kernels on a gateway (``--GatewayClient.url``)."""
    from jupyter_server.gateway.managers import GatewayMappingKernelManager

    return isinstance(kernel_manager, GatewayMappingKernelManager)


def gateway_url(explicit: str | None = None) -> str | None:
    """``--gateway URL``, else ``JUPYTER_GATEWAY_URL``; None: replay kernels are local."""
    url = (explicit or os.environ.get(GATEWAY_URL_ENV, "")).strip().rstrip("/")
    return url or None


def request_env(env: dict[str, str], cwd: str) -> dict[str, str]:
    """The ``env`` of the gateway's start request: the forwarded variables and the gateway's own."""
    sent = to_kernel_env(env)
    sent[WORKING_DIR_ENV] = cwd
    for name in ("KERNEL_USERNAME", "KERNEL_LAUNCH_TIMEOUT"):  # the gateway's, as jupyter_server sends them
        if os.environ.get(name):
            sent[name] = os.environ[name]
    return sent


def _client(url: str) -> Any:
    from jupyter_server.gateway.gateway_client import GatewayClient

    client = GatewayClient.instance()
    if client.url != url:
        client.url = url
        if not os.environ.get("JUPYTER_GATEWAY_WS_URL"):
            client.ws_url = None  # derived from the url again (ws:// for http://)
            client.ws_url = client._ws_url_default()
    return client


def _error_text(error: BaseException) -> str:
    log_message = getattr(error, "log_message", None)
    if log_message:
        try:
            return str(log_message % getattr(error, "args", ()))
        except TypeError:
            return str(log_message)
    return f"{type(error).__name__}: {error}"


async def _request(url: str, path: str, **kwargs: Any) -> Any:
    from jupyter_server.gateway.gateway_client import gateway_request
    from jupyter_server.utils import url_path_join

    _client(url)
    try:
        response = await gateway_request(url_path_join(url, path), **kwargs)
    except Exception as error:  # tornado's HTTPError, refused connections, DNS failures
        raise GatewayUnavailable(f"Enterprise Gateway at {url}: {_error_text(error)}") from None
    return json.loads(response.body) if response.body else None


def _quiet_client_class() -> type:
    from jupyter_server.gateway.managers import GatewayKernelClient

    class QuietGatewayKernelClient(GatewayKernelClient):
        """``ChannelQueue.get_msg`` polls with ``asyncio.sleep(0)``, a core busy while a long cell runs:
        the replay waits on the queue from a thread instead."""

        async def get_iopub_msg(self, timeout: float | None = None) -> dict[str, Any]:
            # raises queue.Empty past the timeout, as the replay expects of every client
            return await asyncio.to_thread(self.iopub_channel.get, True, timeout)

    return QuietGatewayKernelClient


class GatewayKernelLauncher:
    """Starts replay kernels on the Enterprise Gateway at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def names(self) -> list[str]:
        client = _client(self.url)
        found = run_sync(_request)(self.url, client.kernelspecs_endpoint, method="GET")
        return sorted(found.get("kernelspecs", {}))

    def check(self, kernel_name: str) -> None:
        check_kernelspec(kernel_name, self.names(), f"on the gateway {self.url}")

    async def start(self, kernel_name: str, cwd: str, env: dict[str, str]) -> tuple[Any, Any]:
        from jupyter_server.gateway.managers import GatewayKernelManager

        client = _client(self.url)
        body = json.dumps({"name": kernel_name, "env": request_env(env, cwd)})
        model = await _request(
            self.url,
            client.kernels_endpoint,
            method="POST",
            headers={"Content-Type": "application/json"},
            body=body,
        )
        manager = GatewayKernelManager(client_factory=_quiet_client_class())
        try:
            await manager.start_kernel(kernel_id=model["id"])  # attaches to the kernel the gateway started
        except BaseException:  # not left running on the gateway
            await _request(self.url, f"{client.kernels_endpoint.rstrip('/')}/{model['id']}", method="DELETE")
            raise
        return manager, manager.client()

    async def shutdown(self, manager: Any) -> None:
        await manager.shutdown_kernel(now=True)
