"""Several metrics at once: tests per metric, Benjamini-Hochberg across them, and a plain verdict each.

The verdict says how the second side does against the first: "better" or "worse" when the BH-adjusted
permutation p-value is below ``alpha`` (the direction from the metric's name: lower is better for losses and
errors), else "no evidence at n seeds". With a single run on a side there are no statistics, never a verdict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_exp.stats.direction import lower_is_better, lower_is_better_rule
from jupyter_exp.stats.inference import SampleTest, compare_samples
from jupyter_exp.stats.summary import Summary, summarize

if TYPE_CHECKING:
    import numpy as np

FEW_SEEDS = 5
BETTER, WORSE, NO_EVIDENCE, NO_STATISTICS = "better", "worse", "no evidence", "no statistics"


@dataclass(frozen=True)
class MetricSamples:
    """One metric's final values per side; with ``paired``, ``a[i]`` and ``b[i]`` ran the same seed."""

    metric: str
    a: Sequence[float]
    b: Sequence[float]
    paired: bool = False


@dataclass(frozen=True)
class MetricVerdict:
    metric: str
    lower_is_better: bool
    a: Summary | None
    b: Summary | None
    test: SampleTest | None
    p_adjusted: float | None
    outcome: str  # BETTER, WORSE, NO_EVIDENCE or NO_STATISTICS
    verdict: str  # the plain sentence: "better", "no evidence at 5 seeds", "no statistics possible (...)"
    notes: tuple[str, ...] = field(default=())


def _finite(samples: MetricSamples) -> tuple[np.ndarray, np.ndarray, int]:
    """Finite values per side (for paired samples, the pairs where both are finite); how many were dropped."""
    import numpy as np

    a, b = np.asarray(samples.a, dtype=float), np.asarray(samples.b, dtype=float)
    if samples.paired:
        keep = np.isfinite(a) & np.isfinite(b)
        return a[keep], b[keep], int((~keep).sum())
    return a[np.isfinite(a)], b[np.isfinite(b)], int((~np.isfinite(a)).sum() + (~np.isfinite(b)).sum())


def _seeds(n_a: int, n_b: int) -> str:
    return f"{n_a} seeds" if n_a == n_b else f"{n_a} vs {n_b} seeds"


def _runs(n_a: int, n_b: int) -> str:
    if n_a == n_b:
        return f"{n_a} run per side" if n_a == 1 else f"{n_a} runs per side"
    return f"{n_a} vs {n_b} runs"


def _summary(values: np.ndarray, confidence: float) -> Summary | None:
    return summarize(values, confidence) if len(values) else None


def judge(
    samples: Sequence[MetricSamples],
    alpha: float = 0.05,
    confidence: float = 0.95,
    lower_is_better_pattern: str | Sequence[str] | None = None,
) -> list[MetricVerdict]:
    """A verdict per metric, in the order given; p-values adjusted (BH) over the metrics that were tested."""
    from scipy import stats

    if not 0 < alpha < 1 or not 0 < confidence < 1:
        raise ValueError("alpha and confidence must lie between 0 and 1")
    rule: re.Pattern[str] = lower_is_better_rule(lower_is_better_pattern)
    tests: list[SampleTest | None] = []
    prepared = []
    for item in samples:
        a, b, dropped = _finite(item)
        notes = [f"{dropped} non-finite values left out"] if dropped else []
        test = None
        if len(a) >= 2 and len(b) >= 2:
            test = compare_samples(a, b, paired=item.paired, confidence=confidence, alpha=alpha)
            if min(len(a), len(b)) < FEW_SEEDS:
                notes.insert(
                    0, f"fewer than {FEW_SEEDS} seeds per side: only large differences can show as evidence"
                )
        tests.append(test)
        prepared.append((item, a, b, notes))

    tested = [t.p_value for t in tests if t is not None]
    adjusted = iter(stats.false_discovery_control(tested, method="bh").tolist() if tested else [])
    verdicts = []
    for (item, a, b, notes), test in zip(prepared, tests, strict=True):
        lower = lower_is_better(item.metric, rule)
        p_adjusted = None
        if test is None:
            outcome = NO_STATISTICS
            verdict = f"no statistics possible ({_runs(len(a), len(b))}; 2 per side needed)"
        else:
            p_adjusted = float(next(adjusted))
            improvement = -test.difference if lower else test.difference
            if p_adjusted < alpha and improvement != 0 and not math.isnan(improvement):
                outcome = verdict = BETTER if improvement > 0 else WORSE
            else:
                outcome, verdict = NO_EVIDENCE, f"no evidence at {_seeds(len(a), len(b))}"
            notes = [*notes, *test.notes]
        verdicts.append(
            MetricVerdict(
                metric=item.metric,
                lower_is_better=lower,
                a=_summary(a, confidence),
                b=_summary(b, confidence),
                test=test,
                p_adjusted=p_adjusted,
                outcome=outcome,
                verdict=verdict,
                notes=tuple(notes),
            )
        )
    return verdicts
