"""Kernels the server starts each get a PYTHONHASHSEED of their own; one set by the caller is kept."""

from __future__ import annotations

import os
import queue

from jupyter_exp.reproduce.kernel_run import send_execute_request
from tests.support.server import ready_kernel


async def hash_seed_of(manager, **start) -> str:
    kernel_id, client = await ready_kernel(manager, **start)
    try:
        msg_id = send_execute_request(client, "import os\nprint(os.environ.get('PYTHONHASHSEED'))", None)
        while True:
            try:
                message = await client.get_iopub_msg(timeout=60)
            except queue.Empty:
                raise AssertionError("the kernel did not answer") from None
            if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "stream":
                return message["content"]["text"].strip()
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(kernel_id, now=True)


async def test_each_kernel_gets_a_hash_seed_of_its_own(jp_serverapp, monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    manager = jp_serverapp.kernel_manager
    seeds = [await hash_seed_of(manager) for _ in range(2)]
    assert all(seed.isdigit() and 0 < int(seed) < 2**32 for seed in seeds), seeds
    assert seeds[0] != seeds[1]
    assert await hash_seed_of(manager, env={**os.environ, "PYTHONHASHSEED": "7"}) == "7"
