"""A sample's summary: mean, sample standard deviation, n and a Student-t confidence interval.

One seed gives no spread: ``std`` and the interval are ``None`` then, and ``describe()`` says so instead of
printing a zero-width interval. Non-finite values (a diverged run's NaN loss) are left out and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Summary:
    """Mean, sample std (ddof=1), n and a t-interval for the mean; std/CI are None when n == 1."""

    mean: float
    std: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    confidence: float = DEFAULT_CONFIDENCE
    excluded: int = 0  # non-finite values left out of n

    @property
    def has_spread(self) -> bool:
        return self.std is not None

    @property
    def half_width(self) -> float | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2

    def describe(self, digits: int = 4) -> str:
        """``0.912 ± 0.011 (95% CI 0.899 to 0.925, n=5)``; ``0.912 (n=1: no spread)``."""
        mean = f"{self.mean:.{digits}g}"
        excluded = f", {self.excluded} non-finite left out" if self.excluded else ""
        if self.std is None or self.ci_low is None or self.ci_high is None:
            return f"{mean} (n={self.n}: no spread{excluded})"
        level = f"{self.confidence * 100:g}%"
        return (
            f"{mean} ± {self.std:.{digits}g} ({level} CI {self.ci_low:.{digits}g} to {self.ci_high:.{digits}g}, "
            f"n={self.n}{excluded})"
        )


def summarize(values: Iterable[float], confidence: float = DEFAULT_CONFIDENCE) -> Summary:
    """The summary of ``values``; a ValueError when no finite value is left or ``confidence`` is not in (0, 1)."""
    import numpy as np
    from scipy import stats

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, not {confidence!r}")
    every = np.asarray([float(value) for value in values], dtype=float)
    sample = every[np.isfinite(every)]
    excluded = int(every.size - sample.size)
    n = int(sample.size)
    if n == 0:
        raise ValueError(
            "cannot summarize an empty sample" + (f" ({excluded} non-finite values)" if excluded else "")
        )
    mean = float(sample.mean())
    if n == 1:
        return Summary(
            mean=mean, std=None, n=1, ci_low=None, ci_high=None, confidence=confidence, excluded=excluded
        )
    std = float(sample.std(ddof=1))
    # scipy's t.interval wants scale > 0; equal values give a zero-width interval, so use the quantile directly
    half = float(stats.t.ppf((1 + confidence) / 2, df=n - 1)) * std / math.sqrt(n)
    return Summary(
        mean=mean,
        std=std,
        n=n,
        ci_low=mean - half,
        ci_high=mean + half,
        confidence=confidence,
        excluded=excluded,
    )
