"""summarize(): mean, sample std, n and the 95% t-interval against hand-computed values."""

from __future__ import annotations

import dataclasses
import math

import pytest

from jupyter_exp.stats.summary import Summary, summarize


def test_five_values_against_hand_computed_t_interval() -> None:
    # mean 3, sample variance 10/4 = 2.5, se = sqrt(2.5/5) = 0.70711, t(0.975, df=4) = 2.776445
    summary = summarize([1, 2, 3, 4, 5])
    assert summary.n == 5 and summary.mean == 3.0
    assert summary.std == pytest.approx(math.sqrt(2.5), rel=1e-12)
    assert summary.ci_low == pytest.approx(3 - 2.776445 * 0.7071068, abs=1e-5)
    assert summary.ci_high == pytest.approx(3 + 2.776445 * 0.7071068, abs=1e-5)
    assert summary.half_width == pytest.approx(1.963243, abs=1e-5)


def test_two_values_use_the_wide_df1_quantile() -> None:
    # mean 3, std sqrt(2), se 1, t(0.975, df=1) = 12.706205
    summary = summarize([2.0, 4.0])
    assert summary.std == pytest.approx(math.sqrt(2))
    assert (summary.ci_low, summary.ci_high) == pytest.approx((3 - 12.706205, 3 + 12.706205), abs=1e-5)


def test_other_confidence_level() -> None:
    # t(0.95, df=4) = 2.131847 for a 90% interval
    summary = summarize([1, 2, 3, 4, 5], confidence=0.9)
    assert summary.half_width == pytest.approx(2.131847 * 0.7071068, abs=1e-5)
    assert "90% CI" in summary.describe()


def test_one_value_has_no_spread_and_says_so() -> None:
    summary = summarize([0.91])
    assert summary == Summary(mean=0.91, std=None, n=1, ci_low=None, ci_high=None)
    assert not summary.has_spread and summary.half_width is None
    assert summary.describe() == "0.91 (n=1: no spread)"


def test_equal_values_give_a_zero_width_interval() -> None:
    summary = summarize([0.5, 0.5, 0.5])
    assert summary.std == 0.0 and summary.ci_low == summary.ci_high == 0.5


def test_non_finite_values_are_left_out_and_counted() -> None:
    summary = summarize([1.0, float("nan"), 3.0, float("inf")])
    assert summary.n == 2 and summary.mean == 2.0 and summary.excluded == 2
    assert "2 non-finite left out" in summary.describe()


def test_describe_with_spread() -> None:
    assert summarize([1, 2, 3, 4, 5]).describe(digits=3) == "3 ± 1.58 (95% CI 1.04 to 4.96, n=5)"


def test_empty_and_all_nan_samples_are_errors() -> None:
    with pytest.raises(ValueError, match="empty sample"):
        summarize([])
    with pytest.raises(ValueError, match="2 non-finite"):
        summarize([float("nan"), float("nan")])
    with pytest.raises(ValueError, match="confidence"):
        summarize([1.0, 2.0], confidence=1.0)


def test_summary_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        summarize([1.0, 2.0]).mean = 0.0  # type: ignore[misc]
