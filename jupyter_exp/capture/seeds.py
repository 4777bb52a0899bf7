"""Seeds and global random generator states: random, numpy's global generator, torch CPU and CUDA.

torch is optional: it is seeded when the user already imported it or the cell mentions it, and its
CUDA generators only when CUDA is already initialised (touching CUDA would cost seconds).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import random
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_TORCH_WORD = re.compile(r"\btorch\b")
CUBLAS_ENV = "CUBLAS_WORKSPACE_CONFIG"
CUBLAS_DETERMINISTIC = ":4096:8"  # what cuBLAS needs for deterministic GEMMs, set before CUDA initialises


def draw_seed() -> int:
    """A fresh seed that does not consume or depend on any global generator."""
    return secrets.randbelow(2**31 - 1)


def wants_torch(source: str) -> bool:
    if "torch" in sys.modules:
        return True
    return bool(_TORCH_WORD.search(source)) and importlib.util.find_spec("torch") is not None


def numpy_available() -> bool:
    return "numpy" in sys.modules or importlib.util.find_spec("numpy") is not None


def cuda_torch() -> Any:
    """torch when it is imported and CUDA is already initialised, else None (never initialises CUDA)."""
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
            return torch
    except Exception:
        pass
    return None


class _NumpySeededAtImport(importlib.abc.MetaPathFinder):
    """numpy's global generator seeded the moment numpy is imported, when it is not imported yet.

    Nothing can draw from a generator that does not exist yet, so seeding it as numpy is imported leaves it in
    the state a seed before the cell gives, whichever cell (or library the cell calls) imports numpy; and a
    cell that never uses numpy does not pay its import (0.1-0.3 s, most of a kernel's first tracked cell
    once MLflow's import is off its path). A later seed before numpy is imported replaces this one."""

    def __init__(self) -> None:
        self.seed: int | None = None

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "numpy" or self.seed is None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _SeedingLoader(spec.loader, self)
                return spec
        return None


class _SeedingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, finder: _NumpySeededAtImport) -> None:
        self._loader = loader
        self._finder = finder

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        module.__loader__ = module.__spec__.loader = self._loader  # numpy as if we were never there
        hooks = list(_numpy_import_hooks) if self._finder.seed is not None else []
        for before, _ in hooks:
            before()
        try:
            self._loader.exec_module(module)
            seed, self._finder.seed = self._finder.seed, None
            if self._finder in sys.meta_path:
                sys.meta_path.remove(self._finder)
            if seed is not None:
                module.random.seed(seed)
        finally:
            for _, after in hooks:
                after(module)

    def __getattr__(self, name: str) -> Any:  # resource readers and the like: the real loader's
        return getattr(self._loader, name)


_numpy_at_import = _NumpySeededAtImport()
NumpyImportHook = tuple[Callable[[], None], Callable[[Any], None]]
_numpy_import_hooks: list[NumpyImportHook] = []


def around_numpy_import(before: Callable[[], None], after: Callable[[Any], None]) -> Callable[[], None]:
    """Call ``before()`` as numpy is imported and seeded as a seed asked, and ``after(numpy)`` once it is
    (``EntropyWatch`` counts none of the entropy numpy's import reads: it seeds a generator seeded right
    after; then it patches numpy). Returns what unregisters them."""
    hook = (before, after)
    _numpy_import_hooks.append(hook)

    def unregister() -> None:
        if hook in _numpy_import_hooks:
            _numpy_import_hooks.remove(hook)

    return unregister


def apply_seed(seed: int, source: str = "") -> list[str]:
    """Seed every global generator the cell may use; returns what was seeded (numpy, when it is installed
    but not imported, as it is imported: ``_NumpySeededAtImport``)."""
    seeded = ["random"]
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed)
        seeded.append("numpy")
    elif numpy_available():
        _numpy_at_import.seed = seed
        if _numpy_at_import not in sys.meta_path:
            sys.meta_path.insert(0, _numpy_at_import)
        seeded.append("numpy")
    if wants_torch(source):
        import torch

        torch.manual_seed(seed)  # seeds CUDA lazily too
        seeded.append("torch")
    return seeded


@contextmanager
def deterministic_algorithms(enabled: bool) -> Iterator[None]:
    """Switch on deterministic algorithms for the cell, restoring the previous settings after it."""
    if not enabled:
        yield
        return
    previous_env = os.environ.get(CUBLAS_ENV)
    os.environ[CUBLAS_ENV] = CUBLAS_DETERMINISTIC
    torch = sys.modules.get("torch")
    if torch is None and importlib.util.find_spec("torch") is not None:
        import torch
    previous = None
    if torch is not None:
        previous = (
            torch.are_deterministic_algorithms_enabled(),
            torch.backends.cudnn.deterministic,
            torch.backends.cudnn.benchmark,
        )
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        if torch is not None and previous is not None:
            torch.use_deterministic_algorithms(previous[0])
            torch.backends.cudnn.deterministic = previous[1]
            torch.backends.cudnn.benchmark = previous[2]
        if previous_env is None:
            os.environ.pop(CUBLAS_ENV, None)
        else:
            os.environ[CUBLAS_ENV] = previous_env


def determinism_settings() -> dict[str, str]:
    """The settings in force that decide whether GPU kernels are deterministic (torch's only when imported)."""
    settings = {CUBLAS_ENV: os.environ.get(CUBLAS_ENV, "")}
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "are_deterministic_algorithms_enabled"):
        cudnn = torch.backends.cudnn
        settings.update(
            {
                "torch.deterministic_algorithms": str(torch.are_deterministic_algorithms_enabled()).lower(),
                "cudnn.deterministic": str(bool(cudnn.deterministic)).lower(),
                "cudnn.benchmark": str(bool(cudnn.benchmark)).lower(),
            }
        )
    return settings


def format_settings(settings: dict[str, str]) -> str:
    """``torch.deterministic_algorithms=true; cudnn.benchmark=false; CUBLAS_WORKSPACE_CONFIG=:4096:8``"""
    return "; ".join(f"{key}={value}" for key, value in settings.items())


def parse_settings(text: str) -> dict[str, str]:
    pairs = (part.strip().partition("=") for part in text.split(";"))
    return {key: value for key, sep, value in pairs if sep}


def global_rng_states() -> dict[str, Any]:
    """The global generator states right now (kilobytes; cheap enough to take before every cell)."""
    states: dict[str, Any] = {"random": random.getstate()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        states["numpy"] = numpy.random.get_state()
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "get_rng_state"):
        states["torch"] = torch.get_rng_state()
        if cuda_torch() is not None:
            states["torch_cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    """Put recorded states back (used by replay)."""
    if "random" in states:
        random.setstate(states["random"])
    if "numpy" in states:
        import numpy

        numpy.random.set_state(states["numpy"])
    if "torch" in states:
        import torch

        torch.set_rng_state(_byte_tensor(torch, states["torch"]))
        if "torch_cuda" in states and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([_byte_tensor(torch, state) for state in states["torch_cuda"]])


def _byte_tensor(torch: Any, state: Any) -> Any:
    """torch's state as the byte tensor it takes: recorded states are read back as bytes (rng_codec)."""
    if isinstance(state, (bytes, bytearray)):
        return torch.frombuffer(bytearray(state), dtype=torch.uint8)
    return state
