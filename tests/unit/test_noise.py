"""The seed-noise band of ``%reproduce --noise`` against hand-computed values, and the line it reports."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from jupyter_exp.reproduce.errors import ReproduceError
from jupyter_exp.reproduce.noise import (
    BEYOND,
    MATCHED,
    NO_BAND,
    WITHIN,
    NoiseCheck,
    check_noise,
    difference_band,
    other_seeds,
    rows_for,
)
from jupyter_exp.reproduce.verify import MetricComparison, Verdict


@dataclass
class Replayed:  # what check_noise reads of a replay.Reproduction
    verdict: Verdict | None
    run_id: str | None = "r"


@dataclass(frozen=True)
class Options:  # check_noise varies it with dataclasses.replace, as ReproduceOptions
    seed: int | None = None
    dry_run: bool = False


def metric(key: str, original: float, reproduced: float, status: str) -> MetricComparison:
    return MetricComparison(key, status, 3, original, reproduced)


def verdict(name: str, *metrics: MetricComparison) -> Verdict:
    return Verdict(name, "", list(metrics))


def test_band_is_the_t_interval_of_a_two_seed_difference() -> None:
    # mean 2, s = 1, n = 3: t(0.975, df=2) = 4.302653, times sqrt(2) = 6.084870
    summary, band = difference_band([1.0, 2.0, 3.0])
    assert summary.n == 3 and summary.std == 1.0
    assert band == pytest.approx(6.084870, abs=1e-6)
    # s = sqrt(0.5), n = 2: t(0.975, df=1) = 12.706205, times s * sqrt(2) = 12.706205
    assert difference_band([1.0, 2.0])[1] == pytest.approx(12.706205, abs=1e-6)
    assert difference_band([0.5])[1] is None  # one value: no spread, no band


def test_rows_weigh_each_metric_against_its_own_band() -> None:
    main = Replayed(
        verdict(
            "diverged",
            metric("acc", 0.90, 0.904, "diverged"),
            metric("loss", 0.30, 0.90, "diverged"),
            metric("steps", 3.0, 3.0, "exact"),
        )
    )
    noise = [  # three other seeds: acc 0.88 / 0.90 / 0.92, loss 0.31 / 0.30 / 0.29, steps not logged
        Replayed(
            verdict("varied", metric("acc", 0.9, value, "diverged"), metric("loss", 0.3, loss, "diverged"))
        )
        for value, loss in ((0.88, 0.31), (0.90, 0.30), (0.92, 0.29))
    ]
    rows = {r.key: r for r in rows_for(main, noise)}
    t2 = 4.302653  # t(0.975, df=2): three seeds; the original's value is not part of the spread
    assert rows["acc"].band == pytest.approx(t2 * 0.02 * math.sqrt(2), rel=1e-5)  # s of 0.88, 0.90, 0.92
    assert rows["acc"].status == WITHIN and rows["acc"].difference == pytest.approx(0.004)
    assert rows["loss"].band == pytest.approx(t2 * 0.01 * math.sqrt(2), rel=1e-5)
    assert rows["loss"].status == BEYOND
    assert rows["steps"].status == MATCHED  # matched wins: nothing to explain
    check = NoiseCheck(main, [1, 2, 3], noise, list(rows.values()))
    assert check.line == f"diverged beyond seed noise: loss |d| = 0.6 ≥ band {rows['loss'].band:.3g}"
    within = NoiseCheck(main, [1, 2, 3], noise, [rows["acc"], rows["steps"]])
    assert within.line == f"diverged, but within seed noise: acc |d| = 0.004 < band {rows['acc'].band:.3g}"
    assert "acc" in repr(within) and "within seed noise" in repr(within)


def test_a_failed_or_empty_reproduction_weighs_nothing() -> None:
    assert (
        NoiseCheck(Replayed(verdict("failed")), [1, 2]).line == "failed: nothing to hold against seed noise"
    )
    empty = NoiseCheck(Replayed(verdict("diverged")), [1, 2])
    assert empty.line.startswith("diverged; no seed-noise band")
    one_seed = rows_for(Replayed(verdict("diverged", metric("acc", 0.9, 0.95, "diverged"))), [])
    assert [r.status for r in one_seed] == [NO_BAND]


def test_check_noise_replays_the_recorded_seed_then_the_others() -> None:
    seen: list[int | None] = []

    def replay(run_id: str, options: Options) -> Replayed:
        seen.append(options.seed)
        value = 0.9 if options.seed is None else 0.9 + 0.01 * (len(seen) - 2)
        status = "exact" if options.seed is None else "diverged"
        return Replayed(
            verdict(status if options.seed is None else "varied", metric("acc", 0.9, value, status))
        )

    check = check_noise("run", 7, 3, Options(), replay)
    assert seen[0] is None and seen[1:] == check.seeds and 7 not in check.seeds and len(set(check.seeds)) == 3
    assert [r.status for r in check.rows] == [MATCHED]
    assert check.rows[0].seeds is not None and check.rows[0].seeds.n == 3  # the other seeds only


def test_bad_noise_requests_are_refused_before_any_replay() -> None:
    def replay(run_id: str, options: Options) -> Replayed:
        raise AssertionError("no replay for a bad request")

    with pytest.raises(ReproduceError, match="2 to 100 other seeds"):
        check_noise("run", 7, 1, Options(), replay)
    with pytest.raises(ReproduceError, match="without a seed"):
        check_noise("run", None, 3, Options(), replay)
    with pytest.raises(ReproduceError, match="--dry-run"):
        check_noise("run", 7, 3, Options(dry_run=True), replay)


def test_other_seeds_are_distinct_and_not_the_recorded_one() -> None:
    seeds = other_seeds(5, 20)
    assert len(set(seeds)) == 20 and 5 not in seeds
