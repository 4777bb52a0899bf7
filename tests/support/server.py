"""The extension's REST API through pytest-jupyter's ``jp_fetch``, waiting on a condition in a coroutine test
(generous deadlines, no fixed sleeps), and a kernel of the server's own kernel manager."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any


class JupyterExpAPI:
    """The extension's routes under ``/jupyter-exp/`` through ``jp_fetch``; answers parsed from JSON."""

    def __init__(self, fetch: Callable[..., Awaitable[Any]]) -> None:
        self.fetch = fetch

    async def __call__(
        self, path: str, params: dict | None = None, method: str = "GET", body: object = None
    ) -> Any:
        return (await self.answer(path, params, method, body))[1]

    async def post(self, path: str, body: object = None) -> tuple[int, Any]:
        """A POST: its status code and its answer."""
        return await self.answer(path, None, "POST", body)

    async def answer(self, path: str, params: dict | None, method: str, body: object) -> tuple[int, Any]:
        pairs = [(k, v) for k, vs in (params or {}).items() for v in (vs if isinstance(vs, list) else [vs])]
        kwargs: dict[str, Any] = {"method": method, "params": pairs}
        if method == "POST":
            kwargs["body"] = json.dumps(body if body is not None else {})
        response = await self.fetch("jupyter-exp", *path.split("/"), **kwargs)
        return response.code, json.loads(response.body)


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 60, what: str = "the condition", every: float = 0.25
) -> Any:
    """Poll ``predicate`` (a coroutine function, or a blocking function run on a thread) until it
    returns something true, and return that; fail after ``timeout`` seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        if inspect.iscoroutinefunction(predicate):
            value = await predicate()
        else:
            value = await asyncio.to_thread(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(every)


async def ready_kernel(manager: Any, **start: Any) -> tuple[str, Any]:
    """A kernel started by the server's kernel manager and a client whose channels are up and ready."""
    kernel_id = await manager.start_kernel(kernel_name="python3", **start)
    client = manager.get_kernel(kernel_id).client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    return kernel_id, client
