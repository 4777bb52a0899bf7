"""The values the cell bound (``state.json`` of both runs), compared by name: digests, and for small
numeric values the elements ("``w``: 6 of 6 elements differ, max abs 0.001")."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jupyter_exp import record_schema as schema

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
    replay did not bind (or could not digest) diverges."""
    theirs = (reproduced or {}).get("values", {})
    compared = []
    for name, entry in (original or {}).get("values", {}).items():
        if CLOCK_NAME.search(name):
            continue
        other = theirs.get(name)
        if other is None:
            why = (reproduced or {}).get("not_compared", {}).get(name)
            compared.append(
                BoundComparison(
                    name,
                    schema.DIVERGED,
                    f"not digested by the replay: {why}" if why else "not bound by the replay",
                )
            )
        elif other.get("digest") == entry.get("digest"):
            compared.append(BoundComparison(name, schema.EXACT))
        elif (other.get("type"), other.get("summary")) != (entry.get("type"), entry.get("summary")):
            was, now = (
                f"{entry.get('type')} {entry.get('summary', '')}",
                f"{other.get('type')} {other.get('summary', '')}",
            )
            compared.append(BoundComparison(name, schema.DIVERGED, f"{was.strip()} → {now.strip()}"))
        elif isinstance(entry.get("elements"), list) and len(entry["elements"]) == len(
            other.get("elements") or []
        ):
            compared.append(_by_elements(name, entry["elements"], other["elements"], close))
        else:
            compared.append(
                BoundComparison(
                    name,
                    schema.DIVERGED,
                    f"its content differs ({entry.get('summary') or entry.get('type')})",
                )
            )
    return compared
