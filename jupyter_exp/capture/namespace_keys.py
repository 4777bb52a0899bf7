"""The keys a namespace gained since the last look, without looking at the others.

A kernel's namespace grows with every executed cell (IPython's ``_i<n>``, ``_<n>``), so what runs before
or around each cell must not walk it whole. A dict keeps insertion order: the keys added since the last
look are those after the last key seen then, found from its end. A deletion (the namespace is then
shorter than that walk implies) is told apart, and the caller looks at every key once.
"""

from __future__ import annotations

from typing import Any


class NewKeys:
    def __init__(self) -> None:
        self._length = 0
        self._last_key: object = None

    def since_last_look(self, namespace: dict[Any, Any]) -> list[Any] | None:
        """The keys added since the last call, newest first; None when keys were deleted meanwhile."""
        new: list[Any] = []
        for key in reversed(namespace):
            if key == self._last_key:
                break
            new.append(key)
        complete = len(namespace) == self._length + len(new)
        self._length, self._last_key = len(namespace), next(reversed(namespace), None)
        return new if complete else None
