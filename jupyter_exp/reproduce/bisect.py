"""Which of the cells a slice replay left out mattered, found by bisection when it is cheap.

A slice replay that was not ``exact``/``close`` is followed by a full replay (``replay.py``); when that one
is, some cell the slice left out mattered. With several left out, probes replay the slice with some of
them put back, in execution order, and keep the smallest prefix that comes back ``exact``/``close``: its
last cell is needed; then the same among the cells before it, with that one kept, until the cells found
are enough by themselves (``m * log2(n)`` probes for ``m`` needed cells of ``n``). A probe that fails (a
cell put back without the cell it needs) counts as not enough.

Bounded: each probe costs about the slice replay's time plus the put-back cells' times as the full replay
measured them; the bisection runs only when its expected cost fits ``JupyterExp.bisect_budget_s``, and
stops at that budget or ``MAX_REPLAYS``, saying so. Probes record runs (a verdict is computed from a run),
tagged ``jupyter_exp.reproduction.replay = bisection probe: ...`` and deleted once compared.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.errors import one_line
from jupyter_exp.reproduce.observer import ReplayObserver
from jupyter_exp.reproduce.plan import ReplayPlan, ReplayStep
from jupyter_exp.reproduce.record import read_produced
from jupyter_exp.reproduce.verify import Tolerance, verdict_from

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from jupyter_exp.reproduce.replay_kernel import CellResult
    from jupyter_exp.reproduce.reproduction import Reproduction

MAX_REPLAYS = 12
BUDGET_SETTING = "JupyterExp.bisect_budget_s"
Probe = Callable[[list[int]], Awaitable[bool]]


class CellTimes(ReplayObserver):
    """Seconds each replayed cell took (by execution count); tells ``inner`` everything."""

    def __init__(self, inner: ReplayObserver) -> None:
        self.inner = inner
        self.seconds: dict[int, float] = {}
        self._started = 0.0

    def planned(self, reproduction: Reproduction) -> None:
        self.inner.planned(reproduction)

    def cell_started(self, index: int, total: int, step: ReplayStep) -> None:
        self._started = time.perf_counter()
        self.inner.cell_started(index, total, step)

    def cell_finished(self, index: int, total: int, step: ReplayStep, result: CellResult) -> None:
        self.seconds[step.execution_count] = time.perf_counter() - self._started
        self.inner.cell_finished(index, total, step, result)


class ProbeProgress(CellTimes):
    """A probe's progress: its cells, without printing the plan again."""

    def planned(self, reproduction: Reproduction) -> None:
        return None


@dataclass
class Bisection:
    """What the bisection found: the left-out cells that mattered (``found``, with ``sources``), or why it
    did not run or finish (``skipped``: ``candidates`` are then the cells it could not rule out)."""

    found: list[int] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)
    replays: int = 0
    seconds: float = 0.0
    skipped: str | None = None
    sources: dict[int, str] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """``reproduction.json``'s ``replay.after_slice.bisection``."""
        return {
            "mattered": [{"execution_count": c, "source": self.sources.get(c, "")} for c in self.found],
            "undecided": self.candidates,
            "replays": self.replays,
            "seconds": round(self.seconds, 2),
            "skipped": self.skipped,
        }


def first_line(source: str, limit: int = 60) -> str:
    """``x.sort()``: a cell's first line of code, cut, without backticks (it is shown between them)."""
    line = next((s.strip() for s in source.splitlines() if s.strip()), "").replace("`", "'")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe(document: dict[str, Any], left_out: Sequence[int]) -> str:
    """``left-out cell [7] `x.sort()` mattered (found by bisection in 3 replays, 21 s)``, or what is known
    and ``bisection skipped: <why>``."""
    found = [c for c in document.get("mattered", []) if isinstance(c, dict)]
    named = " and ".join(f"[{c.get('execution_count')}] `{c.get('source', '')}`" for c in found)
    cells = f"cell{'s' if len(found) > 1 else ''} {named}"
    if found and not document.get("skipped"):
        spent = f"{document.get('replays', 0)} replays, {document.get('seconds', 0):.0f} s"
        return f"left-out {cells} mattered (found by bisection in {spent})"
    undecided = _cells(document.get("undecided") or list(left_out))
    if found:
        known = f"left-out {cells} mattered, maybe with one of {undecided}"
    else:
        known = f"a cell it left out mattered (one of {undecided})"
    return f"{known}; bisection skipped: {document.get('skipped')}"


def _cells(counts: Sequence[int], limit: int = 8) -> str:
    shown = ", ".join(f"[{c}]" for c in counts[:limit])
    return shown + (" ..." if len(counts) > limit else "")


def with_cells(sliced: ReplayPlan, full: ReplayPlan, extra: Sequence[int]) -> ReplayPlan:
    """The slice's plan with the full plan's steps of ``extra`` put back, in execution order."""
    wanted = set(extra)
    steps = [*sliced.steps, *(s for s in full.steps if s.execution_count in wanted)]
    steps.sort(key=lambda s: (s.target, s.execution_count))
    return ReplayPlan(steps, [], sliced.overrides, True, sliced.history_size)


@dataclass
class Budget:
    """What a probe costs: ``base_s`` (a kernel, the slice, the comparison) plus its put-back cells."""

    base_s: float
    cell_s: dict[int, float]
    limit_s: float

    def cost(self, extra: Sequence[int]) -> float:
        return self.base_s + sum(self.cell_s.get(c, 0.0) for c in extra)

    def why_not(self, left_out: Sequence[int]) -> str | None:
        """Why a bisection of ``left_out`` is not worth starting; None when its expected cost fits."""
        if self.limit_s <= 0:
            return f"switched off ({BUDGET_SETTING} = 0)"
        probes = math.ceil(math.log2(len(left_out))) + 1
        each = self.cost(left_out[: len(left_out) // 2])
        if probes * each > self.limit_s:
            return (
                f"about {probes} replays of {each:.0f} s each (the slice and half the left-out cells, "
                f"timed by these replays) exceed its budget of {self.limit_s:.0f} s ({BUDGET_SETTING})"
            )
        return None


async def bisect(left_out: Sequence[int], probe: Probe, budget: Budget) -> Bisection:
    """The left-out cells that mattered, given that the slice alone did not come back exact/close and the
    slice with all of ``left_out`` did."""
    result = Bisection(candidates=list(left_out))
    if (why := budget.why_not(left_out)) is not None:
        result.skipped = why
        return result
    known: dict[frozenset[int], bool] = {frozenset(): False, frozenset(left_out): True}
    started = time.perf_counter()

    async def enough(extra: list[int]) -> bool:
        key = frozenset(extra)
        if key not in known:
            spent = time.perf_counter() - started
            if result.replays >= MAX_REPLAYS or spent + budget.cost(extra) > budget.limit_s:
                raise _OverBudget(f"stopped at its budget after {result.replays} replays ({spent:.0f} s)")
            result.replays += 1
            known[key] = await probe(sorted(extra))
        return known[key]

    required: list[int] = []
    candidates = list(left_out)
    try:
        while candidates and not await enough(required):
            low, high = 1, len(candidates)  # required + candidates[:high] is enough
            while low < high:
                middle = (low + high) // 2
                if await enough([*required, *candidates[:middle]]):
                    high = middle
                else:
                    low = middle + 1
            required.append(candidates[high - 1])
            candidates = candidates[: high - 1]
        result.candidates = []
    except _OverBudget as stop:
        result.skipped, result.candidates = str(stop), candidates
    except Exception as error:  # a probe that could not run (a kernel that did not start...)
        result.skipped, result.candidates = f"stopped: {one_line(error)}", candidates
    result.found = sorted(required)
    result.seconds = time.perf_counter() - started
    return result


class _OverBudget(Exception):
    pass


def probe_passes(client: MlflowClient, probe: Reproduction, extra: Sequence[int]) -> bool:
    """Whether a probe's replay (the slice and ``extra``) came back exact/close; its run is compared,
    tagged and deleted."""
    run_id = probe.run_id
    if run_id is None:
        return False
    try:
        if probe.verdict is None:  # None unless the replay failed
            original, reproduced = read_produced(client, probe.original_id), read_produced(client, run_id)
            tolerance = Tolerance(probe.options.rtol, probe.options.atol)
            probe.verdict = verdict_from(original, reproduced, tolerance)
        client.set_tag(run_id, schema.REPRODUCTION_REPLAY, f"bisection probe: the slice and {_cells(extra)}")
    finally:
        client.delete_run(run_id)
    return probe.verdict.verdict in (schema.EXACT, schema.CLOSE)
