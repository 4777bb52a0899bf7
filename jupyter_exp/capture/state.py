"""``state.json``: digests of the values a cell bound, for a replay to compare beyond metrics, outputs
and figures.

A digest is a hash over a value's type and content, the same in every process: numbers, strings,
bytes, numpy arrays (dtype, shape, bytes), torch tensors, pandas objects and containers of these; models
by what they learned: any ``nn.Module`` (subclasses defined in the notebook too) by its state dict,
scikit-learn estimators by params and fitted attributes (``estimators_``, ``best_estimator_``, trees,
kernels; fit times aside), xgboost/lightgbm boosters by their saved model, statsmodels results by params
and standard errors. Small numeric values also keep their elements, so that a replay can say how many
differ and by how much.

Names the cell binds to literals (``formula = "y ~ x"``, ``features = ["a", "b"]``) are inputs, not results:
listed apart (``inputs``), with the literal texts of the cell (``literal_texts``) and the classes it
constructs (``constructors``), so that a verdict can tell an output line that only echoes them.

``snapshot()`` runs on the cell's path and only copies what a later cell could change in place (arrays,
tensors, frames, within ``max_bytes``); ``StateSnapshot.document()`` hashes, off the cell's path. A large
plain numpy array is hashed on the path instead, straight from its buffer: hashing reads it once where a
copy would read and write it and hold it until hashed (the digest is the same).
Values that cannot be digested, or are over the cap, are listed as not compared.

A digest names its algorithm: ``xxh3_128:<hex>`` (xxHash's XXH3, 128 bits: 100 MB in milliseconds, where
sha256 takes about as long as the cell's own copy of it); a bare hex digest is sha256, which records made
before it hold. A replay of such a record digests with the recorded algorithm (the driver reads it with
``recorded_algorithm``; the replay kernel is told by ``digest_as``), so that the two compare; digests of
different algorithms never compare as different (``reproduce/bound.py``).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import xxhash

from jupyter_exp.capture.cell import literal_assignments, names_bound, parse_python
from jupyter_exp.capture.clock import clock_reads_in, likely_causes
from jupyter_exp.capture.entropy import last_watch

MAX_BYTES = 256 * 2**20  # of array data per cell copied on the cell path, hashed after it
HASH_ON_PATH_BYTES = 4 * 2**20  # plain arrays this large are hashed on the cell path, not copied
MAX_HASHED_BYTES = 4 * 2**30  # of those per cell (no copy: a bound on time, about 0.1 s a GB)
MAX_ITEMS = 100_000  # container elements per value
KEPT_ELEMENTS = 1024  # numeric values with at most this many elements keep them
MAX_LITERAL_TEXT = 200  # characters of one literal text kept for the verdict
SHA256, XXH3_128 = "sha256", "xxh3_128"
ALGORITHM = XXH3_128  # of new records
HASHERS: dict[str, Callable[[], Any]] = {SHA256: hashlib.sha256, XXH3_128: xxhash.xxh3_128}
_replaying: str | None = None  # in a replay kernel: the algorithm of the record replayed (digest_as)
TIMING = re.compile(
    r"(?i)time"
)  # fit times of an estimator (``refit_time_``, ``mean_fit_time``): not learned


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


def _is_torch_module(value: Any) -> bool:
    """Any ``torch.nn.Module``, a subclass defined in the notebook (module ``__main__``) included."""
    torch = sys.modules.get("torch")
    nn = getattr(torch, "nn", None)
    return nn is not None and isinstance(value, nn.Module)


@dataclass(frozen=True)
class Digested:
    """A large array hashed on the cell's path instead of copied: the digest ``document()`` would have
    computed from a copy (the same bytes), and its summary."""

    digest: str
    summary: str


def _plain_array(value: Any) -> bool:
    """A numpy array whose digest is its bytes as they lie (C order: no copy to hash them)."""
    numpy = sys.modules.get("numpy")
    return (
        numpy is not None
        and type(value) is numpy.ndarray
        and not value.dtype.hasobject
        and not value.dtype.names
        and bool(value.flags.c_contiguous)
    )


def _frozen(value: Any, budget: list[int], algorithm: str) -> Any:
    """A copy of what a later cell could change in place; ``budget`` is the array bytes still allowed
    (to copy, to hash on the path). A large plain array is hashed now instead: no copy held, and hashing
    costs less than copying."""
    if _is_torch_module(value):  # a module: its weights now
        return {k: _frozen(v, budget, algorithm) for k, v in value.state_dict().items()}
    size = _nbytes(value)
    if size:
        hashed = size >= HASH_ON_PATH_BYTES and _plain_array(value)
        if size > budget[hashed]:
            cap = MAX_HASHED_BYTES if hashed else MAX_BYTES
            raise NotDigestible(f"{size / 2**20:.1f} MB, over the {cap / 2**20:.0f} MB cap")
        budget[hashed] -= size
        if hashed:
            return Digested(_hex(value, [MAX_ITEMS], algorithm), _summary(value))
        if _module(value) == "torch":
            return value.detach().clone()
        return value.copy()
    if isinstance(value, list | dict | set):
        return copy.copy(value) if all(_nbytes(v) == 0 for v in _items(value)) else copy.deepcopy(value)
    return value


def _items(value: Any) -> list[Any]:
    return [*value.keys(), *value.values()] if isinstance(value, dict) else list(value)


def _feed(digest: Any, value: Any, items: list[int], algorithm: str) -> None:
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
            _feed(digest, item, items, algorithm)
    elif isinstance(value, dict):
        digest.update(f"{len(value)}|".encode())
        for key, item in value.items():
            _feed(digest, key, items, algorithm)
            _feed(digest, item, items, algorithm)
    elif isinstance(value, set | frozenset):
        digest.update("".join(sorted(_hex(item, items, algorithm) for item in value)).encode())
    elif _module(value) == "numpy" and hasattr(value, "dtype") and hasattr(value, "tobytes"):
        _feed_array(digest, value, items, algorithm)
    elif _module(value) == "torch" and hasattr(value, "detach"):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(sys.modules["torch"].uint8).numpy().tobytes())
    elif _is_torch_module(value):
        _feed(digest, dict(value.state_dict()), items, algorithm)
    elif _module(value) == "pandas" and hasattr(value, "index"):
        hashed = sys.modules["pandas"].util.hash_pandas_object(value, index=True)
        digest.update(repr((getattr(value, "columns", None), getattr(value, "dtypes", None))).encode())
        digest.update(hashed.to_numpy().tobytes())
    elif _module(value) == "numpy" and hasattr(value, "bit_generator"):  # np.random.Generator
        _feed(digest, value.bit_generator.state, items, algorithm)
    elif _module(value) == "numpy" and hasattr(value, "get_state"):  # np.random.RandomState
        _feed(digest, value.get_state(legacy=False), items, algorithm)
    else:
        _feed(digest, _learned(value, algorithm), items, algorithm)


def _feed_array(digest: Any, value: Any, items: list[int], algorithm: str) -> None:
    """A numpy array: dtype, shape and bytes; field by field when structured (the padding between fields
    is not content), element by element for objects and masked arrays."""
    numpy = sys.modules["numpy"]
    digest.update(f"{value.dtype.str}|{getattr(value, 'shape', ())}|".encode())
    if numpy.ma.isMaskedArray(value):
        _feed(digest, numpy.ma.getmaskarray(value), items, algorithm)
        value = value.filled(None if value.dtype.hasobject else value.fill_value)
    if value.dtype.names:
        for name in value.dtype.names:
            _feed(digest, numpy.ascontiguousarray(value[name]), items, algorithm)
    elif value.dtype.hasobject:
        if value.size > MAX_ITEMS:
            raise NotDigestible("a numpy array of Python objects")
        _feed(digest, value.tolist(), items, algorithm)
    elif value.flags.c_contiguous:
        digest.update(memoryview(value).cast("B"))  # the bytes tobytes() would copy, read where they lie
    else:
        digest.update(value.tobytes(order="C"))


def _learned(value: Any, algorithm: str) -> Any:
    """What a model learned, as plain values to hash; ``NotDigestible`` for what is not a model."""
    module = _module(value)
    if module == "xgboost":
        booster = value.get_booster() if hasattr(value, "get_booster") else value
        return {"booster": bytes(booster.save_raw("ubj")), "params": _params(value)}
    if module == "lightgbm":
        booster = getattr(value, "booster_", value)
        return {"model": booster.model_to_string(), "params": _params(value)}
    if module == "statsmodels" and hasattr(value, "params"):
        numpy = sys.modules["numpy"]
        return {"params": numpy.asarray(value.params), "bse": numpy.asarray(getattr(value, "bse", []))}
    if module == "sklearn" and hasattr(value, "__getstate__") and type(value).__name__ == "Tree":
        return value.__getstate__()  # a fitted tree: its nodes and values
    if hasattr(value, "get_params"):  # a scikit-learn estimator (or a kernel): params and fitted state
        fitted = {
            k: v
            for k, v in vars(value).items()
            if k.endswith("_") and not k.startswith("_") and not TIMING.search(k)
        }
        return {"params": _params(value), "fitted": {k: _attribute(v, algorithm) for k, v in fitted.items()}}
    raise NotDigestible(f"a {type(value).__qualname__}")


def _attribute(value: Any, algorithm: str) -> str:
    """One fitted attribute's digest; one that has no content (a scorer function) is named, not hashed."""
    try:
        return _hex(_without_times(value), [MAX_ITEMS], algorithm)
    except NotDigestible:
        return f"<{type(value).__qualname__}>"


def _params(value: Any) -> Any:
    return value.get_params(deep=False) if hasattr(value, "get_params") else {}


def _without_times(value: Any) -> Any:
    """``cv_results_`` without its fit and score times."""
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: v for k, v in value.items() if not TIMING.search(k)}
    return value


def _hex(value: Any, items: list[int], algorithm: str = ALGORITHM) -> str:
    """``value``'s digest, named by its algorithm (sha256's bare, as records before the names hold it)."""
    digest = HASHERS[algorithm]()
    _feed(digest, value, items, algorithm)
    return digest.hexdigest() if algorithm == SHA256 else f"{algorithm}:{digest.hexdigest()}"


def algorithm_of(digest: Any) -> str | None:
    """The algorithm a recorded digest names (a bare hex digest: sha256); ``None`` for what is no digest."""
    if not isinstance(digest, str):
        return None
    name, colon, _ = digest.rpartition(":")
    return name if colon else SHA256


def recorded_algorithm(document: Any) -> str | None:
    """The algorithm of a recorded ``state.json``'s digests (``None``: no digest, or not one known here)."""
    values = document.get("values") if isinstance(document, dict) else None
    for entry in values.values() if isinstance(values, dict) else ():
        algorithm = algorithm_of(entry.get("digest")) if isinstance(entry, dict) else None
        if algorithm is not None:
            return algorithm if algorithm in HASHERS else None
    return None


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
    inputs: dict[str, str] = field(default_factory=dict)  # names bound to literals -> their repr (short)
    literal_texts: list[str] = field(default_factory=list)  # str() and repr() of the cell's literals
    constructors: list[str] = field(default_factory=list)  # classes the cell calls (``RandomForest(...)``)
    clock: list[str] = field(default_factory=list)  # clock reads: in its source, and counted as it ran
    causes: list[str] = field(default_factory=list)  # what in the cell and its history varies run to run
    infrastructure: str = ""  # entropy read by infrastructure while it ran: a note, never a cause
    algorithm: str = ALGORITHM  # of the digests

    def document(self) -> dict[str, Any]:
        """``state.json``: per name its type, digest, a short summary (and small numeric elements)."""
        entries: dict[str, dict[str, Any]] = {}
        skipped = dict(self.skipped)
        for name, (kind, value) in self.values.items():
            if isinstance(value, Digested):
                entries[name] = {"type": kind, "digest": value.digest, "summary": value.summary}
                continue
            try:
                entry: dict[str, Any] = {"type": kind, "digest": _hex(value, [MAX_ITEMS], self.algorithm)}
            except Exception as error:  # NotDigestible, or a value that fails to hash
                skipped[name] = str(error) if isinstance(error, NotDigestible) else f"{type(error).__name__}"
                continue
            entry["summary"] = _summary(value)
            elements = _elements(value)
            if elements is not None:
                entry["elements"] = elements
            entries[name] = entry
        return {
            "values": entries,
            "not_compared": skipped,
            "max_bytes": MAX_BYTES,
            "inputs": self.inputs,
            "literal_texts": self.literal_texts,
            "constructors": self.constructors,
            "clock": self.clock,
            "causes": self.causes,
            "infrastructure_entropy": self.infrastructure,
        }


def digest_as(algorithm: str | None) -> None:
    """In a replay kernel, before the replayed ``%%track`` cell: its snapshot digests with ``algorithm``,
    the record's (``recorded_algorithm``), so that a record of an earlier version still compares; ``None``
    (or one not known here): ``ALGORITHM``."""
    global _replaying
    _replaying = algorithm if algorithm in HASHERS else None


def snapshot(
    body: str, namespace: dict[str, Any], max_bytes: int = MAX_BYTES, algorithm: str | None = None
) -> StateSnapshot:
    """The values of the names the cell bound, as they are now (cheap: on the cell's path), to be digested
    with ``algorithm`` (``None``: the replayed record's, see ``digest_as``, else ``ALGORITHM``)."""
    algorithm = algorithm or _replaying
    state = StateSnapshot(
        algorithm=algorithm if algorithm is not None and algorithm in HASHERS else ALGORITHM
    )
    budget = [max_bytes, MAX_HASHED_BYTES]  # to copy, to hash on the path
    tree = parse_python(body)
    literals = literal_assignments(tree)
    state.literal_texts, state.constructors = _literal_texts(tree, literals), _constructors(tree)
    _read_causes(state, body, namespace)
    for name in sorted(names_bound(tree)):
        if name.startswith("_") or name not in namespace:
            continue
        value = namespace[name]
        if name in literals and _is_literal(value, literals[name]):
            state.inputs[name] = repr(value)[:MAX_LITERAL_TEXT]  # an input the cell wrote down
            continue
        if isinstance(
            value, types.ModuleType | types.FunctionType | types.BuiltinFunctionType | types.MethodType | type
        ):
            continue  # imports and definitions: code, not results
        kind = type(value)
        try:
            state.values[name] = (
                f"{kind.__module__}.{kind.__qualname__}",
                _frozen(value, budget, state.algorithm),
            )
        except NotDigestible as error:
            state.skipped[name] = str(error)
        except Exception as error:
            state.skipped[name] = f"cannot be copied ({type(error).__name__})"
    return state


def _is_literal(value: Any, literal: Any) -> bool:
    """Whether the namespace still holds the literal the cell assigned (not mutated, not rebound)."""
    try:
        return type(value) is type(literal) and bool(value == literal)
    except Exception:
        return False


def _literal_texts(tree: ast.Module | None, literals: dict[str, Any]) -> list[str]:
    """The texts the cell wrote down to be shown as they are: f-strings' fixed parts, constants printed
    (``print("done")``) and the str() and repr() of the literals it assigned: an output line made of these
    alone shows no result. A constant the cell chose at run time (``"yes" if ok else "no"``) is a result."""
    texts: set[str] = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.JoinedStr):
            parts = node.values
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print":
            parts = list(node.args)
        else:
            continue
        for part in parts:
            if isinstance(part, ast.Constant) and isinstance(part.value, str) and part.value.strip():
                texts.add(part.value)
    for value in literals.values():
        texts.update((str(value), repr(value)))
    return sorted(t for t in texts if len(t) <= MAX_LITERAL_TEXT)


def _constructors(tree: ast.Module | None) -> list[str]:
    """Names of the classes the cell calls (capitalised callees): a line that is their repr is config."""
    found: set[str] = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name[:1].isupper():
                found.add(name)
    return sorted(found)


def _read_causes(state: StateSnapshot, body: str, namespace: dict[str, Any]) -> None:
    """The clock reads and likely causes of variation: the cell's source, the sources the kernel ran
    before it (IPython's ``In``) and what the cell's entropy watch counted."""
    watch = last_watch()
    counted = [
        f"{what} ({n} {'call' if n == 1 else 'calls'})" for what, n in (watch.clock if watch else {}).items()
    ]
    seen = {c.split(" (", 1)[0] for c in counted}
    state.clock = sorted({*(c for c in clock_reads_in(body) if c not in seen), *counted})
    history = namespace.get("In")
    earlier = [s for s in history if isinstance(s, str)] if isinstance(history, list) else []
    state.causes = likely_causes([*earlier, body])
    state.infrastructure = watch.describe(watch.infrastructure) if watch else ""
