"""The record's background threads yield the CPU to the user's code (issue 24, background work)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from jupyter_exp.tracking.finisher import FINISHER, wait_for_runs

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="a nice value per thread is Linux's")


def nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_runs_complete_on_a_thread_of_lower_priority_than_the_users() -> None:
    seen: list[int] = []
    FINISHER.submit(lambda: seen.append(nice_of_this_thread()))
    assert wait_for_runs(30)
    assert seen and seen[0] > nice_of_this_thread()  # the finisher ran at the user's priority before
