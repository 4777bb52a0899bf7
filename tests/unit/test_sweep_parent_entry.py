"""The sweep's parent run in the real local journal (sweep/parent_entry.py): an entry a dead kernel left is
taken over without its old end, and one another live process holds is not taken."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_exp.sweep import parent_entry
from jupyter_exp.tracking.journal import EntryMeta, JournalEntry

HOLDER = (
    "import sys; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
    "print('held', flush=True); sys.stdin.read()"
)


def _left_behind(root: Path, run_id: str) -> JournalEntry:
    meta = EntryMeta(run_id, "sqlite:///x.db", "0", "elsewhere", 1, "k-old", 0)
    entry = JournalEntry.create(root, meta)
    entry.write_end("FINISHED", 1)  # an end its kernel wrote and never delivered
    entry.release()
    return entry


def test_an_entry_left_behind_is_taken_over_running(tmp_path: Path) -> None:
    old = _left_behind(tmp_path, "parent1")
    entry = parent_entry.hold_parent(tmp_path, "parent1", "0", "sweep-demo", "sqlite:///x.db")
    assert entry is not None and entry.path == old.path
    assert entry.end() is None  # a later completion ends it KILLED, not with the stale end
    assert entry.meta().pid == os.getpid() and entry.meta().run_name == "sweep-demo"
    assert not JournalEntry(old.path).hold()  # held by this process's entry
    entry.release()


def test_an_entry_another_process_holds_is_not_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _left_behind(tmp_path, "parent2")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(old.path / "lock")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        monkeypatch.setattr(parent_entry, "TAKE_OVER_S", 0.3)
        assert parent_entry.hold_parent(tmp_path, "parent2", "0", "sweep-demo", "sqlite:///x.db") is None
        assert old.end() == {"status": "FINISHED", "end_time_ms": 1}  # left as it was
    finally:
        holder.communicate(timeout=30)
