"""Generator objects the user binds to names, recorded before each cell and set back on replay.

``rng = np.random.default_rng()`` in one cell and ``rng.normal()`` in a later one: the global states do
not cover ``rng``. Before every cell the kernel runs, the top-level user namespace is scanned, plus one
level into small containers and attributes, for numpy ``Generator``/``RandomState``, ``random.Random``
and ``torch.Generator``; their states are kept by where they were found (``rng``, ``cfg['rng']``,
``model.gen``). It imports nothing: a library's types are looked at only when the library is imported.
"""

from __future__ import annotations

import random
import re
import sys
import types
from typing import Any

from jupyter_exp.capture.namespace_keys import NewKeys

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


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class GeneratorWatch:
    """``namespace_states`` that looks only at what changed, so that a cell's bookkeeping does not grow
    with the namespace: the generators found so far (their places read again every cell), the names the
    cells since the last look mention (what they bound, rebound or mutated, by the identifiers of their
    source) and the namespace's new keys (``from m import *``, ``%run``, ``globals()[...]``).

    New keys are found from the end of the namespace: a dict keeps insertion order, so the keys added
    since the last look are those after the last key seen then. A deletion (the namespace is then
    shorter than that walk implies) falls back to comparing every key, once.
    """

    def __init__(self) -> None:
        self._known: dict[Path, None] = {}  # places where generators were found, in finding order
        self._keys: set[str] | None = None  # every key at the last look (None: no look yet)
        self._since = NewKeys()
        self._mentioned: set[str] = set()

    def saw_cell(self, source: str) -> None:
        """A cell is about to run: the names it mentions are looked at before the next cell."""
        self._mentioned.update(_IDENTIFIER.findall(source))

    def states(self, namespace: dict[str, Any]) -> list[tuple[Path, str, Any]]:
        """What ``namespace_states(namespace)`` returns, in the order the generators were found."""
        if self._keys is None:
            scanned = namespace_states(namespace)
            self._known = dict.fromkeys(path for path, _, _ in scanned)
            self._keys = set(namespace)
            self._since.since_last_look(namespace)
            return scanned
        names = self._new_keys(namespace, self._keys)
        names.update(name for name in self._mentioned if name in namespace)
        self._mentioned = set()
        if names:
            found: dict[Path, None] = {}
            for name in sorted(names):
                found.update(self._look_at(name, namespace[name]))
            # a place found again keeps its position: the order stays that of a full scan
            self._known = {p: None for p in self._known if p[0][1] not in names or p in found}
            self._known.update(found)
        return self._read(namespace)

    def _new_keys(self, namespace: dict[str, Any], keys: set[str]) -> set[str]:
        new = self._since.since_last_look(namespace)
        if new is None:  # deletions: compare every key
            new = [key for key in namespace if key not in keys]
            keys.intersection_update(namespace)
        keys.update(new)
        return set(new)

    @staticmethod
    def _look_at(name: str, value: Any) -> list[tuple[Path, None]]:
        """The places of the generators at ``name`` or one level inside it."""
        if name.startswith("_") or name in SKIPPED_NAMES or isinstance(value, SCALARS):
            return []
        top: Path = (("name", name),)
        if _kind(value) is not None:
            return [(top, None)]
        return [((*top, step), None) for step, child in _children(value) if _kind(child) is not None]

    def _read(self, namespace: dict[str, Any]) -> list[tuple[Path, str, Any]]:
        found: list[tuple[Path, str, Any]] = []
        seen: set[int] = set()
        for path in list(self._known):
            try:
                generator = _resolve(namespace, path)
            except Exception:  # gone since: forgotten until a cell binds it again
                del self._known[path]
                continue
            kind = _kind(generator)
            if kind is None:
                del self._known[path]
                continue
            if id(generator) in seen:
                continue
            seen.add(id(generator))
            try:
                found.append((path, kind, get_state(kind, generator)))
            except Exception:
                pass
        return found
