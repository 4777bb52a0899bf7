"""Generator states as plain JSON data, read back with a schema check: never a pickle.

A run's record travels through a store anyone on the team can write to, so what a replay reads from it
must be data that cannot run code when it is loaded. Generator states are made of a few shapes only:
``random``'s state is a tuple of ints, numpy's legacy state a tuple holding a ``uint32`` array, a numpy
``BitGenerator`` state a dict of ints, strings and arrays, torch's a byte tensor. Each is written as JSON
with a tag for what JSON lacks::

    {"tuple": [...]}                                   a tuple
    {"dict": {"key": ...}}                             a dict (string keys)
    {"bytes": "<base64>"}                              bytes; torch's byte tensors are written as bytes
    {"ndarray": {"dtype": "<u4", "shape": [624], "data": "<base64>"}}   a numeric numpy array

Lists, strings, numbers, booleans and null are themselves. Decoding accepts exactly these shapes (a
numeric dtype only, the data's size matching dtype and shape, a bounded depth) and raises
``StateFormatError`` for anything else; numpy is imported only for a document that holds an array.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import sys
from typing import Any

MAX_DEPTH = 16
NUMERIC_KINDS = frozenset("biuf")  # bool, signed and unsigned ints, floats: no object or string arrays
PLAIN = frozenset({int, str, bool, type(None)})  # exactly these types are their own JSON


class StateFormatError(ValueError):
    """A document is not generator states in this format."""


def encode(value: Any) -> Any:
    """``value`` as JSON data (see the module's docstring); raises ``StateFormatError`` for other types."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, tuple):
        return {"tuple": _items(value)}
    if isinstance(value, list):
        return _items(value)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise StateFormatError("a state dict with keys that are not strings")
        return {"dict": {key: encode(item) for key, item in value.items()}}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": base64.b64encode(bytes(value)).decode("ascii")}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        if isinstance(value, numpy.ndarray) and value.dtype.kind in NUMERIC_KINDS:
            array = numpy.ascontiguousarray(value)
            return {
                "ndarray": {
                    "dtype": array.dtype.str,
                    "shape": list(array.shape),
                    "data": base64.b64encode(array.tobytes()).decode("ascii"),
                }
            }
        if isinstance(value, numpy.generic) and value.dtype.kind in NUMERIC_KINDS:
            return encode(value.item())
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor) and value.dtype == torch.uint8:
        return encode(bytes(value.detach().cpu().flatten().tolist()))
    raise StateFormatError(f"a generator state holding a {type(value).__name__}")


def _items(values: tuple[Any, ...] | list[Any]) -> list[Any]:
    # a state is mostly long runs of ints (random's 625): those are themselves, without a call each
    if set(map(type, values)) <= PLAIN:
        return list(values)
    return [encode(item) for item in values]


def dumps(value: Any) -> str:
    return json.dumps(encode(value), separators=(",", ":"), allow_nan=False)


def decode(document: Any, depth: int = 0) -> Any:
    """The value ``encode`` wrote; ``StateFormatError`` for anything that is not of that shape."""
    if depth > MAX_DEPTH:
        raise StateFormatError("generator states nested too deep")
    if document is None or isinstance(document, (bool, int, float, str)):
        return document
    if isinstance(document, list):
        if set(map(type, document)) <= PLAIN:
            return list(document)
        return [decode(item, depth + 1) for item in document]
    if not isinstance(document, dict) or len(document) != 1:
        raise StateFormatError(f"unexpected {type(document).__name__} in generator states")
    ((tag, body),) = document.items()
    if tag == "tuple" and isinstance(body, list):
        return tuple(decode(item, depth + 1) for item in body)
    if tag == "dict" and isinstance(body, dict):
        return {str(key): decode(item, depth + 1) for key, item in body.items()}
    if tag == "bytes" and isinstance(body, str):
        return _b64(body)
    if tag == "float" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "ndarray" and isinstance(body, dict):
        return _array(body)
    raise StateFormatError(f"unexpected tag {tag!r} in generator states")


def loads(text: str | bytes) -> Any:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise StateFormatError(f"not JSON ({error})") from None
    return decode(document)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise StateFormatError("bytes that are not base64") from None


def _array(body: dict[str, Any]) -> Any:
    dtype, shape, data = body.get("dtype"), body.get("shape"), body.get("data")
    if not isinstance(dtype, str) or not isinstance(data, str) or not isinstance(shape, list):
        raise StateFormatError("an array without dtype, shape and data")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise StateFormatError("an array with a bad shape")
    import numpy

    try:
        kind = numpy.dtype(dtype)
    except TypeError:
        raise StateFormatError(f"an array of unknown dtype {dtype!r}") from None
    if kind.kind not in NUMERIC_KINDS:
        raise StateFormatError(f"an array of dtype {dtype!r}: only numbers are generator states")
    raw = _b64(data)
    if len(raw) != math.prod(shape) * kind.itemsize:
        raise StateFormatError("an array whose data does not match its dtype and shape")
    return numpy.frombuffer(raw, dtype=kind).reshape(shape).copy()
