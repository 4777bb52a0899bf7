"""The values the cell bound (``state.json`` of both runs), compared by name: digests, and for small
numeric values the elements ("``w``: 6 of 6 elements differ, max abs 0.001")."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.state import algorithm_of

# names that hold a clock reading, like the timing words the output masks go by: not compared
CLOCK_NAME = re.compile(
    r"(?i)(?:^|_)(?:time|times|elapsed|duration|took|runtime|walltime|wall|timestamp|now|tic|toc|t0|t1|"
    r"start_time|end_time|started|ended)(?:_?s|_ms|_ns)?(?:_|$)"
)


@dataclass
class BoundComparison:
    name: str
    status: str  # exact / close / diverged
    detail: str = ""

    @property
    def label(self) -> str:
        return self.name

    def describe(self) -> str:
        return f"{self.name}: {self.detail}" if self.detail else self.name


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _by_elements(
    name: str, a: list[Any], b: list[Any], close: Callable[[float, float], bool]
) -> BoundComparison:
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not _same(x, y)]
    largest = max((abs(x - y) for x, y in pairs), default=0.0)
    status = schema.CLOSE if all(close(float(x), float(y)) for x, y in pairs) else schema.DIVERGED
    return BoundComparison(name, status, f"{len(pairs)} of {len(a)} elements differ, max abs {largest:.3g}")


def compare_bound(
    original: dict[str, Any] | None, reproduced: dict[str, Any] | None, close: Callable[[float, float], bool]
) -> list[BoundComparison]:
    """Every value the original digested, clock readings aside (``t0``, ``elapsed``, ``train_time``); one the
    replay did not bind (or could not digest) diverges. Values ``not_comparable`` are left out."""
    compared = (_compare_one(name, entry, reproduced, close) for name, entry in _digested(original))
    return [c for c in compared if isinstance(c, BoundComparison)]


def not_comparable(original: dict[str, Any] | None, reproduced: dict[str, Any] | None) -> dict[str, str]:
    """Values whose digests are of different algorithms (a record made before ``state.json`` named
    them, replayed by a version that does not digest as it did) and that no summary or element tells
    apart: name -> why they are not compared. Never a divergence: the digests cannot say."""
    found = (
        (name, _compare_one(name, entry, reproduced, lambda a, b: a == b))
        for name, entry in _digested(original)
    )
    return {name: why for name, why in found if isinstance(why, str)}


def _digested(document: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    values = (document or {}).get("values", {})
    return [(n, e) for n, e in values.items() if isinstance(e, dict) and not CLOCK_NAME.search(n)]


def _compare_one(
    name: str, entry: dict[str, Any], reproduced: dict[str, Any] | None, close: Callable[[float, float], bool]
) -> BoundComparison | str:
    """One value compared, or why it cannot be."""
    other = (reproduced or {}).get("values", {}).get(name)
    if not isinstance(other, dict):
        why = (reproduced or {}).get("not_compared", {}).get(name)
        return BoundComparison(
            name, schema.DIVERGED, f"not digested by the replay: {why}" if why else "not bound by the replay"
        )
    if other.get("digest") == entry.get("digest"):
        return BoundComparison(name, schema.EXACT)
    if (other.get("type"), other.get("summary")) != (entry.get("type"), entry.get("summary")):
        was, now = (
            f"{entry.get('type')} {entry.get('summary', '')}",
            f"{other.get('type')} {other.get('summary', '')}",
        )
        return BoundComparison(name, schema.DIVERGED, f"{was.strip()} → {now.strip()}")
    algorithms = algorithm_of(entry.get("digest")), algorithm_of(other.get("digest"))
    elements, others = entry.get("elements"), other.get("elements")
    if isinstance(elements, list) and isinstance(others, list) and len(elements) == len(others):
        if algorithms[0] != algorithms[1] and list(map(repr, elements)) == list(map(repr, others)):
            return BoundComparison(name, schema.EXACT)  # the same elements, told by no common digest
        return _by_elements(name, elements, others, close)
    if algorithms[0] != algorithms[1]:
        return f"digests of different algorithms ({algorithms[0]} recorded, {algorithms[1]} replayed)"
    return BoundComparison(
        name, schema.DIVERGED, f"its content differs ({entry.get('summary') or entry.get('type')})"
    )
