"""The replay kernels of the sidebar's reproductions: started by the Jupyter server's own kernel manager,
so they are local kernels or, on a server configured with a gateway, remote ones."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

from jupyter_exp.kernels.gateway import is_gateway_manager
from jupyter_exp.reproduce.replay_kernel import check_kernelspec


class ServerKernelLauncher:
    """Kernels started by the Jupyter server's kernel manager (local or, with a gateway, remote)."""

    def __init__(self, kernel_manager: Any) -> None:
        self.kernel_manager = kernel_manager

    @property
    def shares_journal(self) -> bool:
        """Its local kernels run on this machine as this user: the server delivers their reproduced runs
        (``reproduce/handover.py``); a gateway's kernels deliver their own."""
        return not is_gateway_manager(self.kernel_manager)

    def names(self) -> list[str]:
        specs = self.kernel_manager.kernel_spec_manager.get_all_specs
        if inspect.iscoroutinefunction(specs):  # a gateway's kernelspec manager asks it over HTTP
            # called on a worker thread (asyncio.to_thread), never on the server's loop: a loop of its own
            # (jupyter_core's run_sync would reach for the server's running loop from here)
            return sorted(asyncio.run(specs()))
        return sorted(specs())

    def check(self, kernel_name: str) -> None:
        where = "on the gateway" if is_gateway_manager(self.kernel_manager) else "available"
        check_kernelspec(kernel_name, self.names(), where)

    async def start(self, kernel_name: str, cwd: str, env: dict[str, str]) -> tuple[Any, Any]:
        where: dict[str, str] = {"cwd": cwd}
        try:  # the server places kernels by API path, relative to its root
            root = Path(self.kernel_manager.root_dir).expanduser().resolve()
            where = {"path": Path(cwd).resolve().relative_to(root).as_posix()}
        except (AttributeError, ValueError):
            pass
        kernel_id = await self.kernel_manager.start_kernel(kernel_name=kernel_name, env=env, **where)
        manager = self.kernel_manager.get_kernel(kernel_id)
        return manager, manager.client()

    async def shutdown(self, manager: Any) -> None:
        await self.kernel_manager.shutdown_kernel(manager.kernel_id, now=True)
