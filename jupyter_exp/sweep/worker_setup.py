"""What a worker kernel replays before it runs trials: the sweep cell's dependency slice of the notebook's
history, planned as ``%reproduce`` plans the slice of a record (``reproduce/plan.build_plan``), with the
generator states recorded before each cell put back before its replay."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_exp.capture import rng_codec
from jupyter_exp.capture.notebook import HistoryEntry
from jupyter_exp.reproduce.plan import ReplayPlan, ReplayStep, build_plan
from jupyter_exp.reproduce.record import RunRecord


@dataclass(frozen=True)
class WorkerSetup:
    plan: ReplayPlan  # its target is the sweep's cell
    states: dict[int, str]  # execution count -> the generator states before that cell (rng_codec JSON)

    @property
    def steps(self) -> list[ReplayStep]:
        """The cells replayed before the sweep's cell."""
        return self.plan.steps[:-1]

    def directive(self, step: ReplayStep) -> dict[str, Any] | None:
        """An earlier ``%%track`` cell of the slice runs with its seed and records no run (as in a replay)."""
        if not step.tracked or step.target:
            return None
        return {"record": False, "seed": step.seed, "deterministic": step.deterministic}


def worker_setup(entries: list[HistoryEntry]) -> WorkerSetup:
    """The plan of the history ``entries`` (``ExecutionHistory.frozen()``, the sweep's cell last)."""
    from mlflow.entities import Run, RunData, RunInfo

    states = {e.execution_count: rng_codec.dumps(e.rng_states) for e in entries if e.rng_states}
    history = [e.public() for e in entries]
    info = RunInfo("", "", "", "RUNNING", 0, None, "active")  # the notebook's history, not a stored run
    with tempfile.TemporaryDirectory(prefix="jupyter-exp-sweep-") as empty:  # no slice.json: computed
        record = RunRecord(Run(info, RunData()), history, Path(empty), rng_history=states)
        plan = build_plan(record, sliced=True)
    return WorkerSetup(plan, states)
