"""The str hash seed: a kernel started with a known PYTHONHASHSEED records it and the replay kernel gets it,
so a vocabulary built from a set of words comes back; an unknown one is a drift row."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kernels import make_project
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel

SOURCES = [
    "%load_ext jupyter_exp",
    "words = 'the quick brown fox jumps over a lazy dog while seven wizards quietly hex bold jars'.split()\n"
    "vocab = {w: i for i, w in enumerate(set(words))}",
    "%%track --name vocab\nprint(sorted(vocab.items(), key=lambda item: item[1]))",
]


def record(tmp_path: Path) -> tuple[Path, object]:
    root = make_project(tmp_path)
    return root, record_session(root, SOURCES, [0, 1, 2])["runs"]["vocab"]


def test_a_known_hash_seed_is_recorded_and_given_to_the_replay_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONHASHSEED", "4242")  # the kernel's, as the server gives one to each kernel
    root, run = record(tmp_path)
    assert run.data.tags["jupyter_exp.hashseed"] == "4242"
    monkeypatch.delenv("PYTHONHASHSEED")  # the process that replays has none (or another one)
    result = reproduce(root, run.info.run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert not [d for d in result.drift if d.what == "hash seed"]


def test_an_unknown_hash_seed_is_a_drift_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHASHSEED", "random")
    root, run = record(tmp_path)
    assert run.data.tags["jupyter_exp.hashseed"] == "random"
    result = reproduce(root, run.info.run_id, dry_run=True)
    (row,) = [d for d in result.drift if d.what == "hash seed"]
    assert row.recorded == "random" and "set iteration order of strings" in row.now
