"""Fresh entropy while a tracked cell runs: derived from its seed on the cell's thread, else counted."""

from __future__ import annotations

import os
import random
import secrets
import threading
import uuid

import numpy as np

from jupyter_exp.capture.entropy import EntropyWatch
from jupyter_exp.reproduce.verify import Produced, Tolerance, verdict_from


def draws() -> tuple[float, ...]:
    return (
        float(np.random.default_rng().random()),
        float(np.random.SeedSequence().entropy % 997),
        random.Random().random(),
        float(np.random.RandomState().rand()),
    )


def test_the_same_seed_draws_the_same_and_everything_is_put_back() -> None:
    originals = (os.urandom, random.Random.seed, random.seed, np.random.bit_generator.randbits)
    with EntropyWatch(11):
        first = draws()
    with EntropyWatch(11) as watch:
        assert draws() == first
    with EntropyWatch(12):
        assert draws() != first
    assert not watch.unreplayable
    assert (os.urandom, random.Random.seed, random.seed, np.random.bit_generator.randbits) == originals


def test_what_cannot_be_derived_is_counted_on_the_cells_thread_only() -> None:
    with EntropyWatch(11) as watch:
        os.urandom(2)
        secrets.token_hex(4)
        uuid.uuid4()  # an identifier, not a result
        other = threading.Thread(target=lambda: os.urandom(2))
        other.start()
        other.join()
    assert watch.describe() == "os.urandom (1 call), random.SystemRandom / secrets (1 call)"
    with EntropyWatch(None) as unseeded:
        draws()
    assert unseeded.describe() == (
        "numpy SeedSequence without a seed (3 calls), random.Random() without a seed (1 call)"
    )


def test_a_match_of_a_cell_that_read_unreplayable_entropy_is_exact_with_a_note() -> None:
    metrics = {"loss": [(0, 0.5)]}
    same = verdict_from(Produced(metrics, unreplayable="os.urandom (1 call)"), Produced(metrics), Tolerance())
    assert same.verdict == "exact"  # a match is a match (issue 25); unverified is for nothing compared
    assert (
        same.summary
        == "1 metric identical (note: the cell read entropy a replay cannot reproduce: os.urandom (1 call))"
    )
    nothing = verdict_from(Produced(unreplayable="os.urandom (1 call)"), Produced(), Tolerance())
    assert nothing.verdict == "unverified"
    other = verdict_from(
        Produced(metrics, unreplayable="os.urandom (1 call)"), Produced({"loss": [(0, 0.7)]}), Tolerance()
    )
    assert other.verdict == "diverged" and other.summary.endswith(
        "(the cell read entropy a replay cannot reproduce: os.urandom (1 call))"
    )
