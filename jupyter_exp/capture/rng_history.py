"""``rng_history.json``: the generator states before each cell of a run's history, each distinct state once.

Most cells draw from no generator, and one that draws from Python's ``random`` moves only its index: a
state per cell in full (format 1) made the artifact grow by ~11 KB per executed cell, written and
uploaded again by every tracked cell. Format 2 keeps each distinct state of one generator once, in a
table of values, and a state that differs from an earlier one in a few places as a patch of it::

    {"format": 2,
     "values": [<value>, ...],
     "states": {"<execution count>": {"<key>": <index into values>, ...}, ...}}

A key is one entry of a cell's states (``random``, ``numpy``, ``numpy@import``, ``torch``, ``objects``...);
a value is that generator's state in ``rng_codec`` JSON, or a patch of an earlier full value (never of
a patch, so that any entry is read in one step)::

    {"patch": {"base": <index>, "edits": [{"at": <path>, "set": <JSON>},
                                          {"at": <path>, "text": [[<offset>, "<chars>"], ...]}]}}

``at`` is a path of keys and list indices into the base's JSON; ``set`` puts a subtree there, ``text``
overwrites characters of the string there (base64 data: torch's state bytes, numpy arrays) keeping its
length. Every run's document holds all it references: it is a complete record on its own. A session
builds its document incrementally (``SessionStates``): each ended cell's states are added once, so a
tracked cell's work on the document does not grow with the history; what is written grows by the
distinct states only (tens of bytes per cell that drew, not kilobytes).

Reading (``read``) takes format 1 and 2, checks every value (patches applied) with ``rng_codec``'s
shape check before anything uses it, and raises ``StateFormatError`` for anything else.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from jupyter_exp.capture import rng_codec
from jupyter_exp.capture.rng_codec import StateFormatError

FORMAT = 2  # the "format" written
READ_FORMATS = (1, 2)
BLOCK = 64  # values or entries joined into one chunk of the document
MAX_EDITS = 32  # a state that differs from its base in more places is stored whole
TEXT_BLOCK = 64  # characters a text edit compares and writes at once (48 bytes of base64)


def _text(tree: Any) -> str:
    return json.dumps(tree, separators=(",", ":"), allow_nan=False)


class _TooDifferent(Exception):
    pass


def _diff(base: Any, new: Any, path: list[Any], edits: list[dict[str, Any]]) -> None:
    """Edits that turn JSON ``base`` into ``new`` (``_TooDifferent`` past ``MAX_EDITS``). Containers of the
    same shape are compared item by item; ``==`` only skips subtrees, and the caller checks the result."""
    if base == new:
        return
    if isinstance(base, list) and isinstance(new, list) and len(base) == len(new):
        for index in _changed(base, new, 0, len(new)):
            _diff(base[index], new[index], [*path, index], edits)
        return
    if isinstance(base, dict) and isinstance(new, dict) and base.keys() == new.keys():
        for key, b in new.items():
            if base[key] != b:
                _diff(base[key], b, [*path, key], edits)
        return
    if isinstance(base, str) and isinstance(new, str) and len(base) == len(new) > 2 * TEXT_BLOCK:
        spans = [
            [start, new[start : start + TEXT_BLOCK]]
            for start in range(0, len(new), TEXT_BLOCK)
            if base[start : start + TEXT_BLOCK] != new[start : start + TEXT_BLOCK]
        ]
        if len(spans) * 2 <= len(new) // TEXT_BLOCK:
            edits.append({"at": path, "text": spans})
            if len(edits) > MAX_EDITS:
                raise _TooDifferent
            return
    edits.append({"at": path, "set": new})
    if len(edits) > MAX_EDITS:
        raise _TooDifferent


def _changed(base: list[Any], new: list[Any], start: int, end: int) -> Iterator[int]:
    """The indexes where two lists of one length differ, found by halves (random's 625 ints, one
    changed: a dozen slice comparisons instead of 625 in Python)."""
    if base[start:end] == new[start:end]:
        return
    if end - start <= 8:
        yield from (i for i in range(start, end) if base[i] != new[i])
        return
    middle = (start + end) // 2
    yield from _changed(base, new, start, middle)
    yield from _changed(base, new, middle, end)


def _identical(a: Any, b: Any) -> bool:
    """Whether JSON ``a`` and ``b`` are written the same: ``==`` alone takes 1, 1.0 and True, or 0.0 and
    -0.0, for one another."""
    return type(a) is type(b) and bool(a == b) and _same_kinds(a, b)


def _same_kinds(a: Any, b: Any) -> bool:
    """For ``a == b``: whether their leaves are of the same types (and zeros of the same sign)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        kinds = list(map(type, a))
        if kinds != list(map(type, b)):
            return False
        return set(kinds) <= rng_codec.PLAIN or all(
            _same_kinds(x, y) for x, y in zip(a, b, strict=True) if type(x) in _DEEPER
        )
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_kinds(x, b[k]) for k, x in a.items() if type(x) in _DEEPER)
    if isinstance(a, float):
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return True


_DEEPER = (list, dict, float)  # what _same_kinds looks into


def _patched(tree: Any, path: list[Any], edit: dict[str, Any], depth: int = 0) -> Any:
    """``tree`` with one edit applied at ``path``: the containers on the path copied, the rest shared."""
    if depth > rng_codec.MAX_DEPTH:
        raise StateFormatError("a patch path nested too deep")
    if depth == len(path):
        if "set" in edit:
            return edit["set"]
        return _spliced(tree, edit.get("text"))
    key = path[depth]
    if isinstance(tree, list) and isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(tree):
        items = list(tree)
        items[key] = _patched(tree[key], path, edit, depth + 1)
        return items
    if isinstance(tree, dict) and isinstance(key, str) and key in tree:
        return {**tree, key: _patched(tree[key], path, edit, depth + 1)}
    raise StateFormatError(f"a patch path {path!r} that its base does not have")


def _spliced(text: Any, spans: Any) -> str:
    if not isinstance(text, str) or not isinstance(spans, list):
        raise StateFormatError("a text edit of something that is not text")
    parts, at = [], 0
    for span in spans:
        if not (isinstance(span, list) and len(span) == 2 and isinstance(span[1], str)):
            raise StateFormatError("a text edit that is not [offset, text]")
        offset, chars = span
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < at:
            raise StateFormatError("text edits out of order")
        if offset + len(chars) > len(text):
            raise StateFormatError("a text edit past the end of its text")
        parts += [text[at:offset], chars]
        at = offset + len(chars)
    parts.append(text[at:])
    return "".join(parts)


def apply(base: Any, edits: Any) -> Any:
    """``base`` (JSON) with a patch's ``edits`` applied; ``StateFormatError`` for a malformed patch."""
    if not isinstance(edits, list):
        raise StateFormatError("a patch without a list of edits")
    tree = base
    for edit in edits:
        ok = isinstance(edit, dict) and isinstance(edit.get("at"), list) and len(edit) == 2
        if not ok or not ("set" in edit or "text" in edit):
            raise StateFormatError("a patch edit that is not {at, set} or {at, text}")
        tree = _patched(tree, edit["at"], edit)
    return tree


class SessionStates:
    """One kernel session's ``rng_history.json``, built as its history grows. Each added state is
    encoded once, looked up by content (a state seen before is a reference to it) and, when new,
    stored as a patch of the last full state under the same key where that is small. The document's
    chunks are kept, so that writing it for a tracked cell costs what the new cells add."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: dict[bytes, int] = {}  # digest of a value's JSON (whole, or a patch) -> its index
        self._bases: dict[str, tuple[int, Any]] = {}  # key -> its last full value: index, JSON
        self._last: dict[str, tuple[int, Any]] = {}  # key -> its value in the previous cell: index, JSON
        self._values: list[bytes] = []  # full blocks of values, then the values of the block being filled
        self._value_tail: list[bytes] = []
        self._count = 0
        self._entries: list[bytes] = []
        self._entry_tail: list[bytes] = []
        self._any_entry = False

    def add(self, execution_count: int, states: dict[str, Any]) -> None:
        """An ended cell's states (they will not change again): encoded now, once."""
        if not states:
            return
        with self._lock:
            text = self._entry(execution_count, states, self._any_entry)
            self._any_entry = True
            self._entry_tail.append(text)
            if len(self._entry_tail) >= BLOCK:
                self._entries.append(b"".join(self._entry_tail))
                self._entry_tail = []

    def chunks(self, running: Sequence[tuple[int, dict[str, Any]]] = ()) -> list[bytes]:
        """The document of the cells added so far plus ``running`` ones (encoded for this document only:
        their states may still change), as chunks to write in turn."""
        with self._lock:
            entries = [*self._entries, *self._entry_tail]
            any_entry = self._any_entry
            for count, states in running:
                if states:
                    entries.append(self._entry(count, states, any_entry))
                    any_entry = True
            values = [*self._values, *self._value_tail]
        head = b'{"format":%d,"values":[' % FORMAT
        return [head, *values, b'],"states":{', *entries, b"}}"]

    def _entry(self, execution_count: int, states: dict[str, Any], after_another: bool) -> bytes:
        refs = {str(key): self._value(str(key), rng_codec.encode(state)) for key, state in states.items()}
        return ("," if after_another else "").encode() + f'"{execution_count}":{_text(refs)}'.encode()

    def _value(self, key: str, tree: Any) -> int:
        """The index of ``tree`` (``key``'s state), added when new. Comparisons are on the JSON trees:
        writing a state out (random's 625 ints: 0.1 ms) is left to those stored whole."""
        last = self._last.get(key)
        if last is not None and _identical(last[1], tree):  # unchanged since the previous cell: most keys
            return last[0]
        base = self._bases.get(key)
        text = self._patch(base, tree) if base is not None else None
        if text == "":
            index = base[0]  # type: ignore[index]  # back to its base's state
        else:
            text = text or _text(tree)
            digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
            index = self._index.get(digest, self._count)
            if index == self._count:
                self._add_value(text, digest)
                if not text.startswith('{"patch"'):
                    self._bases[key] = (index, tree)
        self._last[key] = (index, tree)
        return index

    def _add_value(self, text: str, digest: bytes) -> None:
        self._index[digest] = self._count
        self._value_tail.append(("," if self._count else "").encode() + text.encode())
        self._count += 1
        if len(self._value_tail) >= BLOCK:
            self._values.append(b"".join(self._value_tail))
            self._value_tail = []

    @staticmethod
    def _patch(base: tuple[int, Any], tree: Any) -> str | None:
        """``tree`` as a patch of ``base`` (``""``: the same) when it differs in a few places and the patch
        gives it back exactly; ``None`` when it is to be stored whole."""
        edits: list[dict[str, Any]] = []
        try:
            _diff(base[1], tree, [], edits)
        except _TooDifferent:
            return None
        if not _identical(apply(base[1], edits), tree):  # ``==`` took 1, 1.0 or True for one another
            return None
        if not edits:
            return ""
        patch = _text({"patch": {"base": base[0], "edits": edits}})
        if len(patch) > TEXT_BLOCK * 4 and len(patch) * 2 > len(_text(tree)):
            return None  # a patch of a small state, or a large edit: whole is as short
        return patch


def document(entries: list[tuple[int, dict[str, Any]]]) -> bytes:
    """The whole document of ``(execution count, states)`` entries, built afresh."""
    states = SessionStates()
    for count, entry_states in entries:
        states.add(count, entry_states)
    return b"".join(states.chunks())


class RecordedStates(Mapping[int, str]):
    """A run's ``rng_history.json`` as read back and checked: execution count -> the states recorded
    before that cell, as the ``rng_codec`` JSON a replay kernel takes (built when asked for)."""

    def __init__(self, values: list[Any], entries: dict[int, int | dict[str, int]]) -> None:
        self._values, self._entries = values, entries  # format 1: an entry is one value, whole

    def __getitem__(self, execution_count: int) -> str:
        refs = self._entries[execution_count]
        if isinstance(refs, int):
            return _text(self._values[refs])
        return _text({"dict": {key: self._values[index] for key, index in refs.items()}})

    def __iter__(self) -> Iterator[int]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def read(document: Any) -> RecordedStates:
    """``rng_history.json`` (parsed JSON) of format 1 or 2, every state checked by ``rng_codec``;
    ``StateFormatError`` saying where for anything else."""
    if not isinstance(document, dict) or document.get("format") not in READ_FORMATS:
        raise StateFormatError(f"not generator states of format {' or '.join(map(str, READ_FORMATS))}")
    states = document.get("states")
    if not isinstance(states, dict):
        raise StateFormatError("no states")
    if document["format"] == 1:
        return _read_whole(states)
    values = _read_values(document.get("values"))
    entries: dict[int, int | dict[str, int]] = {}
    for count, refs in states.items():
        if not isinstance(refs, dict) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(values) for i in refs.values()
        ):
            raise StateFormatError(f"entry {count!r} is not references to its values")
        entries[_count(count)] = refs
    return RecordedStates(values, entries)


def _read_whole(states: dict[str, Any]) -> RecordedStates:
    values: list[Any] = []
    entries: dict[int, int | dict[str, int]] = {}
    for count, entry in states.items():
        try:
            rng_codec.decode(entry)  # the shape check; the replay kernel decodes it again to use it
        except StateFormatError as error:
            raise StateFormatError(f"at entry {count!r} ({error})") from None
        entries[_count(count)] = len(values)
        values.append(entry)
    return RecordedStates(values, entries)


def _read_values(values: Any) -> list[Any]:
    if not isinstance(values, list):
        raise StateFormatError("no values")
    resolved: list[Any] = []
    full: set[int] = set()
    for index, value in enumerate(values):
        try:
            if isinstance(value, dict) and set(value) == {"patch"}:
                patch = value["patch"]
                if not isinstance(patch, dict) or set(patch) != {"base", "edits"}:
                    raise StateFormatError("a patch that is not {base, edits}")
                base = patch["base"]
                if not isinstance(base, int) or isinstance(base, bool) or base not in full:
                    raise StateFormatError("a patch whose base is not an earlier full value")
                value = apply(resolved[base], patch.get("edits"))
            else:
                full.add(index)
            rng_codec.decode(value, 1)  # the shape check, patches applied, at its depth in an entry
        except StateFormatError as error:
            raise StateFormatError(f"at value {index} ({error})") from None
        resolved.append(value)
    return resolved


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise StateFormatError(f"an entry {text!r} that is not an execution count") from None
