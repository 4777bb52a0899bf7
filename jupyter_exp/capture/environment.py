"""The machine and software a run ran on: python, platform, CPU, memory, GPU, CUDA, packages."""

from __future__ import annotations

import functools
import importlib
import os
import platform
import socket
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

from jupyter_exp.capture.clock import time_zone

KEY_PACKAGES = (
    "jupyter-exp",
    "mlflow",
    "torch",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "jax",
    "jaxlib",
    "tensorflow",
    "transformers",
    "lightning",
    "ipykernel",
    "ipython",
    "jupyterlab",
)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_total_mb() -> float | None:
    try:
        import psutil

        total: int = psutil.virtual_memory().total
        return round(total / 2**20, 1)
    except Exception:
        return None


def _installed_state() -> tuple[tuple[str, int], ...]:
    """Changes whenever a distribution is installed or removed: the site directories change (working
    directories on sys.path are left out: files written there say nothing about packages)."""
    state = []
    for entry in sys.path:
        if not entry.endswith(("site-packages", "dist-packages")):
            continue
        try:
            state.append((entry, os.stat(entry).st_mtime_ns))
        except OSError:
            continue
    return tuple(state)


def _cached_per_install(function: Callable[..., Any]) -> Callable[..., Any]:
    """Reading every distribution's metadata takes ~100 ms: once per kernel until a package changes."""
    cache: dict[Any, tuple[tuple[tuple[str, int], ...], Any]] = {}

    @functools.wraps(function)
    def cached(*args: Any) -> Any:
        state = _installed_state()
        hit = cache.get(args)
        if hit is None or hit[0] != state:
            hit = cache[args] = (state, function(*args))
        return hit[1]

    return cached


@_cached_per_install
def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _name_and_version(dist: metadata.Distribution) -> tuple[str, str] | None:
    """``dist.name`` and ``dist.version`` from the metadata file's header lines: each of those properties
    parses the whole file as an e-mail message (20x slower over a large environment)."""
    try:
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    except (OSError, UnicodeDecodeError):
        return None
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line:
            break  # the headers end at the first empty line
        key, colon, value = line.partition(":")
        key = key.lower()
        if colon and key in ("name", "version") and key not in found:
            found[key] = value.strip()
    name = found.get("name")
    return (name, found.get("version", "")) if name else None


@_cached_per_install
def installed_distributions() -> dict[str, tuple[str, str]]:
    """Every installed distribution's ``(name, version)`` by its lowercased name: what ``requirements.txt``
    records and what the replay kernel's probe compares it with (``reproduce/inkernel.py``)."""
    found = {}
    for dist in metadata.distributions():
        pair = _name_and_version(dist)
        if pair is not None:
            found[pair[0].lower()] = pair
    return found


def requirements_txt() -> str:
    """Every installed distribution as ``name==version``, sorted, one a line."""
    pins = installed_distributions()
    return "\n".join(f"{pins[key][0]}=={pins[key][1]}" for key in sorted(pins)) + "\n"


def gpu_info() -> dict[str, Any]:
    """GPU models, driver and CUDA/cuDNN versions, from torch when it is imported."""
    torch = sys.modules.get("torch")
    if torch is None:
        return {}
    try:
        if getattr(getattr(torch, "__spec__", None), "_initializing", False):
            # the cell is importing torch right now: wait for it (the import lock), do not read it half-made
            torch = importlib.import_module("torch")
        info: dict[str, Any] = {"torch_cuda_build": getattr(torch.version, "cuda", None)}
        if torch.cuda.is_available():
            info["gpus"] = [
                {
                    "name": torch.cuda.get_device_name(i),
                    "memory_mb": round(torch.cuda.get_device_properties(i).total_memory / 2**20),
                    "capability": ".".join(map(str, torch.cuda.get_device_capability(i))),
                }
                for i in range(torch.cuda.device_count())
            ]
            info["cudnn"] = torch.backends.cudnn.version()
            driver = getattr(torch.cuda, "driver_version", None)
            if callable(driver):
                info["driver"] = driver()
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            info["mps"] = True
    except Exception as error:  # a broken driver must not break tracking
        return {"error": f"{type(error).__name__}: {error}"}
    return info


def device_label() -> str:
    """``cpu``, ``cuda:0 (NVIDIA H100 80GB HBM3)`` or ``mps``: where torch computes by default."""
    torch = sys.modules.get("torch")
    if torch is None:
        return "cpu"
    try:
        if torch.cuda.is_available():
            index = torch.cuda.current_device()
            return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
    except Exception:
        pass
    return "cpu"


def capture_environment() -> dict[str, Any]:
    """``environment.json``: a part that fails is recorded as its error, the rest as usual."""
    parts: dict[str, Callable[[], Any]] = {
        "python": lambda: sys.version.split()[0],
        "python_implementation": platform.python_implementation,
        "executable": lambda: sys.executable,
        "platform": platform.platform,
        "hostname": socket.gethostname,
        "cpu": _cpu_model,
        "cpu_count": os.cpu_count,
        "memory_total_mb": _memory_total_mb,
        "pythonhashseed": lambda: os.environ.get("PYTHONHASHSEED"),
        "gpu": gpu_info,
        "packages": package_versions,
        "time_zone": time_zone,  # and locale: a cell that formats dates depends on them
    }
    document: dict[str, Any] = {}
    for name, read in parts.items():
        try:
            document[name] = read()
        except Exception as error:
            document[name] = {"error": f"{type(error).__name__}: {error}"}
    return document
