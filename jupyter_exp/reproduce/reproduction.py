"""What a reproduction is asked to do (``ReproduceOptions``) and what it planned, found and concluded
(``Reproduction``): the data the replay engine, its store writes, the magic and the server share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from jupyter_exp.config import BISECT_BUDGET_S
from jupyter_exp.reproduce.drift import Drift
from jupyter_exp.reproduce.plan import ReplayPlan
from jupyter_exp.reproduce.record import RunRecord
from jupyter_exp.reproduce.verify import Verdict

# a reproduction replays only the tracked cell's slice unless told (--full): on the examples and the kernel
# tests' notebooks the same verdicts as the full history in 1-2 fewer kernels' worth of cells (docs/reproducing.md)
SLICE_BY_DEFAULT = True


@dataclass
class ReproduceOptions:
    kernel_name: str | None = None
    sets: dict[str, Any] = field(default_factory=dict)
    rtol: float = 1e-5
    atol: float = 1e-8
    checkout: bool = False
    dry_run: bool = False
    deterministic: bool = False
    cell_timeout: float | None = None
    confirmed: bool = False  # the caller confirmed running code another user recorded
    seed: int | None = None  # replay with this seed instead of the recorded one (a variation, as --set)
    tz: str | None = None  # the replay kernel's TZ instead of the recorded one (--tz)
    slice: bool | None = None  # replay only the tracked cell's slice (None: SLICE_BY_DEFAULT)
    bisect_budget_s: float = BISECT_BUDGET_S  # seconds of probes to find which left-out cells mattered

    @property
    def sliced(self) -> bool:
        return SLICE_BY_DEFAULT if self.slice is None else self.slice


@dataclass
class Reproduction:
    """What a reproduction planned, found and concluded; shown by the magic and the server."""

    original: RunRecord
    plan: ReplayPlan
    kernel_name: str
    options: ReproduceOptions
    reproduction_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    drift: list[Drift] = field(default_factory=list)
    run_id: str | None = None
    verdict: Verdict | None = None
    duration_s: float = 0.0
    after_slice: dict[str, Any] | None = None  # a full replay made because the slice's was not exact/close

    @property
    def replayed(self) -> str:
        """``slice: 3 of 41 cells`` / ``full: 41 of 41 cells`` / ``full after slice: ...``."""
        how = "slice" if self.plan.sliced else "full after slice" if self.after_slice else "full"
        return f"{how}: {len(self.plan.steps)} of {self.plan.history_size} cells"

    @property
    def original_id(self) -> str:
        return self.original.run_id

    def document(self) -> dict[str, Any]:
        """``reproduction.json``."""
        verdict = self.verdict.document() if self.verdict is not None else {}
        return {
            **verdict,
            "original_run_id": self.original_id,
            "reproduction_run_id": self.run_id,
            "kernel": self.kernel_name,
            "checkout": self.options.checkout,
            "drift": [d.row() for d in self.drift],
            "skipped": [
                {"execution_count": s.execution_count, "reason": s.reason} for s in self.plan.skipped
            ],
            "replayed": [s.execution_count for s in self.plan.steps],
            "replay": {
                "mode": self.replayed.split(":")[0],
                "cells": len(self.plan.steps),
                "history": self.plan.history_size,
                "after_slice": self.after_slice,
            },
            "duration_s": round(self.duration_s, 3),
        }
