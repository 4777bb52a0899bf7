"""Original vs reproduction: metrics step by step and the cell's text outputs -> a verdict.

``exact``: every value bitwise equal and the masked outputs identical. ``close``: within
``|a - b| <= atol + rtol * |a|``. ``diverged``: the first step (or output) where that fails.
``failed``: the replay raised. ``varied``: a deliberate ``--set`` variation whose results differ
(the differences are reported, not called a divergence). ``unverified``: there was nothing to
compare, so nothing was checked (never ``exact``).

What counts as compared is what the cell computed: an output line that is only masked tokens
(``Last updated: <date/time>``), the repr of a class the cell constructed (configuration) or text the
cell wrote down as a literal compares nothing, and names the cell bound to literals are its inputs; a
verdict resting on nothing else is ``unverified``, saying what it saw.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.reproduce.bound import CLOCK_NAME, BoundComparison, compare_bound, not_comparable
from jupyter_exp.reproduce.context import conditions, differences
from jupyter_exp.reproduce.figures import FigureComparison, compare_figures
from jupyter_exp.reproduce.masks import as_displayed, configuration_lines, echo_of, mask

SEVERITY = {schema.EXACT: 0, schema.CLOSE: 1, schema.DIVERGED: 2}
NOTHING_COMPARED = "nothing to compare: no metrics, outputs, figures or bound values"
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
        key,
        schema.EXACT,
        len(original),
        original[-1][1] if original else None,
        reproduced[-1][1] if reproduced else None,
    )
    diffs = []
    for index, (step, value) in enumerate(original):
        if index >= len(reproduced) or reproduced[index][0] != step:
            result.status = schema.DIVERGED
            result.first_divergence = {"step": step, "original": value, "reproduced": None, "why": "missing"}
            return result
        other = reproduced[index][1]
        if _same(value, other):
            continue
        diffs.append(abs(value - other))
        if tol.close(value, other):
            result.status = schema.CLOSE
        else:
            result.status = schema.DIVERGED
            result.first_divergence = {"step": step, "original": value, "reproduced": other}
            break
    if result.status != schema.DIVERGED and len(reproduced) > len(original):
        extra = reproduced[len(original)]
        result.status = schema.DIVERGED
        result.first_divergence = {"step": extra[0], "original": None, "reproduced": extra[1], "why": "extra"}
    result.max_abs_diff = max(diffs) if diffs else 0.0
    return result


def output_text(document: dict[str, Any] | None) -> str:
    """The compared text of an ``outputs.json``: stdout, results and displays, as a notebook shows them."""
    items = (document or {}).get("outputs", [])
    return as_displayed(
        "".join(item.get("text", "") for item in items if item.get("name") in COMPARED_STREAMS)
    )


@dataclass
class OutputComparison:
    status: str  # exact / close / diverged / unavailable (no record, or nothing shown by either run)
    masked: dict[str, int] = field(default_factory=dict)
    first_difference: dict[str, Any] | None = None
    lines: int = 0  # how many lines compared something the cell computed
    seen: dict[str, int] = field(default_factory=dict)  # lines that compared nothing, by what they held


@dataclass
class Echoes:
    """What the cell wrote down itself (from the original's ``state.json``): output lines made only of
    these, or of masked tokens, compare nothing."""

    literal_texts: list[str] = field(default_factory=list)
    constructors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, state: dict[str, Any] | None) -> Echoes:
        """From an untrusted ``state.json``: lists of strings, anything else left out."""
        state = state if isinstance(state, dict) else {}

        def strings(key: str) -> list[str]:
            found = state.get(key)
            return [t for t in found if isinstance(t, str)] if isinstance(found, list) else []

        return cls(strings("literal_texts"), strings("constructors"))


def _tally_lines(text: str, echoes: Echoes) -> tuple[int, Counter[str]]:
    """How many lines of the masked ``text`` compare something; what the others held."""
    seen: Counter[str] = Counter()
    configuration = configuration_lines(text, echoes.constructors)
    compared = 0
    for index, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        why = "a configuration repr" if index in configuration else echo_of(line, echoes.literal_texts)
        if why is None:
            compared += 1
        else:
            seen[why] += 1
    return compared, seen


def compare_outputs(
    original: dict[str, Any] | None,
    reproduced: dict[str, Any] | None,
    tol: Tolerance,
    echoes: Echoes | None = None,
) -> OutputComparison:
    if original is None or reproduced is None:
        return OutputComparison("unavailable")
    counts: Counter[str] = Counter()
    a, b = mask(output_text(original), counts), mask(output_text(reproduced))
    lines, seen = _tally_lines(a, echoes or Echoes())
    result = OutputComparison(schema.EXACT, masked=dict(counts), lines=lines, seen=dict(seen))
    if a == b:
        if not result.lines:  # nothing printed, or nothing the cell computed: nothing was compared
            result.status = "unavailable"
        return result
    result.lines = max(lines, 1)  # the outputs differ: that difference is a comparison
    a_text, b_text = NUMBER.split(a), NUMBER.split(b)
    a_nums, b_nums = NUMBER.findall(a), NUMBER.findall(b)
    if a_text != b_text or len(a_nums) != len(b_nums):
        result.status = schema.DIVERGED
        result.first_difference = _first_line_difference(a, b)
        return result
    for x, y in zip(a_nums, b_nums, strict=True):
        if x == y:
            continue
        if tol.close(float(x), float(y)):
            result.status = schema.CLOSE
        else:
            result.status = schema.DIVERGED
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
class Produced:
    """What one run produced, as far as the verdict compares it."""

    metrics: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    figures: dict[str, bytes] = field(default_factory=dict)  # figures/figure-1.png -> file content
    state: dict[str, Any] | None = None  # state.json: digests of the values the cell bound
    unreplayable: str = ""  # entropy the cell read that a replay cannot reproduce (its run's tag)
    environment: dict[str, Any] | None = None  # environment.json
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Verdict:
    verdict: str
    summary: str
    metrics: list[MetricComparison] = field(default_factory=list)
    outputs: OutputComparison | None = None
    figures: list[FigureComparison] = field(default_factory=list)
    bound: list[BoundComparison] = field(default_factory=list)
    not_compared: dict[str, str] = field(default_factory=dict)  # bound names that could not be digested
    inputs: list[str] = field(default_factory=list)  # names the cell bound to literals: not results
    tolerance: Tolerance = field(default_factory=Tolerance)
    overrides: list[str] = field(default_factory=list)
    failure: dict[str, Any] | None = None
    compared: dict[str, int] = field(default_factory=dict)  # what was compared, by kind
    changed_inputs: list[str] = field(default_factory=list)  # files the cell read that changed since
    context: dict[str, Any] = field(default_factory=dict)  # both runs' conditions and what differs
    causes: list[str] = field(default_factory=list)  # what in the cell likely makes results vary

    def document(self) -> dict[str, Any]:
        return asdict(self)


def compare_metrics(
    original: dict[str, list[tuple[int, float]]],
    reproduced: dict[str, list[tuple[int, float]]],
    tol: Tolerance,
) -> list[MetricComparison]:
    """Every metric of either run; one that only the reproduction logged diverges at its first step."""
    compared = [compare_series(k, v, reproduced.get(k, []), tol) for k, v in original.items()]
    return compared + [compare_series(k, [], v, tol) for k, v in reproduced.items() if k not in original]


def verdict_from(
    original: Produced, reproduced: Produced, tol: Tolerance, overrides: list[str] | None = None
) -> Verdict:
    """The verdict on what both runs produced, in the context they were produced in."""
    found = _compare(original, reproduced, tol, overrides)
    _in_context(found, original, reproduced)
    _name_causes(found, original)
    return found


def _strings(state: dict[str, Any] | None, key: str) -> list[str]:
    found = (state or {}).get(key) if isinstance(state, dict) else None
    return [t for t in found if isinstance(t, str)] if isinstance(found, list) else []


def _name_causes(verdict: Verdict, original: Produced) -> None:
    """A difference (or nothing compared) names what in the cell likely made it: the clock it read,
    parallel loops, orderings by object id; entropy read by infrastructure is a note beside a match."""
    clock, causes = _strings(original.state, "clock"), _strings(original.state, "causes")
    likely = ([f"the cell read the clock ({', '.join(clock)})"] if clock else []) + causes
    verdict.causes = likely
    if likely and verdict.verdict in (schema.CLOSE, schema.DIVERGED):
        verdict.summary += f"; likely cause: {'; '.join(likely)}"
    elif clock and verdict.verdict == schema.UNVERIFIED:
        verdict.summary += f"; {likely[0]}"
    infrastructure = (
        (original.state or {}).get("infrastructure_entropy") if isinstance(original.state, dict) else ""
    )
    if isinstance(infrastructure, str) and infrastructure and verdict.verdict in (schema.EXACT, schema.CLOSE):
        verdict.summary += f" (note: entropy read by infrastructure, not a result: {infrastructure})"


def _compare(
    original: Produced, reproduced: Produced, tol: Tolerance, overrides: list[str] | None = None
) -> Verdict:
    metrics = compare_metrics(original.metrics, reproduced.metrics, tol)
    outputs = compare_outputs(original.outputs, reproduced.outputs, tol, Echoes.of(original.state))
    figures = compare_figures(original.figures, reproduced.figures)
    bound = compare_bound(original.state, reproduced.state, tol.close)
    compared = {
        "metrics": len(metrics),
        "outputs": outputs.lines,
        "figures": len(figures),
        "bound values": len(bound),
    }
    parts: list[tuple[str, str]] = [(m.key, m.status) for m in metrics]
    if outputs.status != "unavailable":
        parts.append(("outputs", outputs.status))
    parts += [(f.label, f.status) for f in figures]
    parts += [(b.name, b.status) for b in bound]
    state = original.state or {}
    clocks = {name: "a clock reading" for name in state.get("values", {}) if CLOCK_NAME.search(name)}
    not_compared = {
        **state.get("not_compared", {}),
        **clocks,
        **not_comparable(original.state, reproduced.state),
    }
    inputs = state.get("inputs")
    found = Verdict(
        schema.EXACT,
        "",
        metrics,
        outputs,
        figures,
        bound,
        not_compared,
        sorted(str(name) for name in inputs) if isinstance(inputs, dict) else [],
        tol,
        overrides or [],
        compared=compared,
    )
    if not parts:
        found.verdict, found.summary = schema.UNVERIFIED, _nothing_compared(found)
        if original.unreplayable:
            found.summary += f" (the cell read entropy a replay cannot reproduce: {original.unreplayable})"
        return found
    found.verdict = max((status for _, status in parts), key=SEVERITY.__getitem__)
    if found.overrides and found.verdict != schema.EXACT:
        changed = ", ".join(name for name, status in parts if status != schema.EXACT)
        found.verdict = schema.VARIED
        found.summary = f"deliberate variation ({'; '.join(found.overrides)}): changed {changed}"
        return found
    found.summary = _summary(found, tol)
    if found.overrides:
        found.summary += f" despite {'; '.join(found.overrides)}"
    if original.unreplayable:
        _unreplayable(found, original.unreplayable)
    return found


def _in_context(verdict: Verdict, original: Produced, reproduced: Produced) -> None:
    """Record both runs' conditions; a verdict reached across other hardware or versions says so."""
    before = conditions(original.environment, original.tags)
    after = conditions(reproduced.environment, reproduced.tags)
    differ = differences(before, after)
    verdict.context = {"original": before, "reproduced": after, "differences": differ}
    if differ:
        verdict.summary += ", " + "; ".join(differ)


def explain_inputs(verdict: Verdict, changed: list[str]) -> None:
    """A verdict that is not ``exact`` names the inputs that changed since the run: the likely reason."""
    if changed and verdict.verdict in (schema.CLOSE, schema.DIVERGED, schema.FAILED, schema.UNVERIFIED):
        verdict.summary += f"; inputs changed since the run: {', '.join(changed)}"
        verdict.changed_inputs = changed


def _unreplayable(verdict: Verdict, what: str) -> None:
    """Entropy the cell read that a replay cannot reproduce: a likely cause of a difference; beside a match
    (every compared value the same) a note: a match is a match."""
    reason = f"the cell read entropy a replay cannot reproduce: {what}"
    if verdict.verdict in (schema.EXACT, schema.CLOSE):
        verdict.summary += f" (note: {reason})"
    else:
        verdict.summary += f" ({reason})"


def _nothing_compared(verdict: Verdict) -> str:
    """``unverified``'s summary: what there was, none of it a result the cell computed."""
    saw = []
    seen = verdict.outputs.seen if verdict.outputs is not None else {}
    if seen:
        held = ", ".join(f"{what} ({_count(n, 'line')})" for what, n in sorted(seen.items()))
        saw.append(f"the outputs held only {held}")
    if verdict.inputs:
        saw.append(f"the cell bound only literals (inputs: {', '.join(verdict.inputs)})")
    if not saw:
        return NOTHING_COMPARED
    return "nothing compared: " + "; ".join(saw)


def _count(n: int, noun: str) -> str:
    """``1 metric``, ``0 metrics``, ``2 bound values``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _compared(verdict: Verdict) -> str:
    parts = [_count(len(verdict.metrics), "metric")]
    if verdict.outputs is not None and verdict.outputs.status != "unavailable":
        parts.append(_count(verdict.outputs.lines, "output line"))
    if verdict.figures:
        parts.append(_count(len(verdict.figures), "figure"))
    if verdict.bound:
        parts.append(_count(len(verdict.bound), "bound value"))
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def _summary(verdict: Verdict, tol: Tolerance) -> str:
    if verdict.verdict == schema.EXACT:
        return f"{_compared(verdict)} identical"
    if verdict.verdict == schema.CLOSE:
        return f"{_compared(verdict)} within rtol={tol.rtol:g}, atol={tol.atol:g}"
    diverged = next((m for m in verdict.metrics if m.status == schema.DIVERGED), None)
    if diverged is not None and diverged.first_divergence is not None:
        d = diverged.first_divergence
        return f"{diverged.key} diverged at step {d['step']}: {d['original']} → {d['reproduced']}"
    outputs = verdict.outputs
    if outputs is not None and outputs.status == schema.DIVERGED:
        line = (outputs.first_difference or {}).get("line")
        return f"outputs differ (line {line})" if line else "outputs differ"
    figure = next((f for f in verdict.figures if f.status == schema.DIVERGED), None)
    if figure is not None:
        return f"figure differs: {figure.describe()}"
    bound = next(b for b in verdict.bound if b.status == schema.DIVERGED)
    return f"bound value differs: {bound.describe()}"


def failed_verdict(where: str, ename: str, evalue: str, tol: Tolerance, overrides: list[str]) -> Verdict:
    return Verdict(
        schema.FAILED,
        f"{where} raised {ename}: {evalue}",
        tolerance=tol,
        overrides=overrides,
        failure={"cell": where, "ename": ename, "evalue": evalue},
    )


def unverified_verdict(reason: str, tol: Tolerance, overrides: list[str]) -> Verdict:
    """Nothing could be compared, for ``reason`` (an artifact store that cannot be read): ``unverified``,
    saying why, never a comparison of records that only seemed empty."""
    return Verdict(schema.UNVERIFIED, reason, tolerance=tol, overrides=overrides)
