"""Verdicts from metric series and text outputs: exact, close, diverged, varied, unverified; what masking hides."""

from __future__ import annotations

import math
from collections import Counter

from jupyter_exp.reproduce.masks import mask
from jupyter_exp.reproduce.verify import Produced, Tolerance, compare_outputs, compare_series, verdict_from

TOL = Tolerance(rtol=1e-5, atol=1e-8)


def outputs(*texts: str, name: str = "stdout") -> dict:
    return {"outputs": [{"name": name, "text": text} for text in texts]}


def test_identical_series_are_exact_even_with_nan() -> None:
    series = [(0, 1.0), (1, 0.5), (2, math.nan)]
    result = compare_series("loss", series, list(series), TOL)
    assert result.status == "exact" and result.max_abs_diff == 0.0 and result.steps == 3


def test_tiny_differences_are_close_and_large_ones_diverge_at_the_first_step() -> None:
    original = [(0, 1.0), (1, 0.5), (2, 0.25)]
    close = compare_series("loss", original, [(0, 1.0), (1, 0.5 + 1e-9), (2, 0.25)], TOL)
    assert close.status == "close" and 0 < close.max_abs_diff < 1e-8
    diverged = compare_series("loss", original, [(0, 1.0), (1, 0.51), (2, 0.3)], TOL)
    assert diverged.status == "diverged"
    assert diverged.first_divergence == {"step": 1, "original": 0.5, "reproduced": 0.51}


def test_missing_and_extra_steps_diverge() -> None:
    original = [(0, 1.0), (1, 0.5)]
    assert compare_series("m", original, [(0, 1.0)], TOL).first_divergence["why"] == "missing"
    assert compare_series("m", original, [*original, (2, 0.1)], TOL).first_divergence["why"] == "extra"
    assert compare_series("m", original, [], TOL).status == "diverged"


def test_masking_hides_what_differs_between_any_two_runs() -> None:
    text = (
        "model <Net object at 0x7f3a2b1c4d50> saved to /tmp/tmpab12cd/model.pt\n"
        "run 3f9154d6297640eb86e5a995b81e7039 at 2026-11-23 10:04:05.123\n"
        "epoch took 1.52s, 30.1 it/s\n"
        "Wall time: 2.31 s\n"
        "accuracy 0.975\n"
    )
    counts: Counter[str] = Counter()
    masked = mask(text, counts)
    assert "0x7f3a" not in masked and "/tmp/tmpab12cd" not in masked and "3f9154d6" not in masked
    assert "2026-11-23" not in masked and "1.52s" not in masked and "2.31" not in masked
    assert "accuracy 0.975" in masked  # results are never masked
    assert set(counts) == {"memory address", "temp path", "run or kernel id", "date/time", "elapsed time"}


def test_outputs_compare_numbers_within_tolerance_and_text_exactly() -> None:
    base = outputs("loss 0.123456789\n", "done at 0x7fffaaaa0000\n")
    assert (
        compare_outputs(base, outputs("loss 0.123456789\n", "done at 0x7fffbbbb1111\n"), TOL).status
        == "exact"
    )
    close = compare_outputs(base, outputs("loss 0.1234567891\n", "done at 0x7fffaaaa0000\n"), TOL)
    assert close.status == "close"
    far = compare_outputs(base, outputs("loss 0.2\n", "done at 0x7fffaaaa0000\n"), TOL)
    assert far.status == "diverged" and far.first_difference["line"] == 1
    words = compare_outputs(base, outputs("LOSS 0.123456789\n", "done at 0x7fffaaaa0000\n"), TOL)
    assert words.status == "diverged"


def test_stderr_is_not_compared_but_results_are() -> None:
    original = {"outputs": [{"name": "stderr", "text": "warning A"}, {"name": "result", "text": "42"}]}
    assert compare_outputs(original, {"outputs": [{"name": "result", "text": "42"}]}, TOL).status == "exact"
    assert (
        compare_outputs(original, {"outputs": [{"name": "result", "text": "43"}]}, TOL).status == "diverged"
    )


def test_verdict_is_the_worst_comparison_and_names_the_first_divergence() -> None:
    metrics = {"train/loss": [(0, 1.0), (1, 0.5)], "eval/acc": [(0, 0.9)]}
    same = verdict_from(Produced(metrics, outputs("a 1")), Produced(metrics, outputs("a 1")), TOL)
    assert same.verdict == "exact" and "2 metrics and 1 output line identical" in same.summary
    drifted = {"train/loss": [(0, 1.0), (1, 0.7)], "eval/acc": [(0, 0.9 + 1e-9)]}
    verdict = verdict_from(Produced(metrics, outputs("a 1")), Produced(drifted, outputs("a 1")), TOL)
    assert verdict.verdict == "diverged"
    assert verdict.summary == "train/loss diverged at step 1: 0.5 → 0.7"
    assert [m["status"] for m in verdict.document()["metrics"]] == ["diverged", "close"]


def test_a_deliberate_variation_is_varied_not_diverged() -> None:
    metrics = {"loss": [(0, 1.0)]}
    varied = verdict_from(Produced(metrics), Produced({"loss": [(0, 2.0)]}), TOL, ["lr: 0.1 → 0.2"])
    assert varied.verdict == "varied" and "lr: 0.1 → 0.2" in varied.summary and "loss" in varied.summary
    unaffected = verdict_from(Produced(metrics), Produced(metrics), TOL, ["lr: 0.1 → 0.2"])
    assert unaffected.verdict == "exact" and "despite lr: 0.1 → 0.2" in unaffected.summary


def test_a_verdict_that_compared_nothing_is_unverified_never_exact() -> None:
    silent = {"outputs": [{"name": "stderr", "text": "a warning\n"}]}  # stderr is not compared
    for original, reproduced in [(Produced(), Produced()), (Produced({}, silent), Produced({}, silent))]:
        verdict = verdict_from(original, reproduced, TOL)
        assert verdict.verdict == "unverified"
        assert verdict.summary == "nothing to compare: no metrics, outputs, figures or bound values"
        assert verdict.document()["compared"] == {"metrics": 0, "outputs": 0, "figures": 0, "bound values": 0}
    assert verdict_from(Produced(), Produced(), TOL, ["lr: 0.1 → 0.2"]).verdict == "unverified"


def test_what_was_compared_is_listed_by_kind() -> None:
    metrics = {"loss": [(0, 1.0), (1, 0.5)]}
    verdict = verdict_from(
        Produced(metrics, outputs("a 1\nb 2\n")), Produced(metrics, outputs("a 1\nb 2\n")), TOL
    )
    assert verdict.verdict == "exact" and verdict.compared == {
        "metrics": 1,
        "outputs": 2,
        "figures": 0,
        "bound values": 0,
    }


def test_something_the_original_did_not_produce_is_a_difference_not_nothing() -> None:
    printed = verdict_from(Produced({}, outputs("")), Produced({}, outputs("surprise\n")), TOL)
    assert printed.verdict == "diverged" and printed.compared["outputs"] == 1
    logged = verdict_from(Produced(), Produced({"loss": [(0, 1.0)]}), TOL)
    assert logged.verdict == "diverged" and logged.metrics[0].first_divergence["why"] == "extra"


def test_the_elapsed_time_mask_covers_the_time_only_never_what_follows() -> None:
    original = outputs("epoch 1 | time 0.52s | loss 0.2790\n")
    assert mask("epoch 1 | time 0.52s | loss 0.2790") == "epoch 1 | time <elapsed time> | loss 0.2790"
    diverged = compare_outputs(original, outputs("epoch 1 | time 0.61s | loss 0.6476\n"), TOL)
    assert diverged.status == "diverged" and diverged.first_difference["reproduced"] == "0.6476"
    same = compare_outputs(original, outputs("epoch 1 | time 0.61s | loss 0.2790\n"), TOL)
    assert same.status == "exact" and same.masked == {"elapsed time": 1}


def test_a_number_followed_by_s_is_not_a_time_without_a_timing_word() -> None:
    assert mask("x = 5 s") == "x = 5 s"
    assert compare_outputs(outputs("x = 5 s\n"), outputs("x = 6 s\n"), TOL).status == "diverged"
    assert mask("CPU times: user 2.61 ms, sys: 0 ns, total: 2.61 ms") == (
        "CPU times: user <elapsed time>, sys: <elapsed time>, total: <elapsed time>"
    )
    assert mask("done in 1m 3.2s, 12ms/step, accuracy 0.91") == (
        "done in <elapsed time>, <elapsed time>, accuracy 0.91"
    )


def test_rfc_2822_and_ctime_dates_are_masked() -> None:
    summary = "Date:                Tue, 01 Dec 2026   Prob (F-statistic):   1.23e-05\n"
    assert mask(summary) == "Date:                <date/time>   Prob (F-statistic):   1.23e-05\n"
    assert mask("started Tue Dec  1 19:03:17 2026, seed 7") == "started <date/time>, seed 7"
    assert mask("Date: Wed, 02 Dec 2026 08:00:01 +0000.") == "Date: <date/time>."
    later = compare_outputs(outputs(summary), outputs(summary.replace("Tue, 01", "Wed, 02")), TOL)
    assert later.status == "exact" and later.masked == {"date/time": 1}


def test_tqdm_progress_counters_are_masked_and_only_the_last_redraw_counts() -> None:
    bar = "100%|##########| 10/10 [00:01<00:00, 9.8it/s]"
    assert mask(bar) == "100%|##########| 10/10 <progress>"
    assert mask("  0%|          | 0/10 [00:00<?, ?it/s]") == "  0%|          | 0/10 <progress>"
    redraws = outputs(" 50%|#####     | 5/10 [00:00<00:00, 9.1it/s]\r" + bar + "\ndone\n")
    assert compare_outputs(redraws, outputs(bar.replace("9.8", "10.2") + "\ndone\n"), TOL).status == "exact"


def test_the_summary_counts_in_the_singular_for_one() -> None:
    one = verdict_from(Produced({"loss": [(0, 0.5)]}), Produced({"loss": [(0, 0.5)]}), Tolerance())
    two = {"loss": [(0, 0.5)], "acc": [(0, 0.9)]}
    assert one.summary == "1 metric identical"
    assert verdict_from(Produced(two), Produced(two), Tolerance()).summary == "2 metrics identical"


def test_a_line_of_masked_tokens_literals_or_configuration_compares_nothing() -> None:
    """Issue 25: a date printed 3 days later was called exact; what a line only echoes is not a result."""
    state = {
        "values": {},
        "inputs": {"formula": "'y ~ x'"},
        "literal_texts": ["Last updated: ", "Formula: ", "y ~ x"],
        "constructors": ["RandomForestRegressor"],
    }
    shown = outputs(
        "Last updated: 2026-12-07 20:31:02\nFormula: y ~ x\n<FuncAnimation at 0x7f3a2b1c9d10>\n",
        "RandomForestRegressor(n_estimators=10,\n                      random_state=0)\n",
    )
    later = outputs(
        "Last updated: 2026-12-10 09:01:44\nFormula: y ~ x\n<FuncAnimation at 0x7f00aa11bb22>\n",
        "RandomForestRegressor(n_estimators=10,\n                      random_state=0)\n",
    )
    found = verdict_from(Produced(outputs=shown, state=state), Produced(outputs=later, state=state), TOL)
    assert found.verdict == "unverified", found.summary
    assert found.summary == (
        "nothing compared: the outputs held only a configuration repr (2 lines), a literal of the cell "
        "(1 line), masked date/time (1 line), masked memory address (1 line); the cell bound only literals "
        "(inputs: formula)"
    )
    assert found.compared["outputs"] == 0 and found.inputs == ["formula"]
    computed = outputs("Last updated: 2026-12-07 20:31:02\naccuracy 0.91\n")
    counted = verdict_from(
        Produced(outputs=computed, state=state), Produced(outputs=computed, state=state), TOL
    )
    assert counted.verdict == "exact" and counted.summary == "0 metrics and 1 output line identical"
