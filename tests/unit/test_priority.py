"""The record's background threads yield the CPU to the user's code (issue 24, background work)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from jupyter_exp.tracking.finisher import FINISHER, wait_for_runs


def nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="a nice value per thread is Linux's")
def test_runs_complete_on_a_thread_of_lower_priority_than_the_users() -> None:
    seen: list[int] = []
    FINISHER.submit(lambda: seen.append(nice_of_this_thread()))
    assert wait_for_runs(30)
    assert seen and seen[0] > nice_of_this_thread()  # the finisher ran at the user's priority before


def test_completion_waits_while_a_users_cell_runs_unless_someone_waits_for_it() -> None:
    from jupyter_exp.tracking import priority

    ran = threading.Event()
    priority.cell_started()
    try:
        FINISHER.submit(ran.set)
        assert not ran.wait(0.3)  # the next cell runs without the run's completion beside it
        priority.cell_ended()
        assert ran.wait(30)
        ran.clear()
        priority.cell_started()
        FINISHER.submit(ran.set)
        assert wait_for_runs(30) and ran.is_set()  # %reproduce, runs(): they wait, nothing paces
    finally:
        priority.cell_ended()


def test_the_users_own_thread_never_paces() -> None:
    """A run completed inside its cell (finish_in_background off) is completed by the user's thread."""
    import time

    from jupyter_exp.tracking import priority

    priority.cell_started()
    try:
        start = time.monotonic()
        priority.pace(max_wait_s=60)
        assert time.monotonic() - start < 30  # it waited the whole 60 s before
    finally:
        priority.cell_ended()
