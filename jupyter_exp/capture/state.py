"""``state.json``: digests of the values a cell bound, for a replay to compare beyond metrics, outputs
and figures.

A digest is a sha256 over a value's type and content, the same in every process: numbers, strings,
bytes, numpy arrays (dtype, shape, bytes), torch tensors and modules (their state dict), pandas
objects, scikit-learn estimators (params and fitted attributes) and containers of these. Small numeric
values also keep their elements, so that a replay can say how many differ and by how much.

``snapshot()`` runs on the cell's path and only copies what a later cell could change in place (arrays,
tensors, frames, within ``max_bytes``); ``StateSnapshot.document()`` hashes, off the cell's path.
Values that cannot be digested, or are over the cap, are listed as not compared.
"""

from __future__ import annotations

import copy
import hashlib
import sys
import types
from dataclasses import dataclass, field
from typing import Any

from jupyter_exp.capture.cell import names_bound, parse_python

MAX_BYTES = 256 * 2**20  # of array data per cell: copied on the cell path, hashed after it
MAX_ITEMS = 100_000  # container elements per value
KEPT_ELEMENTS = 1024  # numeric values with at most this many elements keep them


class NotDigestible(Exception):
    pass


def _module(value: Any) -> str:
    return type(value).__module__.split(".")[0]


def _nbytes(value: Any) -> int:
    if _module(value) == "numpy" and hasattr(value, "nbytes"):
        return int(value.nbytes)
    if _module(value) == "torch" and hasattr(value, "element_size"):
        return int(value.element_size() * value.nelement())
    if _module(value) == "pandas" and hasattr(value, "memory_usage"):
        usage = value.memory_usage(index=True)
        return int(usage.sum() if hasattr(usage, "sum") else usage)
    return 0


def _frozen(value: Any, budget: list[int]) -> Any:
    """A copy of what a later cell could change in place; ``budget`` is the array bytes still allowed."""
    if _module(value) == "torch" and hasattr(value, "state_dict") and not hasattr(value, "detach"):
        return {k: _frozen(v, budget) for k, v in value.state_dict().items()}  # a module: its weights now
    size = _nbytes(value)
    if size:
        if size > budget[0]:
            raise NotDigestible(f"{size / 2**20:.1f} MB, over the {MAX_BYTES / 2**20:.0f} MB cap")
        budget[0] -= size
        if _module(value) == "torch":
            return value.detach().clone()
        return value.copy()
    if isinstance(value, list | dict | set):
        return copy.copy(value) if all(_nbytes(v) == 0 for v in _items(value)) else copy.deepcopy(value)
    return value


def _items(value: Any) -> list[Any]:
    return [*value.keys(), *value.values()] if isinstance(value, dict) else list(value)


def _feed(digest: Any, value: Any, items: list[int]) -> None:
    """Hash ``value`` into ``digest``; raise ``NotDigestible`` for what has no stable content."""
    items[0] -= 1
    if items[0] < 0:
        raise NotDigestible(f"more than {MAX_ITEMS} elements")
    kind = type(value)
    digest.update(f"{kind.__module__}.{kind.__qualname__}|".encode())
    if value is None or isinstance(value, bool | int | float | complex):
        digest.update(repr(value).encode())
    elif isinstance(value, str):
        digest.update(value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, bytes | bytearray):
        digest.update(bytes(value))
    elif isinstance(value, list | tuple):
        digest.update(f"{len(value)}|".encode())
        for item in value:
            _feed(digest, item, items)
    elif isinstance(value, dict):
        digest.update(f"{len(value)}|".encode())
        for key, item in value.items():
            _feed(digest, key, items)
            _feed(digest, item, items)
    elif isinstance(value, set | frozenset):
        digest.update("".join(sorted(_hex(item, items) for item in value)).encode())
    elif _module(value) == "numpy" and hasattr(value, "dtype") and hasattr(value, "tobytes"):
        if value.dtype.hasobject:
            raise NotDigestible("a numpy array of Python objects")
        digest.update(f"{value.dtype.str}|{getattr(value, 'shape', ())}|".encode())
        digest.update(value.tobytes(order="C"))
    elif _module(value) == "torch" and hasattr(value, "detach"):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(sys.modules["torch"].uint8).numpy().tobytes())
    elif _module(value) == "torch" and hasattr(value, "state_dict"):
        _feed(digest, dict(value.state_dict()), items)
    elif _module(value) == "pandas" and hasattr(value, "index"):
        hashed = sys.modules["pandas"].util.hash_pandas_object(value, index=True)
        digest.update(repr((getattr(value, "columns", None), getattr(value, "dtypes", None))).encode())
        digest.update(hashed.to_numpy().tobytes())
    elif hasattr(value, "get_params") and hasattr(value, "fit"):  # a scikit-learn estimator
        fitted = {k: v for k, v in vars(value).items() if k.endswith("_") and not k.startswith("_")}
        _feed(digest, {"params": value.get_params(deep=False), "fitted": fitted}, items)
    else:
        raise NotDigestible(f"a {kind.__qualname__}")


def _hex(value: Any, items: list[int]) -> str:
    digest = hashlib.sha256()
    _feed(digest, value, items)
    return digest.hexdigest()


def _elements(value: Any) -> list[Any] | None:
    """The elements of a small numeric value, for a by-element comparison."""
    if isinstance(value, bool | int | float):
        return [value]
    module = _module(value)
    if module not in ("numpy", "torch") or not hasattr(value, "shape"):
        return None
    if (value.nelement() if module == "torch" else value.size) > KEPT_ELEMENTS:
        return None
    flat = (value.detach().cpu() if module == "torch" else value).reshape(-1).tolist()
    return flat if all(isinstance(x, bool | int | float) for x in flat) else None


def _summary(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{getattr(value, 'dtype', '')} {tuple(shape)}".strip()
    if isinstance(value, list | tuple | dict | set | str | bytes):
        return f"length {len(value)}"
    return ""


@dataclass
class StateSnapshot:
    values: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name -> (type, frozen value)
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why it is not compared

    def document(self) -> dict[str, Any]:
        """``state.json``: per name its type, digest, a short summary (and small numeric elements)."""
        entries: dict[str, dict[str, Any]] = {}
        skipped = dict(self.skipped)
        for name, (kind, value) in self.values.items():
            try:
                entry: dict[str, Any] = {"type": kind, "digest": _hex(value, [MAX_ITEMS])}
            except Exception as error:  # NotDigestible, or a value that fails to hash
                skipped[name] = str(error) if isinstance(error, NotDigestible) else f"{type(error).__name__}"
                continue
            entry["summary"] = _summary(value)
            elements = _elements(value)
            if elements is not None:
                entry["elements"] = elements
            entries[name] = entry
        return {"values": entries, "not_compared": skipped, "max_bytes": MAX_BYTES}


def snapshot(body: str, namespace: dict[str, Any], max_bytes: int = MAX_BYTES) -> StateSnapshot:
    """The values of the names the cell bound, as they are now (cheap: on the cell's path)."""
    state = StateSnapshot()
    budget = [max_bytes]
    for name in sorted(names_bound(parse_python(body))):
        if name.startswith("_") or name not in namespace:
            continue
        value = namespace[name]
        if isinstance(
            value, types.ModuleType | types.FunctionType | types.BuiltinFunctionType | types.MethodType | type
        ):
            continue  # imports and definitions: code, not results
        kind = type(value)
        try:
            state.values[name] = (f"{kind.__module__}.{kind.__qualname__}", _frozen(value, budget))
        except NotDigestible as error:
            state.skipped[name] = str(error)
        except Exception as error:
            state.skipped[name] = f"cannot be copied ({type(error).__name__})"
    return state
