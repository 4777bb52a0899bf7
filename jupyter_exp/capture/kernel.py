"""Which kernel this is: its id (from the connection file) and kernelspec name."""

from __future__ import annotations

import os
import re
import socket
import sys
import uuid
from pathlib import Path

from jupyter_exp import record_schema as schema

KERNEL_NAME_ENV = "JUPYTER_EXP_KERNEL_NAME"
KERNEL_ID_ENV = "JUPYTER_EXP_KERNEL_ID"
LOCAL_TOKEN = f"local-{uuid.uuid4().hex[:16]}"  # this process, when no launcher names the kernel
HASHSEED_UNKNOWN = "random"


def identity() -> dict[str, str]:
    """Tags that let anyone tell whether this kernel still lives: id (or a per-process token), host, pid."""
    return {
        schema.KERNEL_ID: kernel_id() or LOCAL_TOKEN,
        schema.KERNEL_HOST: socket.gethostname(),
        schema.KERNEL_PID: str(os.getpid()),
    }


def hash_seed() -> str:
    """The ``str`` hash seed this process runs with: ``PYTHONHASHSEED`` when it set one, else ``random``."""
    if not sys.flags.hash_randomization:
        return "0"
    value = os.environ.get("PYTHONHASHSEED", "")
    return value if value.isdigit() else HASHSEED_UNKNOWN


def process_gone(pid: object, started_ms: int) -> bool:
    """Whether the kernel process ``pid`` of this host, which started a run at ``started_ms``, is gone: no
    such process, or the one there started after the run (the pid was reused). Unknown counts as alive."""
    import psutil

    try:
        return bool(psutil.Process(int(str(pid))).create_time() * 1000 > started_ms + 1000)
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return True
    except (psutil.Error, ValueError):
        return False


def kernel_id() -> str | None:
    """Jupyter Server names connection files ``kernel-<id>.json``; other launchers may say it in env."""
    if os.environ.get(KERNEL_ID_ENV):
        return os.environ[KERNEL_ID_ENV]
    try:
        from ipykernel.connect import get_connection_file

        match = re.match(r"kernel-(.+)\.json$", Path(get_connection_file()).name)
        return match.group(1) if match else None
    except Exception:  # not in a kernel
        return None


def kernelspec_name() -> str | None:
    """The kernelspec that started this kernel.

    A kernel is not told its spec name, so the installed specs are matched against this process:
    same interpreter, and every env var the spec sets has the value it sets.
    """
    if os.environ.get(KERNEL_NAME_ENV):
        return os.environ[KERNEL_NAME_ENV]
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().get_all_specs()
    except Exception:
        return None
    executable = os.path.realpath(sys.executable)
    main = _running_module()
    best: tuple[int, str] | None = None
    for name, entry in specs.items():
        spec = entry.get("spec", {})
        argv = spec.get("argv") or [""]
        runs_here = argv[0] in ("python", "python3", "{python}") or os.path.realpath(argv[0]) == executable
        if main and "-m" in argv[:-1] and argv[argv.index("-m") + 1].rsplit(".", 1)[-1] != main:
            runs_here = False  # same interpreter, another program (e.g. a different kernel module)
        env = spec.get("env") or {}
        if not runs_here or any(os.environ.get(k) != str(v) for k, v in env.items()):
            continue
        score = len(env) * 2 + (os.path.realpath(argv[0]) == executable)
        if best is None or score > best[0]:
            best = (score, name)
    return best[1] if best else None


def _running_module() -> str | None:
    """``ipykernel_launcher`` for ``python -m ipykernel_launcher`` (IPython replaces ``__main__``, but
    ``sys.argv[0]`` still names the module's file)."""
    if not sys.argv or not sys.argv[0]:
        return None
    path = Path(sys.argv[0])
    return path.parent.name if path.stem == "__main__" else path.stem
