"""The replay kernel's side of a replay, called silently by the driver before each cell.

Imports nothing heavy: numpy or torch are imported only when the states about to be restored hold
them, as they were imported at that point of the original session.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from jupyter_exp.capture import environment, generators, import_states, rng_codec, state
from jupyter_exp.capture.clock import time_zone
from jupyter_exp.capture.notebook import OBJECTS_KEY
from jupyter_exp.capture.seeds import restore_rng_states
from jupyter_exp.track import active as _active
from jupyter_exp.track.cell_record import HANDED_OVER
from jupyter_exp.tracking import priority
from jupyter_exp.tracking.finisher import wait_for_runs

_armed: Any = None  # the import-time restorer for the cell about to run
_warming: threading.Thread | None = None  # warm()'s thread, until the first replayed cell


def decode_states(encoded: str, left_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """States travel inline as ``rng_codec`` JSON (remote kernels need no access to our files), decoded
    with its shape check: never a pickle. The states ``left_out`` are dropped undecoded (numpy's array
    would import numpy)."""
    try:
        document = json.loads(encoded)
    except ValueError as error:
        raise rng_codec.StateFormatError(f"not JSON ({error})") from None
    body = document.get("dict") if isinstance(document, dict) else None
    if isinstance(body, dict):
        for key in left_out:
            body.pop(key, None)
    states = rng_codec.decode(document)
    if not isinstance(states, dict):
        raise rng_codec.StateFormatError("generator states that are not a dict")
    return states


def set_path(namespace: dict[str, Any], dotted: str, value: Any) -> None:
    """``config.optimizer.lr = value`` through dict keys or attributes, from a namespace name."""
    head, *rest = dotted.split(".")
    if not rest:
        namespace[head] = value
        return
    target = namespace[head]
    for part in rest[:-1]:
        target = target[part] if isinstance(target, dict) else getattr(target, part)
    if isinstance(target, dict):
        target[rest[-1]] = value
    else:
        setattr(target, rest[-1], value)


def before_cell(
    states: str | None = None, directive: dict[str, Any] | None = None, assign: dict[str, Any] | None = None
) -> None:
    """Put back the generator states recorded before the original cell, set ``--set`` values that
    came from the namespace, and tell the next ``%%track`` how to behave."""
    from IPython import get_ipython

    _warmed()
    priority.stop_yielding()  # the replay waits for the tracked cell's background work
    namespace = get_ipython().user_ns
    if assign:
        for dotted, value in assign.items():
            set_path(namespace, dotted, value)
    global _armed
    if _armed is not None:
        import_states.unwatch(_armed)
        _armed = None
    if states:
        seeded = directive is not None and directive.get("seed") is not None
        # a replayed %%track cell with a seed seeds numpy's global generator as numpy is imported
        # (seeds.apply_seed), which replaces the recorded states (before the cell and at numpy's import):
        # decoding them would import numpy (0.1-0.3 s) for nothing
        numpy = ("numpy", "numpy" + import_states.IMPORT_SUFFIX)
        decoded = decode_states(states, numpy if seeded and "numpy" not in sys.modules else ())
        restore_rng_states(decoded)
        generators.restore(namespace, decoded.get(OBJECTS_KEY, []))
        if any(key.endswith(import_states.IMPORT_SUFFIX) for key in decoded):
            _armed = import_states.restorer(decoded)
            import_states.watch(_armed, first=True)
            for module_name, key in import_states.WATCHED.items():
                # imported before the cell by the replay itself (warm(): MLflow imports numpy): the cell
                # that first imported it drew nothing from it before, so its birth state is set now
                module = sys.modules.get(module_name)
                if module is not None:
                    _armed(key, module)
    state.digest_as(directive.get("digest_algorithm") if directive else None)
    _active.replay_directive = directive


WARMED = ("mlflow", "mlflow.tracking", "mlflow.store.tracking.sqlalchemy_store")


def warm() -> None:
    """Import MLflow on a thread of its own while the driver probes and the first cells replay: the tracked
    cell's run needs it when the kernel delivers its run itself, and a fresh kernel pays seconds for it.
    A kernel whose driver delivers the run (``handover.py``) is not warmed: it imports no MLflow."""

    def work() -> None:
        for name in WARMED:
            try:
                importlib.import_module(name)
            except Exception:  # the tracked cell reports what is missing
                return

    global _warming
    _warming = threading.Thread(target=work, name="jupyter-exp-warm", daemon=True)
    _warming.start()


def _warmed(timeout: float = 120.0) -> None:
    """Wait for ``warm``: a replayed cell importing MLflow while that thread does could get a partially
    initialised module (two threads importing one package cycle), so cells run only after it."""
    global _warming
    if _warming is not None:
        _warming.join(timeout)
        _warming = None


def settle(timeout: float = 300.0) -> None:
    """Wait until the runs of the cells replayed so far are completely recorded, or journaled for the
    driver to deliver: their entries are printed (JSON) and handed over."""
    if not wait_for_runs(timeout):
        raise TimeoutError(f"the replayed runs were not recorded within {timeout:.0f} s")
    handed, HANDED_OVER[:] = list(HANDED_OVER), []
    print(json.dumps({"handed_over": handed}))


def torch_version_file() -> Path | None:
    """torch's generated ``version.py``, found without importing torch."""
    spec = importlib.util.find_spec("torch")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]) / "version.py" if locations else None


def torch_gpu_build(version_file: Path | None) -> bool:
    """Whether torch was built for CUDA or ROCm (``torch.version.cuda``/``hip`` set); unknown counts as yes."""
    try:
        text = version_file.read_text(encoding="utf-8") if version_file is not None else ""
    except OSError:
        text = ""
    builds: dict[str, str] = dict(re.findall(r"^(cuda|hip)\b[^=\n]*=\s*(.+?)\s*$", text, re.MULTILINE))
    return builds.get("cuda", "") != "None" or builds.get("hip", "") != "None"


def probe() -> None:
    """Print what the drift check compares: python, installed distributions, CUDA availability.

    CUDA is checked in a subprocess so that the replay kernel does not import torch before the
    replayed cells do, and only for a CUDA or ROCm build of torch.
    """
    # the same reading as the record's requirements.txt, kept for the replayed tracked cell's capture
    packages = {key: version for key, (_, version) in environment.installed_distributions().items()}
    cuda = None
    if "torch" in packages and not torch_gpu_build(torch_version_file()):
        cuda = False  # a CPU-only build never sees a GPU: no need to spend seconds importing torch
    elif "torch" in packages:
        try:
            check = "import torch; print(torch.cuda.is_available())"
            done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
            cuda = done.stdout.strip().endswith("True")
        except (OSError, subprocess.SubprocessError):
            cuda = None
    found = {"python": sys.version.split()[0], "packages": packages, "cuda": cuda, "time_zone": time_zone()}
    print(json.dumps(found))
