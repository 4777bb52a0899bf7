"""Kernels this server starts on a gateway (``--GatewayClient.url``) get what jupyter-exp forwards.

A gateway passes on only ``KERNEL_*`` variables, so the start request of every kernel (notebooks, the
REST API, reproductions) carries ``kernels.forwarding``'s ``KERNEL_<NAME>`` copies: the hash seed drawn
for it, the store this server reads (a tracking server; a file on this machine means nothing there), the
replay's context. Nothing else of the launch environment is sent by us.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any

from jupyter_exp.capture.kernel import KERNEL_NAME_ENV
from jupyter_exp.kernels.forwarding import PREFIX, TRACKING_URI_ENV, remote_store_uri, to_kernel_env
from jupyter_exp.kernels.gateway import is_gateway_manager


def gateway_launch_env(env: dict[str, str], store_uri: str, kernel_name: str | None) -> dict[str, str]:
    """The ``env`` handed to a gateway's kernel manager: ``KERNEL_*`` only. The kernelspec name goes with
    it: the kernel cannot tell it from kernelspecs of its own machine."""
    forwarded = dict(env)
    if store_uri:
        forwarded.setdefault(TRACKING_URI_ENV, store_uri)
    if kernel_name:
        forwarded.setdefault(KERNEL_NAME_ENV, kernel_name)
    return {**{k: v for k, v in env.items() if k.startswith(PREFIX)}, **to_kernel_env(forwarded)}


def forward_to_gateway(kernel_manager: Any, store_uri: Callable[[], str], log: logging.Logger) -> None:
    """Wrap ``start_kernel`` of a gateway's kernel manager; any other manager is left as it is."""
    if not is_gateway_manager(kernel_manager):
        return
    if not remote_store_uri(store_uri()):
        log.warning(
            "jupyter-exp: kernels run on a gateway, but the store (%s) is on this machine: their runs go to a "
            "store of their own side; set MLFLOW_TRACKING_URI to a tracking server both sides reach",
            store_uri(),
        )
    start_kernel = kernel_manager.start_kernel

    @functools.wraps(start_kernel)
    async def start_with_forwarding(*args: Any, **kwargs: Any) -> Any:
        env = kwargs.get("env")
        launch_env = dict(os.environ if env is None else env)
        kwargs["env"] = gateway_launch_env(launch_env, store_uri(), kwargs.get("kernel_name"))
        return await start_kernel(*args, **kwargs)

    kernel_manager.start_kernel = start_with_forwarding
