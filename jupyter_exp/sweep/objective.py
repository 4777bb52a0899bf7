"""What a trial's cell reports to Optuna: each step logged for ``--metric`` through ``jupyter_exp.log`` goes
to ``trial.report``; when the pruner says so, that ``log()`` call raises ``optuna.TrialPruned`` (the cell
stops there, its reported steps already in the run). The objective is the metric's last value, else the
cell's last expression (the value IPython shows: ``shown_values``)."""

from __future__ import annotations

import contextlib
import math
import numbers
import sys
from collections.abc import Iterator
from typing import Any

PRUNED_REASON = "pruned"


@contextlib.contextmanager
def shown_values(seen: list[Any]) -> Iterator[None]:
    """Appends to ``seen`` the values the cell's last expression shows while inside: a tracked cell runs
    that expression as IPython does, through ``sys.displayhook`` (which still shows it)."""
    hook = sys.displayhook

    def record(value: Any) -> None:
        if value is not None:
            seen.append(value)
        hook(value)

    sys.displayhook = record
    try:
        yield
    finally:
        sys.displayhook = hook


class TrialReporter:
    """The ``jupyter_exp.log`` hook of one trial (``track.active.on_log`` while the trial's cell runs)."""

    def __init__(self, trial: Any, metric: str | None) -> None:
        self.trial = trial
        self.metric = metric
        self.last: float | None = None
        self.reported: list[tuple[int, float]] = []
        self.pruned_at: int | None = None

    def __call__(self, step: int | None, metrics: dict[str, Any]) -> None:
        if self.metric is None or self.metric not in metrics:
            return
        try:
            value = float(metrics[self.metric])
        except (TypeError, ValueError):
            return
        at = step if step is not None else len(self.reported)
        self.last = value
        if any(s == at for s, _ in self.reported):
            return  # Optuna keeps the first value reported at a step
        self.reported.append((at, value))
        self.trial.report(value, at)
        if self.trial.should_prune():
            import optuna

            self.pruned_at = at
            raise optuna.TrialPruned(f"pruned at step {at} ({self.metric}={value:g})")

    def objective(self, value: Any) -> float | None:
        """The trial's value: the metric's last logged value, else the cell's last expression if a finite number."""
        if self.last is not None:
            return self.last
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            number = float(value)
            return number if math.isfinite(number) else None
        return None
