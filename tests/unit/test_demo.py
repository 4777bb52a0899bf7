"""``make demo``'s run table: a ``--seeds`` parent's statistics read as mean ± std over n."""

from tools.demo import _metric_text


def test_a_parent_shows_mean_spread_and_n_and_other_runs_their_values() -> None:
    parent = {
        "acc/mean": 0.9613,
        "acc/std": 0.0046,
        "acc/n": 5.0,
        "acc/ci_low": 0.955,
        "acc/ci_high": 0.967,
        "loss": 0.25,
    }
    assert _metric_text(parent) == "acc=0.9613±0.0046 (n=5)  loss=0.25"
    # a metric that merely ends in a statistic's name is a metric of its own
    assert _metric_text({"batch/n": 32.0, "train/std": 0.5}) == "batch/n=32  train/std=0.5"
