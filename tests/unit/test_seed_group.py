"""--seeds / --repeat parsing and the parent's statistics names, without a kernel."""

from __future__ import annotations

import math

import pytest

from jupyter_exp.track.seed_group import plan_seeds, summarize_children, summary_metrics


def test_seeds_keep_their_order() -> None:
    plan = plan_seeds("3, 1,2", None)
    assert plan is not None and plan.seeds == (3, 1, 2) and not plan.drawn and plan.describe() == "3,1,2"
    assert plan_seeds(None, None) is None


def test_repeat_draws_distinct_seeds_and_says_so() -> None:
    plan = plan_seeds(None, 50)
    assert plan is not None and plan.drawn and len(set(plan.seeds)) == 50
    assert all(0 <= s < 2**31 for s in plan.seeds)


@pytest.mark.parametrize(
    ("seeds", "repeat", "message"),
    [
        ("0,,1", None, "'' is not an integer"),
        ("a", None, "'a' is not an integer"),
        ("2,2", None, "seed 2 is given twice"),
        (str(2**32), None, "between 0 and 2**32 - 1"),
        (None, 0, "--repeat must be between 1 and 1000"),
        (None, 1001, "--repeat must be between 1 and 1000"),
        ("1", 2, "cannot be used together"),
    ],
)
def test_bad_values_are_one_line_errors(seeds: str | None, repeat: int | None, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        plan_seeds(seeds, repeat)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_parent_metrics_from_the_finished_children() -> None:
    finished = [{"acc": 0.8, "loss": 1.0}, {"acc": 0.9, "loss": float("nan")}, {"acc": 1.0}]
    summaries = summarize_children(finished)
    assert list(summaries) == ["acc", "loss"]
    metrics = summary_metrics(summaries)
    # acc: mean 0.9, sample std 0.1, t(0.975, 2) = 4.302653, half width 4.302653 * 0.1 / sqrt(3) = 0.248414
    assert metrics["acc/mean"] == pytest.approx(0.9) and metrics["acc/std"] == pytest.approx(0.1)
    assert metrics["acc/n"] == 3.0
    assert metrics["acc/ci_low"] == pytest.approx(0.9 - 0.248414, abs=1e-6)
    assert metrics["acc/ci_high"] == pytest.approx(0.9 + 0.248414, abs=1e-6)
    # loss: one finite value (the NaN left out): mean and n only, no spread
    assert {k: v for k, v in metrics.items() if k.startswith("loss/")} == {"loss/mean": 1.0, "loss/n": 1.0}


def test_only_non_finite_values_give_no_summary() -> None:
    assert summarize_children([{"loss": math.nan}, {"loss": math.inf}]) == {}
    assert summarize_children([]) == {}
