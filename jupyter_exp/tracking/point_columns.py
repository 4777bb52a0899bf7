"""Metric points kept as machine numbers: 32 bytes a point instead of a ~140-byte tuple.

``log()`` extends one ``bytearray`` by a point's four numbers packed as doubles, (key index, value, time
in seconds, step), in one call: atomic under the GIL, so the writer's thread never takes a point
half-written (``struct`` packing is twice as fast as ``array.extend``). Taken points
become the sinks' ``(key, value, timestamp ms, step)`` tuples by ``map``/``zip`` (no Python code a
point), and go to the journal as one packed write: a JSON header line (format, byte order, key names),
then the array's bytes as they lie (no base64, no JSON of the numbers): sealing a million points is one
copy and one file write. A spooled file is data: read back with its shape checked (``points-1``, base64
in JSON, still read). Steps and timestamps are exact as doubles (integers below 2**53; larger steps take
the tuple path).
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import sys
from array import array
from typing import Any

Point = tuple[str, float, int, int]  # key, value, timestamp (ms), step
FORMAT = "points-1"  # base64 in a JSON document (read only)
PACKED = "points-2"  # a JSON header line, then the numbers' bytes
WIDTH = 4  # numbers a point
_MS = 1000.0
PACK = struct.Struct(f"={WIDTH}d").pack
POINT_BYTES = 8 * WIDTH


class SpoolFormatError(ValueError):
    """A spooled document is not points in this format."""


class Taken:
    """Points taken off the buffer: the names their key indices refer to, and the flat numbers."""

    def __init__(self, names: list[str], flat: array[float] | memoryview[float]) -> None:
        self.names, self.flat = names, flat  # a view of doubles as taken; an array as read back

    def __len__(self) -> int:
        return len(self.flat) // WIDTH

    def slice(self, start: int, stop: int) -> Taken:
        return Taken(self.names, self.flat[start * WIDTH : stop * WIDTH])

    def points(self) -> list[Point]:
        flat = self.flat
        keys = map(self.names.__getitem__, map(int, flat[0::WIDTH]))
        stamps = map(int, map(_MS.__mul__, flat[2::WIDTH]))
        return list(zip(keys, flat[1::WIDTH], stamps, map(int, flat[3::WIDTH]), strict=True))

    def last_values(self) -> dict[str, float]:
        """Each key's last value (what the card shows), found from the end."""
        last: dict[str, float] = {}
        flat, wanted = self.flat, len(set(self.flat[0::WIDTH]))
        for start in range(len(flat) - WIDTH, -1, -WIDTH):
            name = self.names[int(flat[start])]
            if name not in last:
                last[name] = flat[start + 1]
                if len(last) == wanted:
                    break
        return last

    def packed(self) -> list[bytes | memoryview]:
        """The journal's form, as the chunks of one write: the header line (native byte order, named),
        then the numbers' own bytes (not copied)."""
        header = {"format": PACKED, "byteorder": sys.byteorder, "names": list(self.names)}
        return [json.dumps(header).encode() + b"\n", memoryview(self.flat).cast("B")]  # no copy


class PointColumns:
    """The buffer (see the module doc); one writer's, extended by ``log()``, taken by its thread."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.packed = bytearray()
        self.pack = PACK  # (key index, value, seconds, step) -> 32 bytes

    def key_index(self, name: str) -> int:
        index = self.index.get(name)
        if index is None:
            index = self.index[name] = len(self.names)
            self.names.append(name)
        return index

    def __len__(self) -> int:
        return len(self.packed) // POINT_BYTES

    def take(self) -> Taken:
        """The points buffered now, removed from the buffer."""
        count = len(self.packed)  # whole points only: each is added by one extend
        taken = self.packed[:count]  # the one copy (a view of the buffer would stop log() extending it)
        del self.packed[:count]
        return Taken(list(self.names), memoryview(taken).cast("d"))


def read_document(document: Any) -> list[Point]:
    """The points of a spooled ``points-1`` document; ``SpoolFormatError`` for anything not of that shape."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SpoolFormatError("not a spooled points document")
    text = document.get("points")
    if not isinstance(text, str):
        raise SpoolFormatError("spooled points missing")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SpoolFormatError(f"spooled points: {error}") from None
    return _checked(document, data)


def read_packed(data: bytes) -> list[Point]:
    """The points of a spooled ``points-2`` file (``Taken.packed``); ``SpoolFormatError`` otherwise."""
    header, newline, numbers = data.partition(b"\n")
    try:
        document = json.loads(header) if newline else None
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("format") != PACKED:
        raise SpoolFormatError("not a spooled points file")
    return _checked(document, numbers)


def _checked(document: dict[str, Any], data: bytes) -> list[Point]:
    names = document.get("names")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise SpoolFormatError("spooled metric names are not strings")
    if len(data) % POINT_BYTES:
        raise SpoolFormatError("spooled points cut short")
    flat = array("d")
    flat.frombytes(data)
    if document.get("byteorder") != sys.byteorder:
        flat.byteswap()
    keys = flat[0::WIDTH]
    if keys and not all(0 <= key < len(names) and key.is_integer() for key in keys):
        raise SpoolFormatError("a spooled key index out of range")
    try:
        return Taken(names, flat).points()
    except (ValueError, OverflowError) as error:  # a NaN or infinite step or time
        raise SpoolFormatError(f"spooled points: {error}") from None
