"""Side-by-side timing: our way and the MLflow way in one process, medians of repetitions, ratios.

``JUPYTER_EXP_BENCH=smoke`` (what ``make test`` runs) shrinks every size so the benchmarks cannot rot:
they then only assert that the results are right. ``make bench`` runs the full sizes, prints the table and
writes ``bench-results.json``, and each benchmark also asserts its ratio against the target it states
(``meets``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SMOKE = os.environ.get("JUPYTER_EXP_BENCH", "full") == "smoke"
ROOT = Path(__file__).resolve().parents[2]


def size(full: int, smoke: int) -> int:
    return smoke if SMOKE else full


def median_time(work: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None) -> float:
    """Median wall time of ``work()`` in seconds over ``repeat`` runs (``setup()`` untimed before each)."""
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass
class Result:
    ours: float
    baseline: float
    unit: str
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float:
        """How many times better ours is (>1: better)."""
        if self.higher_is_better:
            return self.ours / self.baseline if self.baseline else float("inf")
        return self.baseline / self.ours if self.ours else float("inf")


def meets(result: Result, at_least: float, target: str) -> Result:
    """Assert ``result.ratio >= at_least`` (below 1: ours may be that much slower than the baseline) at full
    size; at smoke size the figures are too small to mean anything and only correctness is asserted."""
    if not SMOKE:
        assert result.ratio >= at_least, (
            f"x{result.ratio:.2f} against the target x{at_least:g} ({target}): ours {result.ours:.4g}, "
            f"baseline {result.baseline:.4g} {result.unit}"
        )
    return result


@dataclass
class Bench:
    results: dict[str, Result] = field(default_factory=dict)

    def record(self, name: str, result: Result) -> Result:
        self.results[name] = result
        print(
            f"\n{name}: ours {result.ours:.6g} {result.unit}, baseline {result.baseline:.6g} {result.unit}, "
            f"x{result.ratio:.1f}"
        )
        return result

    def table(self) -> str:
        lines = ["| benchmark | ours | MLflow way | unit | ratio |", "|---|---|---|---|---|"]
        for name, r in self.results.items():
            lines.append(f"| {name} | {r.ours:.4g} | {r.baseline:.4g} | {r.unit} | {r.ratio:.1f}x |")
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        """Write the results, keeping those of benchmarks this session did not run (``-k`` picks)."""
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            document = {}
        document |= {
            name: {
                "ours": r.ours,
                "baseline": r.baseline,
                "unit": r.unit,
                "ratio": round(r.ratio, 2),
                **({"note": r.note} if r.note else {}),
            }
            for name, r in self.results.items()
        }
        document["_machine"] = {  # type: ignore[assignment]
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "smoke": SMOKE,
        }
        path.write_text(json.dumps(document, indent=1) + "\n")
