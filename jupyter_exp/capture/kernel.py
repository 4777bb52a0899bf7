"""Which kernel this is: its id (from the connection file) and kernelspec name."""

from __future__ import annotations

import os
import re
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

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


UNKNOWN_KERNEL = "unknown"
GENERIC_PYTHON = frozenset(
    {"python", "python3", "{python}", f"python{sys.version_info[0]}.{sys.version_info[1]}"}
)


def kernelspec_name() -> str:
    """The kernelspec that started this kernel, ``unknown`` when in doubt.

    A kernel is not told its spec name (unless its launcher says it in ``JUPYTER_EXP_KERNEL_NAME``), so
    the installed specs are matched against this process by the interpreter path as it was started,
    never resolved: two venvs made from one base Python resolve to the same binary. A spec whose
    ``argv[0]`` is this ``sys.executable`` matches best, one in this ``sys.prefix`` next, a generic
    ``python`` spec only when it is installed in this prefix; every env var the spec sets must have its
    value, and ``-m module`` must be the running one. Two best matches are a doubt.
    """
    if os.environ.get(KERNEL_NAME_ENV):
        return os.environ[KERNEL_NAME_ENV]
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().get_all_specs()
    except Exception:
        return UNKNOWN_KERNEL
    scored = [(_score(entry), name) for name, entry in specs.items()]
    best = max((score for score, _ in scored), default=0)
    names = [name for score, name in scored if score == best]
    return names[0] if best > 0 and len(names) == 1 else UNKNOWN_KERNEL


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _score(entry: dict[str, Any]) -> int:
    """How surely the spec ``entry`` started this process: 0 when it did not."""
    spec = entry.get("spec", {}) if isinstance(entry, dict) else {}
    argv = spec.get("argv") or [""]
    program = str(argv[0])
    if os.sep in program and os.path.abspath(program) == os.path.abspath(sys.executable):
        score = 3
    elif os.sep in program and _inside(program, sys.prefix):
        score = 2
    elif program in GENERIC_PYTHON and _inside(str(entry.get("resource_dir", "")), sys.prefix):
        score = 1
    else:
        return 0
    main = _running_module()
    if main and "-m" in argv[:-1] and str(argv[argv.index("-m") + 1]).rsplit(".", 1)[-1] != main:
        return 0  # same interpreter, another program (e.g. a different kernel module)
    env = spec.get("env") or {}
    if any(os.environ.get(k) != str(v) for k, v in env.items()):
        return 0
    return score * 10 + len(env)


def _running_module() -> str | None:
    """``ipykernel_launcher`` for ``python -m ipykernel_launcher`` (IPython replaces ``__main__``, but
    ``sys.argv[0]`` still names the module's file)."""
    if not sys.argv or not sys.argv[0]:
        return None
    path = Path(sys.argv[0])
    return path.parent.name if path.stem == "__main__" else path.stem
