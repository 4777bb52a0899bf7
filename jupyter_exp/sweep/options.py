"""``%%track --sweep NAME --trials N --metric KEY --direction ... --prune ...``: the options of one sweep,
checked before anything exists (a bad one is a one-line ValueError the magic turns into a UsageError)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jupyter_exp import record_schema as schema

DIRECTIONS = ("maximize", "minimize")
PRUNERS = ("median", "hyperband", "none")
MAX_TRIALS = 10_000
MAX_WORKERS = 64
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_DEVICE = re.compile(schema.SWEEP_DEVICE_PATTERN)


@dataclass(frozen=True)
class SweepOptions:
    name: str
    trials: int
    metric: str | None  # None: the objective is the cell's last expression
    direction: str = "maximize"
    prune: str = "median"
    seed: int | None = None  # the sampler's and pruner's seed; trial k's cell seed is seed + k
    workers: int = 0  # 0: trials one after another in this kernel; N: N worker kernels (workers.py)
    devices: tuple[str, ...] = ()  # --gpus: worker k's CUDA_VISIBLE_DEVICES is devices[k]


def sweep_options(
    name: str,
    trials: int | None,
    metric: str | None,
    direction: str | None,
    prune: str | None,
    seed: int | None,
    workers: int | None = None,
    gpus: str | None = None,
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
    count, devices = worker_options(workers, gpus)
    return SweepOptions(name, trials, metric, direction, prune, seed, count, devices)


def worker_options(workers: int | None, gpus: str | None) -> tuple[int, tuple[str, ...]]:
    """``--workers N`` and ``--gpus 0,1``: how many worker kernels (0: none) and each one's device.
    ``--gpus`` alone starts one worker per device; with ``--workers N`` the first N devices are used."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"--workers must be between 1 and {MAX_WORKERS}, got {workers}")
    if gpus is None:
        return workers or 0, ()
    devices = tuple(d.strip() for d in gpus.split(","))
    bad = [d for d in devices if not _DEVICE.match(d)]
    if bad:
        raise ValueError(f"--gpus {gpus!r}: devices are comma-separated indices or UUIDs, e.g. --gpus 0,1")
    if len(set(devices)) != len(devices):
        raise ValueError(f"--gpus {gpus!r}: a device is listed twice (each worker gets a device of its own)")
    count = workers if workers is not None else len(devices)
    if len(devices) < count:
        raise ValueError(
            f"--gpus lists {len(devices)} device{'s' if len(devices) != 1 else ''} for {count} workers: "
            "each worker needs a device of its own"
        )
    return count, devices[:count]
