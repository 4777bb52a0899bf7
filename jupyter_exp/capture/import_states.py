"""Generators that are seeded from OS entropy when they are imported, caught at import.

numpy's global generator gets a fresh random state when ``numpy.random`` is first imported, so a
cell that imports numpy and draws from it at once cannot be replayed from states taken before the
cell. A finder on ``sys.meta_path`` runs a callback right after such a module has executed: the
record takes its initial state, a replay puts the recorded one in its place. torch (since 2.13) seeds
its default CPU generator from OS entropy at import too.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable
from typing import Any

WATCHED = {"numpy.random": "numpy", "torch": "torch"}  # module -> key of its state in the recorded states
IMPORT_SUFFIX = "@import"


def _get_state(module: Any) -> Any:
    if module.__name__ == "torch":  # as bytes: unpickling a tensor would import torch before the cell does
        return bytes(module.get_rng_state().tolist())
    return module.get_state()


def _set_state(module: Any, state: Any) -> None:
    if module.__name__ == "torch":
        module.set_rng_state(module.frombuffer(bytearray(state), dtype=module.uint8))
    else:
        module.set_state(state)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs the callbacks after a watched module is executed for the first time."""

    def __init__(self) -> None:
        self.callbacks: list[Callable[[str, Any], None]] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in WATCHED or fullname in sys.modules or not self.callbacks:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        run_module, key = spec.loader.exec_module, WATCHED[fullname]

        def exec_module(module: Any) -> None:
            run_module(module)
            for callback in list(self.callbacks):
                try:
                    callback(key, module)
                except Exception:  # recording must never break the user's import
                    pass

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]  # this module's loader only
        return spec


_FINDER = _AfterImport()


def watch(callback: Callable[[str, Any], None], first: bool = False) -> None:
    if callback not in _FINDER.callbacks:
        _FINDER.callbacks.insert(0 if first else len(_FINDER.callbacks), callback)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def unwatch(callback: Callable[[str, Any], None] | None) -> None:
    if callback in _FINDER.callbacks:
        _FINDER.callbacks.remove(callback)
    if not _FINDER.callbacks and _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


def recorder(states_of_current_cell: Callable[[], dict[str, Any] | None]) -> Callable[[str, Any], None]:
    """At record time: keep the state a watched generator was born with in the running cell's states."""

    def record(key: str, module: Any) -> None:
        states = states_of_current_cell()
        if states is not None:
            states[key + IMPORT_SUFFIX] = _get_state(module)

    return record


def restorer(states: dict[str, Any]) -> Callable[[str, Any], None]:
    """At replay time: give a watched generator the state it was born with in the original session."""

    def restore(key: str, module: Any) -> None:
        if key + IMPORT_SUFFIX in states:
            _set_state(module, states[key + IMPORT_SUFFIX])

    return restore
