"""One metric, two samples of runs: the difference with a bootstrap interval, Cohen's d and a permutation test.

The second sample is measured against the first (the baseline): ``difference = mean(b) - mean(a)``, or the mean
of the per-seed differences ``b_s - a_s`` when both sides ran the same seeds (paired).

Choices, each said in ``notes`` when it applies:

- Interval: ``scipy.stats.bootstrap`` (``paired=True`` for shared seeds). BCa from 6 runs per side; below that
  BCa's acceleration estimate is unstable, so the percentile interval is used. Fewer than 3: no interval.
- Test: ``scipy.stats.permutation_test`` on the mean difference, two-sided, exact whenever the number of
  arrangements is below ``resamples``. Paired (signs flipped within seeds) when the seeds are shared and an exact
  sign-flip test can reach ``alpha`` at all (2 / 2^n < alpha: 6 pairs or more for 0.05); with fewer pairs the
  two samples are permuted as independent ones, which ignores the pairing and is conservative when runs of the
  same seed agree with each other (the usual case).
- Effect size: Cohen's d over the pooled standard deviation (for paired samples the average of both sides'
  variances, d_av, so that it reads the same as for independent ones). ``None`` when neither side varies.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


BCA_MIN_RUNS = 6
INTERVAL_MIN_RUNS = 3
RESAMPLES = 9_999
SEED = 20_240_601  # the resampling is seeded: the same runs give the same interval and p-value


@dataclass(frozen=True)
class SampleTest:
    """What the data say about ``b - a`` for one metric (before any correction across metrics)."""

    difference: float
    paired: bool
    ci_low: float | None
    ci_high: float | None
    ci_method: str | None  # "BCa", "percentile" or None
    cohens_d: float | None
    p_value: float
    test: str  # "paired permutation" / "permutation"
    exact: bool
    min_p_value: float  # the smallest p-value this test can give with these sizes
    notes: tuple[str, ...] = field(default=())


def _mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    import numpy as np

    difference: np.ndarray = np.mean(y, axis=axis) - np.mean(x, axis=axis)
    return difference


def _paired_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    import numpy as np

    difference: np.ndarray = np.mean(y - x, axis=axis)
    return difference


def cohens_d(a: np.ndarray, b: np.ndarray) -> float | None:
    """(mean b - mean a) / pooled sample standard deviation; ``None`` when the pooled deviation is 0."""
    import numpy as np

    n_a, n_b = len(a), len(b)
    if n_a < 2 or n_b < 2:
        return None
    pooled = ((n_a - 1) * np.var(a, ddof=1) + (n_b - 1) * np.var(b, ddof=1)) / (n_a + n_b - 2)
    if pooled <= 0:
        return None
    return float((np.mean(b) - np.mean(a)) / math.sqrt(pooled))


def _arrangements(n_a: int, n_b: int, paired: bool) -> int:
    return 2 ** min(n_a, 1023) if paired else math.comb(n_a + n_b, n_a)


def _interval(
    a: np.ndarray, b: np.ndarray, paired: bool, confidence: float, notes: list[str]
) -> tuple[float | None, float | None, str | None]:
    import numpy as np
    from scipy import stats

    n = min(len(a), len(b))
    if n < INTERVAL_MIN_RUNS:
        notes.append(f"no bootstrap interval below {INTERVAL_MIN_RUNS} runs per side")
        return None, None, None
    method = "BCa" if n >= BCA_MIN_RUNS else "percentile"
    if method == "percentile":
        notes.append(f"percentile interval: BCa is unstable below {BCA_MIN_RUNS} runs per side")
    statistic = _paired_difference if paired else _mean_difference
    for attempt in (method, "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # degenerate samples warn; a NaN bound is handled below
            result = stats.bootstrap(
                (a, b),
                statistic,
                n_resamples=RESAMPLES,
                paired=paired,
                vectorized=True,
                confidence_level=confidence,
                method=attempt,
                rng=np.random.default_rng(SEED),
            )
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            if attempt != method:
                notes.append("percentile interval: BCa gave no interval for these values")
            return low, high, attempt
    return None, None, None


def compare_samples(
    a: list[float] | np.ndarray,
    b: list[float] | np.ndarray,
    paired: bool = False,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> SampleTest:
    """Compare ``b`` with ``a``; with ``paired``, ``a[i]`` and ``b[i]`` ran the same seed. Both need 2 values."""
    import numpy as np
    from scipy import stats

    a_values, b_values = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a_values) < 2 or len(b_values) < 2:
        raise ValueError("a test needs at least 2 values per side")
    if paired and len(a_values) != len(b_values):
        raise ValueError("paired samples must have the same length")
    notes: list[str] = []
    statistic = _paired_difference if paired else _mean_difference
    difference = float(statistic(a_values, b_values))
    low, high, method = _interval(a_values, b_values, paired, confidence, notes)

    test_paired = paired and 2 / _arrangements(len(a_values), len(b_values), True) < alpha
    if paired and not test_paired:
        notes.append(
            f"{len(a_values)} shared seeds are too few for a paired permutation test to reach p < {alpha:g}: "
            "tested as independent samples (conservative)"
        )
    arrangements = _arrangements(len(a_values), len(b_values), test_paired)
    exact = arrangements <= RESAMPLES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.permutation_test(
            (a_values, b_values),
            _paired_difference if test_paired else _mean_difference,
            permutation_type="samples" if test_paired else "independent",
            vectorized=True,
            n_resamples=RESAMPLES,
            alternative="two-sided",
            rng=np.random.default_rng(SEED),
        )
    p_value = float(min(1.0, result.pvalue))
    min_p = min(1.0, 2 / arrangements if exact else 2 / (RESAMPLES + 1))
    if min_p >= alpha:
        notes.append(
            f"with {len(a_values)} and {len(b_values)} runs no permutation test can reach p < {alpha:g} "
            f"(smallest possible p = {min_p:.3g})"
        )
    d = cohens_d(a_values, b_values)
    if d is None:
        notes.append("no effect size: the runs of both sides do not vary")
    return SampleTest(
        difference=difference,
        paired=paired,
        ci_low=low,
        ci_high=high,
        ci_method=method,
        cohens_d=d,
        p_value=p_value,
        test="paired permutation" if test_paired else "permutation",
        exact=exact,
        min_p_value=min_p,
        notes=tuple(notes),
    )
