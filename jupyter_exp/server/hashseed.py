"""Kernels this server starts get a ``PYTHONHASHSEED`` of their own, drawn at random per kernel.

Python randomises ``str`` hashes per process, so the iteration order of a set of strings (and of whatever
is built from it: ``{w: i for i, w in enumerate(set(words))}``) changes from one kernel to the next. A
kernel started with a known seed records it in its runs (``jupyter_exp.hashseed``) and the replay kernel
is given the same one. A seed already set (the server's environment, the caller's env) is kept; a
kernelspec's ``env`` still wins, as it does for every variable. They also get the name of their kernelspec
(``JUPYTER_EXP_KERNEL_NAME``), which a kernel cannot see itself, so that their runs record the right one.
"""

from __future__ import annotations

import functools
import os
import secrets
from typing import Any

from jupyter_exp.capture.kernel import KERNEL_NAME_ENV

HASHSEED_ENV = "PYTHONHASHSEED"


def with_hash_seed(env: dict[str, str] | None) -> dict[str, str]:
    """The launch environment (the server's own when none is given) with a fresh seed unless it has one."""
    env = dict(os.environ if env is None else env)
    if not env.get(HASHSEED_ENV):
        env[HASHSEED_ENV] = str(secrets.randbelow(2**32 - 1) + 1)  # 1 .. 4294967295; 0 turns hashing off
    return env


def draw_hash_seeds(kernel_manager: Any) -> None:
    """Wrap this server's ``start_kernel`` (sessions, the REST API and replays all go through it)."""
    start_kernel = kernel_manager.start_kernel

    @functools.wraps(start_kernel)
    async def start_with_hash_seed(*args: Any, **kwargs: Any) -> Any:
        given = kwargs.get("env") or {}
        kwargs["env"] = with_hash_seed(kwargs.get("env"))
        name = kwargs.get("kernel_name") or getattr(kernel_manager, "default_kernel_name", None)
        if name and KERNEL_NAME_ENV not in given:  # the spec's name, which a kernel cannot see itself
            kwargs["env"][KERNEL_NAME_ENV] = str(name)
        return await start_kernel(*args, **kwargs)

    kernel_manager.start_kernel = start_with_hash_seed
