"""Original vs reproduction: metrics step by step and the cell's text outputs -> a verdict.

``exact``: every value bitwise equal and the masked outputs identical. ``close``: within
``|a - b| <= atol + rtol * |a|``. ``diverged``: the first step (or output) where that fails.
``failed``: the replay raised. ``varied``: a deliberate ``--set`` variation whose results differ
(the differences are reported, not called a divergence).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITY = {"exact": 0, "close": 1, "diverged": 2}

# What differs between any two runs of the same code, masked before outputs are compared.
MASKS: list[tuple[str, re.Pattern[str]]] = [
    (
        "elapsed time",
        re.compile(
            r"(?i)\b(wall time|cpu times?|elapsed|took|duration|time)\b[:=]?\s*[^\n]*?\d[\d.]*\s*(ns|µs|us|ms|s|sec|secs|seconds|min|minutes|h)\b[^\n]*"
        ),
    ),
    ("elapsed time", re.compile(r"\b\d+(\.\d+)?\s*(ns|µs|us|ms|s|sec|secs|seconds|it/s|s/it)\b")),
    (
        "date/time",
        re.compile(r"\b\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?\b"),
    ),
    ("date/time", re.compile(r"\b\d{1,2}:\d{2}:\d{2}(\.\d+)?\b")),
    ("memory address", re.compile(r"\b0x[0-9a-fA-F]{6,}\b")),
    (
        "temp path",
        re.compile(
            r"(/tmp|/var/folders|/private/var/folders|[A-Za-z]:\\\\Users\\\\[^\\\\]+\\\\AppData\\\\Local\\\\Temp)[^\s'\",)\]]*"
        ),
    ),
    (
        "run or kernel id",
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{32}\b"),
    ),
]
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b")
COMPARED_STREAMS = ("stdout", "result", "display")


@dataclass
class Tolerance:
    rtol: float = 1e-5
    atol: float = 1e-8

    def close(self, original: float, reproduced: float) -> bool:
        if math.isnan(original) or math.isnan(reproduced):
            return math.isnan(original) and math.isnan(reproduced)
        return abs(original - reproduced) <= self.atol + self.rtol * abs(original)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@dataclass
class MetricComparison:
    key: str
    status: str  # exact / close / diverged
    steps: int
    original_last: float | None
    reproduced_last: float | None
    max_abs_diff: float | None = None
    first_divergence: dict[str, Any] | None = None


def compare_series(
    key: str, original: list[tuple[int, float]], reproduced: list[tuple[int, float]], tol: Tolerance
) -> MetricComparison:
    result = MetricComparison(
        key, "exact", len(original),
        original[-1][1] if original else None, reproduced[-1][1] if reproduced else None,
    )  # fmt: skip
    diffs = []
    for index, (step, value) in enumerate(original):
        if index >= len(reproduced) or reproduced[index][0] != step:
            result.status = "diverged"
            result.first_divergence = {"step": step, "original": value, "reproduced": None, "why": "missing"}
            return result
        other = reproduced[index][1]
        if _same(value, other):
            continue
        diffs.append(abs(value - other))
        if tol.close(value, other):
            result.status = "close"
        else:
            result.status = "diverged"
            result.first_divergence = {"step": step, "original": value, "reproduced": other}
            break
    if result.status != "diverged" and len(reproduced) > len(original):
        extra = reproduced[len(original)]
        result.status = "diverged"
        result.first_divergence = {"step": extra[0], "original": None, "reproduced": extra[1], "why": "extra"}
    result.max_abs_diff = max(diffs) if diffs else 0.0
    return result


def mask(text: str, counts: Counter[str] | None = None) -> str:
    for label, pattern in MASKS:
        text, found = pattern.subn(f"<{label}>", text)
        if counts is not None and found:
            counts[label] += found
    return text


def output_text(document: dict[str, Any] | None) -> str:
    items = (document or {}).get("outputs", [])
    return "".join(item.get("text", "") for item in items if item.get("name") in COMPARED_STREAMS)


@dataclass
class OutputComparison:
    status: str  # exact / close / diverged / unavailable
    masked: dict[str, int] = field(default_factory=dict)
    first_difference: dict[str, Any] | None = None


def compare_outputs(
    original: dict[str, Any] | None, reproduced: dict[str, Any] | None, tol: Tolerance
) -> OutputComparison:
    if original is None or reproduced is None:
        return OutputComparison("unavailable")
    counts: Counter[str] = Counter()
    a, b = mask(output_text(original), counts), mask(output_text(reproduced))
    result = OutputComparison("exact", masked=dict(counts))
    if a == b:
        return result
    a_text, b_text = NUMBER.split(a), NUMBER.split(b)
    a_nums, b_nums = NUMBER.findall(a), NUMBER.findall(b)
    if a_text != b_text or len(a_nums) != len(b_nums):
        result.status = "diverged"
        result.first_difference = _first_line_difference(a, b)
        return result
    for x, y in zip(a_nums, b_nums, strict=True):
        if x == y:
            continue
        if tol.close(float(x), float(y)):
            result.status = "close"
        else:
            result.status = "diverged"
            result.first_difference = {"original": x, "reproduced": y, **_first_line_difference(a, b)}
            return result
    return result


def _first_line_difference(a: str, b: str) -> dict[str, Any]:
    a_lines, b_lines = a.splitlines(), b.splitlines()
    for number in range(max(len(a_lines), len(b_lines))):
        left = a_lines[number] if number < len(a_lines) else None
        right = b_lines[number] if number < len(b_lines) else None
        if left != right:
            return {"line": number + 1, "original_line": left, "reproduced_line": right}
    return {}


@dataclass
class Verdict:
    verdict: str
    summary: str
    metrics: list[MetricComparison] = field(default_factory=list)
    outputs: OutputComparison | None = None
    tolerance: Tolerance = field(default_factory=Tolerance)
    overrides: list[str] = field(default_factory=list)
    failure: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        return asdict(self)


def verdict_from(
    original_metrics: dict[str, list[tuple[int, float]]],
    reproduced_metrics: dict[str, list[tuple[int, float]]],
    original_outputs: dict[str, Any] | None,
    reproduced_outputs: dict[str, Any] | None,
    tol: Tolerance,
    overrides: list[str] | None = None,
) -> Verdict:
    metrics = [compare_series(k, v, reproduced_metrics.get(k, []), tol) for k, v in original_metrics.items()]
    outputs = compare_outputs(original_outputs, reproduced_outputs, tol)
    statuses = [m.status for m in metrics] + ([outputs.status] if outputs.status != "unavailable" else [])
    worst = max(statuses, key=SEVERITY.__getitem__, default="exact")
    summary = _summary(worst, metrics, outputs, tol)
    if overrides and worst != "exact":
        changed = [m.key for m in metrics if m.status != "exact"] + (
            ["outputs"] if outputs.status not in ("exact", "unavailable") else []
        )
        return Verdict(
            "varied", f"deliberate variation ({'; '.join(overrides)}): changed {', '.join(changed)}",
            metrics, outputs, tol, overrides,
        )  # fmt: skip
    if overrides:
        summary += f" despite {'; '.join(overrides)}"
    return Verdict(worst, summary, metrics, outputs, tol, overrides or [])


def _summary(worst: str, metrics: list[MetricComparison], outputs: OutputComparison, tol: Tolerance) -> str:
    compared = f"{len(metrics)} metrics" + (" and the outputs" if outputs.status != "unavailable" else "")
    if worst == "exact":
        return f"{compared} identical"
    if worst == "close":
        return f"{compared} within rtol={tol.rtol:g}, atol={tol.atol:g}"
    diverged = next((m for m in metrics if m.status == "diverged"), None)
    if diverged is not None and diverged.first_divergence is not None:
        d = diverged.first_divergence
        return f"{diverged.key} diverged at step {d['step']}: {d['original']} → {d['reproduced']}"
    line = (outputs.first_difference or {}).get("line")
    return f"outputs differ (line {line})" if line else "outputs differ"


def failed_verdict(where: str, ename: str, evalue: str, tol: Tolerance, overrides: list[str]) -> Verdict:
    return Verdict(
        "failed", f"{where} raised {ename}: {evalue}", tolerance=tol, overrides=overrides,
        failure={"cell": where, "ename": ename, "evalue": evalue},
    )  # fmt: skip
