"""Metric points kept as columns of machine numbers: 28 bytes a point instead of a ~200-byte tuple.

``log()`` appends a point's key (an index into the names), timestamp and step, then its value, each to
an ``array``; the writer's thread takes the points whose value is there (``take``), so a point being
appended on the user's thread is never taken half-written (each append is atomic under the GIL). Taken
points become the sinks' ``(key, value, timestamp, step)`` tuples by ``zip`` (no Python code a point),
and go to the journal as base64 of the arrays: sealing a million points takes milliseconds, not the
seconds a JSON list of tuples takes. A spooled document is data: read back with its shape checked.
"""

from __future__ import annotations

import base64
import binascii
import sys
from array import array
from collections.abc import Iterator
from typing import Any

Point = tuple[str, float, int, int]  # key, value, timestamp (ms), step
FORMAT = "columns-1"
_TYPES = {"keys": "I", "values": "d", "stamps": "q", "steps": "q"}


class SpoolFormatError(ValueError):
    """A spooled document is not points in this format."""


class Taken:
    """Points taken off the buffer, as columns."""

    def __init__(
        self, names: list[str], keys: array[int], values: array[float], stamps: array[int], steps: array[int]
    ):
        self.names, self.keys, self.values, self.stamps, self.steps = names, keys, values, stamps, steps

    def __len__(self) -> int:
        return len(self.values)

    def slice(self, start: int, stop: int) -> Taken:
        return Taken(
            self.names,
            self.keys[start:stop],
            self.values[start:stop],
            self.stamps[start:stop],
            self.steps[start:stop],
        )

    def points(self) -> list[Point]:
        return list(
            zip(map(self.names.__getitem__, self.keys), self.values, self.stamps, self.steps, strict=True)
        )

    def last_values(self) -> dict[str, float]:
        """Each key's last value (what the card shows), found from the end."""
        last: dict[str, float] = {}
        wanted = len(set(self.keys))
        for index in range(len(self.values) - 1, -1, -1):
            name = self.names[self.keys[index]]
            if name not in last:
                last[name] = self.values[index]
                if len(last) == wanted:
                    break
        return last

    def document(self) -> dict[str, Any]:
        """The journal's form: base64 of each column, native byte order (named)."""
        return {
            "format": FORMAT,
            "byteorder": sys.byteorder,
            "names": list(self.names),
            **{
                column: base64.b64encode(getattr(self, column).tobytes()).decode("ascii") for column in _TYPES
            },
        }


class PointColumns:
    """The buffer (see the module doc); one writer's, appended by ``log()``, taken by its thread."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self.keys: array[int] = array("I")
        self.values: array[float] = array("d")
        self.stamps: array[int] = array("q")
        self.steps: array[int] = array("q")

    def key_index(self, name: str) -> int:
        index = self._index.get(name)
        if index is None:
            index = self._index[name] = len(self.names)
            self.names.append(name)
        return index

    def __len__(self) -> int:
        return len(self.values)

    def take(self) -> Taken:
        """The complete points buffered now, removed from the buffer (the values column is appended last)."""
        count = len(self.values)
        keys, values, stamps, steps = (
            self.keys[:count],
            self.values[:count],
            self.stamps[:count],
            self.steps[:count],
        )
        for column in (self.keys, self.values, self.stamps, self.steps):
            del column[:count]
        return Taken(list(self.names), keys, values, stamps, steps)


def read_document(document: Any) -> Iterator[Point]:
    """The points of a spooled ``document``; ``SpoolFormatError`` for anything not of that shape."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SpoolFormatError("not a spooled columns document")
    names = document.get("names")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise SpoolFormatError("spooled metric names are not strings")
    columns: dict[str, array[Any]] = {}
    for column, code in _TYPES.items():
        text = document.get(column)
        if not isinstance(text, str):
            raise SpoolFormatError(f"spooled column {column} missing")
        values = array(code)
        try:
            values.frombytes(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError) as error:
            raise SpoolFormatError(f"spooled column {column}: {error}") from None
        if document.get("byteorder") != sys.byteorder:
            values.byteswap()
        columns[column] = values
    lengths = {len(values) for values in columns.values()}
    if len(lengths) != 1:
        raise SpoolFormatError("spooled columns of different lengths")
    if columns["keys"] and max(columns["keys"]) >= len(names):
        raise SpoolFormatError("a spooled key index out of range")
    taken = Taken(names, columns["keys"], columns["values"], columns["stamps"], columns["steps"])
    return iter(taken.points())
