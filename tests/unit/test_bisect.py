"""The bisection of a slice's left-out cells (``reproduce/bisect.py``): which cells mattered, in how many
probes, and when it does not run. The probe here is an oracle over cell sets (the kernel test replays)."""

from __future__ import annotations

import asyncio

from jupyter_exp.reproduce.bisect import Bisection, Budget, bisect, describe, first_line

LEFT_OUT = [3, 7, 8, 11]


def run(
    needed: set[int], budget: Budget, left_out: list[int] = LEFT_OUT
) -> tuple[Bisection, list[list[int]]]:
    tried: list[list[int]] = []

    async def probe(extra: list[int]) -> bool:
        tried.append(extra)
        return needed <= set(extra)

    return asyncio.run(bisect(left_out, probe, budget)), tried


def test_one_cell_of_four_is_found_in_three_probes() -> None:
    found, tried = run({7}, Budget(1.0, {3: 1.0, 7: 1.0, 8: 1.0, 11: 1.0}, 60.0))
    assert found.found == [7] and found.skipped is None and found.candidates == []
    assert tried == [[3, 7], [3], [7]]
    assert found.replays == 3


def test_cells_needed_together_are_all_found() -> None:
    found, tried = run({8, 11}, Budget(1.0, {}, 60.0))
    assert found.found == [8, 11]
    assert [8, 11] in tried and len(tried) <= 6
    found, _ = run({3, 11}, Budget(1.0, {}, 60.0))
    assert found.found == [3, 11]


def test_it_is_skipped_when_switched_off_or_too_dear() -> None:
    off, tried = run({7}, Budget(1.0, {}, 0.0))
    assert tried == [] and off.skipped == "switched off (JupyterExp.bisect_budget_s = 0)"
    dear, tried = run({7}, Budget(20.0, {3: 30.0, 7: 1.0}, 60.0))
    assert tried == []
    assert dear.skipped is not None and dear.skipped.startswith("about 3 replays of 51 s each")
    assert "exceed its budget of 60 s (JupyterExp.bisect_budget_s)" in dear.skipped


def test_it_stops_at_its_budget_and_says_what_it_could_not_rule_out() -> None:
    many = list(range(1, 65))
    found, tried = run({40}, Budget(0.0, {}, 1e9), many)
    assert found.found == [40] and len(tried) == 7
    stopped, tried = run({40, 50, 60}, Budget(0.0, {}, 1e9), many)
    assert stopped.skipped is not None and len(tried) == 12
    assert stopped.skipped.startswith("stopped at its budget after 12 replays")
    assert stopped.found and 40 in stopped.candidates
    note = describe(stopped.document(), many)
    assert note.startswith(f"left-out cell [{stopped.found[0]}] `` mattered, maybe with one of [")
    assert note.endswith("bisection skipped: " + stopped.skipped)


def test_the_note_names_the_cells_or_why_it_did_not() -> None:
    document = {
        "mattered": [{"execution_count": 7, "source": first_line("\n  x.sort()  \ny = 1")}],
        "undecided": [],
        "replays": 3,
        "seconds": 21.4,
        "skipped": None,
    }
    assert (
        describe(document, LEFT_OUT)
        == "left-out cell [7] `x.sort()` mattered (found by bisection in 3 replays, 21 s)"
    )
    skipped = {"mattered": [], "undecided": [], "replays": 0, "seconds": 0, "skipped": "switched off"}
    assert describe(skipped, LEFT_OUT) == (
        "a cell it left out mattered (one of [3], [7], [8], [11]); bisection skipped: switched off"
    )
    assert first_line("print(`a`)" + "x" * 80).endswith("…") and "`" not in first_line("`a`")
