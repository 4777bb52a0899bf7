"""Generator objects the user binds to names, recorded before each cell and set back on replay.

``rng = np.random.default_rng()`` in one cell and ``rng.normal()`` in a later one: the global states do
not cover ``rng``. Before every cell the kernel runs, the top-level user namespace is scanned, plus one
level into small containers and attributes, for numpy ``Generator``/``RandomState``, ``random.Random``
and ``torch.Generator``; their states are kept by where they were found (``rng``, ``cfg['rng']``,
``model.gen``). It imports nothing: a library's types are looked at only when the library is imported.
"""

from __future__ import annotations

import random
import sys
import types
from typing import Any

MAX_CONTAINER = 64  # larger containers and objects with more attributes are not looked into
SKIPPED_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})
OPAQUE = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
SCALARS = (str, bytes, int, float, bool, complex, type(None))

Path = tuple[tuple[str, Any], ...]  # (("name", "cfg"), ("item", "rng")) or (("attr", "gen"),)


def _kind(value: Any) -> str | None:
    """Which kind of generator ``value`` is, by exact library types (cheap enough for every value)."""
    if isinstance(value, random.Random):
        return "random" if type(value).getstate is not random.SystemRandom.getstate else None
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        if isinstance(value, numpy.random.Generator):
            return "numpy.Generator"
        if isinstance(value, numpy.random.RandomState):
            return "numpy.RandomState"
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, getattr(torch, "Generator", ())):
        return "torch.Generator"
    return None


def get_state(kind: str, generator: Any) -> Any:
    if kind == "random":
        return generator.getstate()
    if kind == "numpy.Generator":
        return generator.bit_generator.state
    if kind == "numpy.RandomState":
        return generator.get_state()
    return bytes(generator.get_state().tolist())  # torch: bytes, so that unpickling needs no torch


def set_state(kind: str, generator: Any, state: Any) -> None:
    if kind == "random":
        generator.setstate(state)
    elif kind == "numpy.Generator":
        generator.bit_generator.state = state
    elif kind == "numpy.RandomState":
        generator.set_state(state)
    else:
        torch = sys.modules["torch"]
        generator.set_state(torch.frombuffer(bytearray(state), dtype=torch.uint8))


def _children(value: Any) -> list[tuple[tuple[str, Any], Any]]:
    """One level into ``value``: dict items with str/int keys, list/tuple items, instance attributes."""
    try:
        if isinstance(value, dict):
            if len(value) <= MAX_CONTAINER:
                return [(("item", k), v) for k, v in value.items() if isinstance(k, (str, int))]
            return []
        if isinstance(value, (list, tuple)):
            return [(("item", i), v) for i, v in enumerate(value)] if len(value) <= MAX_CONTAINER else []
        if isinstance(value, OPAQUE + SCALARS):
            return []
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict) and len(attributes) <= MAX_CONTAINER:
            return [(("attr", k), v) for k, v in attributes.items() if isinstance(k, str)]
    except Exception:  # an odd object must never break the user's cell
        pass
    return []


def namespace_states(namespace: dict[str, Any]) -> list[tuple[Path, str, Any]]:
    """``(path, kind, state)`` for every generator bound in ``namespace`` or one level inside, each once."""
    found: list[tuple[Path, str, Any]] = []
    seen: set[int] = set()

    def take(path: Path, value: Any) -> bool:
        kind = _kind(value)
        if kind is None:
            return False
        if id(value) not in seen:
            seen.add(id(value))
            try:
                found.append((path, kind, get_state(kind, value)))
            except Exception:
                pass
        return True

    for name, value in list(namespace.items()):
        if name.startswith("_") or name in SKIPPED_NAMES or isinstance(value, SCALARS):
            continue
        top: Path = (("name", name),)
        if take(top, value):
            continue
        for step, child in _children(value):
            take((*top, step), child)
    return found


def _resolve(namespace: dict[str, Any], path: Path) -> Any:
    value: Any = namespace
    for how, key in path:
        value = getattr(value, key) if how == "attr" else value[key]
    return value


def restore(namespace: dict[str, Any], recorded: list[tuple[Path, str, Any]]) -> list[str]:
    """Set the recorded states back on the generators found at the same places; returns those not found."""
    missing = []
    for path, kind, state in recorded:
        try:
            generator = _resolve(namespace, path)
            if _kind(generator) != kind:
                raise TypeError(kind)
            set_state(kind, generator, state)
        except Exception:
            missing.append(describe(path))
    return missing


def describe(path: Path) -> str:
    text = ""
    for how, key in path:
        text += key if how == "name" else f".{key}" if how == "attr" else f"[{key!r}]"
    return text
