"""stats/: the difference's interval, Cohen's d, the permutation test, BH and the verdicts, against values
computed by hand and scipy's own results."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from jupyter_exp.stats.direction import lower_is_better, lower_is_better_rule
from jupyter_exp.stats.inference import RESAMPLES, SEED, cohens_d, compare_samples
from jupyter_exp.stats.verdicts import BETTER, NO_EVIDENCE, NO_STATISTICS, WORSE, MetricSamples, judge


def test_cohens_d_against_hand_computed_pooled_deviation() -> None:
    # means 2 and 4, both sample variances 1: pooled sd 1, d = 2
    assert cohens_d(np.array([1.0, 2, 3]), np.array([3.0, 4, 5])) == pytest.approx(2.0)
    # variances 1 and 4 (n 3 and 3): pooled sqrt((2*1 + 2*4)/4) = sqrt(2.5); d = (6 - 2) / 1.5811
    assert cohens_d(np.array([1.0, 2, 3]), np.array([4.0, 6, 8])) == pytest.approx(4 / math.sqrt(2.5))
    assert cohens_d(np.array([1.0, 1]), np.array([1.0, 1])) is None


def test_exact_independent_permutation_p_value_by_hand() -> None:
    # 3 vs 3 completely separated: 20 arrangements, the observed one and its mirror are the extremes: 2/20
    result = compare_samples([1.0, 2, 3], [4.0, 5, 6])
    assert result.exact and result.test == "permutation"
    assert result.p_value == pytest.approx(0.1)
    assert result.min_p_value == pytest.approx(0.1)
    assert result.difference == pytest.approx(3.0)
    assert any("no permutation test can reach p < 0.05" in n for n in result.notes)


def test_exact_paired_sign_flip_p_value_by_hand() -> None:
    # 6 pairs, all b - a positive and distinct: of the 64 sign patterns only all-plus and all-minus are as
    # extreme as observed: p = 2/64
    a = np.array([0.50, 0.61, 0.55, 0.70, 0.66, 0.58])
    b = a + np.array([0.01, 0.02, 0.03, 0.04, 0.05, 0.06])
    result = compare_samples(a, b, paired=True)
    assert result.paired and result.test == "paired permutation" and result.exact
    assert result.p_value == pytest.approx(2 / 64)
    assert result.difference == pytest.approx(0.035)


def test_five_shared_seeds_are_tested_as_independent_samples_and_say_so() -> None:
    a = np.array([0.80, 0.81, 0.79, 0.82, 0.80])
    b = a - 0.3
    result = compare_samples(a, b, paired=True)
    assert result.paired and result.test == "permutation"  # the interval stays paired
    assert result.p_value == pytest.approx(2 / math.comb(10, 5))
    assert any("too few for a paired permutation test" in n for n in result.notes)


def test_permutation_p_value_is_scipys_own() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 12), rng.normal(0.8, 1, 12)
    ours = compare_samples(a, b)
    theirs = stats.permutation_test(
        (a, b),
        lambda x, y, axis: np.mean(y, axis=axis) - np.mean(x, axis=axis),
        vectorized=True,
        n_resamples=RESAMPLES,
        rng=np.random.default_rng(SEED),
    )
    assert not ours.exact and ours.p_value == pytest.approx(theirs.pvalue)
    # and a large-sample permutation test agrees with Welch's t-test to within resampling noise
    assert ours.p_value == pytest.approx(stats.ttest_ind(b, a, equal_var=False).pvalue, abs=0.02)


def test_bca_interval_from_six_runs_is_scipys_own_paired_bootstrap() -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(0.9, 0.02, 8)
    b = a + rng.normal(0.01, 0.005, 8)
    ours = compare_samples(a, b, paired=True)
    theirs = stats.bootstrap(
        (a, b),
        lambda x, y, axis: np.mean(y - x, axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=RESAMPLES,
        method="BCa",
        rng=np.random.default_rng(SEED),
    ).confidence_interval
    assert ours.ci_method == "BCa"
    assert (ours.ci_low, ours.ci_high) == pytest.approx((theirs.low, theirs.high))
    assert ours.ci_low < ours.difference < ours.ci_high


def test_percentile_interval_below_six_runs_matches_the_exact_bootstrap_distribution() -> None:
    # 3 pairs with differences 1, 2, 6: the 27 equally likely resamples' means, enumerated by hand here
    a = np.array([10.0, 20.0, 30.0])
    b = a + np.array([1.0, 2.0, 6.0])
    means = sorted(np.mean([x, y, z]) for x in (1, 2, 6) for y in (1, 2, 6) for z in (1, 2, 6))
    result = compare_samples(a, b, paired=True)
    assert result.ci_method == "percentile"
    assert any("BCa is unstable" in n for n in result.notes)
    assert result.ci_low == pytest.approx(np.quantile(means, 0.025, method="inverted_cdf"), abs=0.35)
    assert result.ci_high == pytest.approx(np.quantile(means, 0.975, method="inverted_cdf"), abs=0.35)
    assert 1.0 <= result.ci_low <= result.ci_high <= 6.0


def test_no_interval_below_three_runs() -> None:
    result = compare_samples([1.0, 2.0], [3.0, 4.0])
    assert result.ci_low is None and result.ci_method is None
    assert any("no bootstrap interval" in n for n in result.notes)


def test_identical_constant_sides_have_no_effect_size_and_no_evidence() -> None:
    [found] = judge([MetricSamples("acc", [0.5] * 6, [0.5] * 6, paired=False)])
    assert found.outcome == NO_EVIDENCE and found.verdict == "no evidence at 6 seeds"
    assert found.test is not None and found.test.cohens_d is None and found.test.p_value == 1.0
    assert found.test.ci_low == found.test.ci_high == 0.0


def test_lower_is_better_names_and_patterns() -> None:
    assert lower_is_better("train/loss") and lower_is_better("eval/error_rate") and lower_is_better("val_mse")
    assert lower_is_better("system/wall_time_s") and lower_is_better("system/peak_rss_mb")
    assert not lower_is_better("eval/accuracy") and not lower_is_better("f1")
    assert lower_is_better("eval/cost", lower_is_better_rule(r"cost"))
    assert not lower_is_better("train/loss", lower_is_better_rule(["eval/cost"]))
    with pytest.raises(ValueError, match="not a regular expression"):
        lower_is_better_rule("(")


def test_verdict_direction_follows_the_metric() -> None:
    a = [0.80, 0.81, 0.79, 0.82, 0.80, 0.81]
    b = [x + 0.1 for x in a]
    acc, loss = judge([MetricSamples("eval/accuracy", a, b), MetricSamples("eval/loss", a, b)])
    assert acc.outcome == BETTER and acc.verdict == "better"
    assert loss.outcome == WORSE and loss.verdict == "worse"
    assert loss.lower_is_better and not acc.lower_is_better


def test_benjamini_hochberg_across_metrics_by_hand() -> None:
    # 4 vs 4 completely separated: exact p = 2/70 = 0.0286 < 0.05 on its own ...
    a, b = [1.0, 2, 3, 4], [5.0, 6, 7, 8]
    [alone] = judge([MetricSamples("acc", a, b)])
    assert alone.p_adjusted == pytest.approx(2 / 70) and alone.outcome == BETTER
    # ... but beside a metric with p = 1 (no difference at all) BH doubles it: 2 * 2/70 / 1 = 0.0571
    noisy = [2.0, 1, 4, 3]
    found, other = judge([MetricSamples("acc", a, b), MetricSamples("f1", [1.0, 2, 3, 4], noisy)])
    assert found.test is not None and found.test.p_value == pytest.approx(2 / 70)
    assert other.test is not None and other.test.p_value == pytest.approx(1.0)
    assert found.p_adjusted == pytest.approx(2 * (2 / 70)) and other.p_adjusted == pytest.approx(1.0)
    assert found.outcome == NO_EVIDENCE and found.verdict == "no evidence at 4 seeds"
    assert any("fewer than 5 seeds per side" in n for n in found.notes)


def test_bh_adjustment_is_scipys() -> None:
    rng = np.random.default_rng(7)
    samples = [MetricSamples(f"m{i}", rng.normal(0, 1, 8), rng.normal(i / 2, 1, 8)) for i in range(4)]
    found = judge(samples)
    raw = [f.test.p_value for f in found if f.test is not None]
    expected = stats.false_discovery_control(raw, method="bh")
    assert [f.p_adjusted for f in found] == pytest.approx(list(expected))


def test_one_run_per_side_gives_no_statistics_and_no_verdict() -> None:
    [found] = judge([MetricSamples("acc", [0.9], [0.1])])
    assert found.outcome == NO_STATISTICS and found.test is None and found.p_adjusted is None
    assert found.verdict == "no statistics possible (1 run per side; 2 per side needed)"
    assert found.a is not None and found.a.mean == 0.9 and found.b is not None and found.b.n == 1


def test_non_finite_values_are_left_out_of_pairs() -> None:
    a = [0.5, 0.6, float("nan"), 0.55, 0.58, 0.61, 0.52]
    b = [0.6, 0.7, 0.9, 0.65, 0.68, 0.71, 0.62]
    [found] = judge([MetricSamples("acc", a, b, paired=True)])
    assert found.a is not None and found.a.n == 6 and found.b is not None and found.b.n == 6
    assert found.notes[0] == "1 non-finite values left out"
    assert found.test is not None and found.test.difference == pytest.approx(0.1)
