"""``%%track --sweep NAME --trials N --metric KEY --direction ... --prune ...``: the options of one sweep,
checked before anything exists (a bad one is a one-line ValueError the magic turns into a UsageError)."""

from __future__ import annotations

import re
from dataclasses import dataclass

DIRECTIONS = ("maximize", "minimize")
PRUNERS = ("median", "hyperband", "none")
MAX_TRIALS = 10_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class SweepOptions:
    name: str
    trials: int
    metric: str | None  # None: the objective is the cell's last expression
    direction: str = "maximize"
    prune: str = "median"
    seed: int | None = None  # the sampler's and pruner's seed; trial k's cell seed is seed + k


def sweep_options(
    name: str,
    trials: int | None,
    metric: str | None,
    direction: str | None,
    prune: str | None,
    seed: int | None,
) -> SweepOptions:
    """The checked options; ValueError with a one-line reason."""
    if not _NAME.match(name):
        raise ValueError(
            f"--sweep {name!r}: a sweep name is 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    if trials is None:
        raise ValueError("--sweep needs --trials N (how many trials this execution runs)")
    if not 1 <= trials <= MAX_TRIALS:
        raise ValueError(f"--trials must be between 1 and {MAX_TRIALS}, got {trials}")
    direction = direction or "maximize"
    if direction not in DIRECTIONS:
        raise ValueError(f"--direction must be maximize or minimize, got {direction!r}")
    prune = prune or "median"
    if prune not in PRUNERS:
        raise ValueError(f"--prune must be median, hyperband or none, got {prune!r}")
    if metric is not None and not metric.strip():
        raise ValueError("--metric needs a metric key, e.g. --metric eval/accuracy")
    if seed is not None and not 0 <= seed < 2**32 - MAX_TRIALS:
        raise ValueError(f"--seed must be between 0 and 2**32 - {MAX_TRIALS + 1}, got {seed}")
    return SweepOptions(name, trials, metric, direction, prune, seed)
