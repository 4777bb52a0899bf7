"""A fresh kernel for a replay, driven message by message like JupyterLab drives one.

Kernels are started by a launcher: ``LocalKernelLauncher`` starts any installed kernelspec with
jupyter_client; the server passes its own kernel manager (``jupyter_exp.server.kernel_launcher.ServerKernelLauncher``), which is a gateway
to remote kernels when the Jupyter server is configured with one; ``%reproduce --gateway`` starts them on
an Enterprise Gateway itself (``jupyter_exp.kernels.gateway.GatewayKernelLauncher``).
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from jupyter_exp.capture.kernel import KERNEL_ID_ENV
from jupyter_exp.reproduce.errors import KernelDied, KernelSpecMissing
from jupyter_exp.reproduce.execute_request import send_execute_request

ALIVE_CHECK_S = 1.0
KILL_WAIT_S = 2.0  # LocalKernelLauncher.shutdown: then jupyter_client's shutdown takes over


@dataclass
class CellResult:
    status: str  # ok / error
    outputs: list[dict[str, Any]] = field(default_factory=list)
    ename: str = ""
    evalue: str = ""

    def stdout(self) -> str:
        return "".join(o.get("text", "") for o in self.outputs if o.get("name") == "stdout")


class KernelLauncher(Protocol):
    async def start(self, kernel_name: str, cwd: str, env: dict[str, str]) -> tuple[Any, Any]:
        """Start a kernel; returns ``(manager, client)``: the manager answers ``is_alive()``."""

    async def shutdown(self, manager: Any) -> None: ...

    def names(self) -> list[str]:
        """The kernelspecs this launcher can start."""

    def check(self, kernel_name: str) -> None:
        """Raise ``KernelSpecMissing`` when ``kernel_name`` cannot be started."""


def installed_kernelspecs() -> dict[str, Any]:
    from jupyter_client.kernelspec import KernelSpecManager

    return KernelSpecManager().get_all_specs()


def check_kernelspec(kernel_name: str, names: list[str], where: str) -> None:
    if kernel_name not in names:
        raise KernelSpecMissing(f"no kernelspec named {kernel_name!r} ({where}: {', '.join(names)})")


class LocalKernelLauncher:
    # its kernels run on this machine as this user: their journal is the driver's (``handover.py``)
    shares_journal = True

    def __init__(self, specs: dict[str, Any] | None = None) -> None:
        self.specs = specs

    def names(self) -> list[str]:
        return sorted(self.specs if self.specs is not None else installed_kernelspecs())

    def check(self, kernel_name: str) -> None:
        check_kernelspec(kernel_name, self.names(), "installed")

    async def start(self, kernel_name: str, cwd: str, env: dict[str, str]) -> tuple[Any, Any]:
        from jupyter_client.manager import AsyncKernelManager

        kernel_id = str(uuid.uuid4())  # a kernel started outside a server names itself from the env
        # IPC sockets (files only this user can reach) rather than TCP on localhost: nothing on the wire,
        # and no "Kernel is running over TCP without encryption" warning from the kernel
        sockets = Path(tempfile.gettempdir()) / f"jupyter-exp-{kernel_id[:12]}"
        manager = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=str(sockets))
        await manager.start_kernel(cwd=cwd, env={**env, KERNEL_ID_ENV: kernel_id}, kernel_id=kernel_id)
        return manager, manager.client()

    async def shutdown(self, manager: Any) -> None:
        """Killed at once (a replay kernel keeps nothing), its death awaited at 10 ms steps: jupyter_client's
        own kill polls at 0.1 s, the last tenth of a second of a short replay."""
        kill = getattr(signal, "SIGKILL", None)
        if kill is not None:
            try:
                await manager.signal_kernel(kill)  # its process group, as jupyter_client kills it
                deadline = time.monotonic() + KILL_WAIT_S
                while await manager.is_alive() and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
            except (OSError, RuntimeError):
                pass  # jupyter_client's shutdown below does it its own way
        await manager.shutdown_kernel(now=True)


class ReplayKernel:
    def __init__(self, launcher: KernelLauncher, kernel_name: str) -> None:
        self.launcher = launcher
        self.kernel_name = kernel_name
        self.manager: Any = None
        self.client: Any = None
        self._closing: asyncio.Future[None] | None = None
        self.kernel_id: str | None = None  # what its runs record as jupyter_exp.kernel.id, where known

    async def start(self, cwd: str, env: dict[str, str], timeout: float = 120) -> None:
        self.manager, self.client = await self.launcher.start(self.kernel_name, cwd, env)
        kernel_id = getattr(self.manager, "kernel_id", None)
        self.kernel_id = kernel_id if isinstance(kernel_id, str) else None
        started = self.client.start_channels()
        if inspect.isawaitable(started):  # a gateway's client opens its websocket
            await started
        try:
            await self.client.wait_for_ready(timeout=timeout)
        except RuntimeError as error:
            raise KernelDied(f"kernel {self.kernel_name!r} did not start: {error}") from None

    async def execute(
        self, code: str, cell_id: str | None = None, silent: bool = False, timeout: float | None = None
    ) -> CellResult:
        """Run ``code``; returns when the kernel is idle again. Raises KernelDied if it dies meanwhile."""
        msg_id = send_execute_request(self.client, code, cell_id, silent, not silent, stop_on_error=False)
        result = CellResult("ok")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                reply = await self.client.get_iopub_msg(timeout=ALIVE_CHECK_S)
            except (queue.Empty, asyncio.TimeoutError, TimeoutError):
                if not await self.manager.is_alive():
                    raise KernelDied("the replay kernel died") from None
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"a cell ran longer than {timeout:g} s") from None
                continue
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            kind, body = reply["msg_type"], reply["content"]
            if kind == "status" and body.get("execution_state") == "idle":
                return result
            if kind == "stream":
                result.outputs.append({"name": body["name"], "text": body["text"]})
            elif kind in ("execute_result", "display_data"):
                result.outputs.append({"name": kind, "text": body.get("data", {}).get("text/plain", "")})
            elif kind == "error":
                result.status, result.ename, result.evalue = "error", body["ename"], body["evalue"]

    def close_soon(self) -> None:
        """Start shutting the kernel down (nothing more is run in it); ``shutdown()`` waits for that."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._shutdown())

    async def shutdown(self) -> None:
        self.close_soon()
        assert self._closing is not None
        await self._closing

    async def _shutdown(self) -> None:
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:
                pass
        if self.manager is not None:
            manager, self.manager = self.manager, None
            try:
                await self.launcher.shutdown(manager)
            except Exception:
                pass
