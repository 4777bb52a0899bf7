"""The record's background threads yield the CPU to the user's code.

What a run needs after its cell returned (hashing, compressing, a large notebook snapshot, delivery)
runs on threads beside the user's next cell. On Linux a thread has a nice value of its own: raised on
those threads, the scheduler gives the user's thread the core first whenever both want it, and the
background work takes what is left (elsewhere this does nothing). The interpreter's lock is shared all
the same: completion steps also ``pace()`` themselves, waiting (boundedly) while a user's cell runs.
"""

from __future__ import annotations

import os
import threading
import time

BACKGROUND_NICE = 10  # added to the process's nice value, for the calling thread only
_yielding = True  # off in a replay kernel (stop_yielding)


def stop_yielding() -> None:
    """In a replay kernel there is no user's cell to yield to: the background work of the replayed tracked
    cell is what the replay waits for, so its threads keep their priority and do not pace themselves."""
    global _yielding
    _yielding = False


def lower_this_thread(nice: int = BACKGROUND_NICE) -> bool:
    """Lower the calling thread's CPU priority; False where the system has no per-thread nice value (or in a
    replay kernel)."""
    if not _yielding:
        return False
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(current + nice, 19))
    except (AttributeError, OSError):
        return False
    return True


# -- pacing: completion steps wait while the user's next cell runs ----------------------------------------
MAX_WAIT_S = 2.0  # a step waits at most this long for a cell to end: a long cell delays a run, never stops it
_cell_running = threading.Event()
_waiters = 0  # callers of the finisher's wait(): they want the runs now
_waiters_lock = threading.Lock()


def cell_started(*_: object) -> None:
    """IPython's ``pre_run_cell`` (registered by ``%load_ext``): a user's cell is running."""
    _cell_running.set()


def cell_ended(*_: object) -> None:
    """IPython's ``post_run_cell``."""
    _cell_running.clear()


class hurry:
    """While someone waits for the runs to be complete, the background work does not pace itself."""

    def __enter__(self) -> None:
        global _waiters
        with _waiters_lock:
            _waiters += 1

    def __exit__(self, *_: object) -> None:
        global _waiters
        with _waiters_lock:
            _waiters -= 1


def yield_to_cell() -> bool:
    """Whether background work should wait now: a user's cell runs, nobody waits for the runs, and this
    is no replay (``pace``'s condition, for a wait of one's own)."""
    return _yielding and _cell_running.is_set() and not _waiters


def pace(max_wait_s: float = MAX_WAIT_S) -> None:
    """At a step boundary of background work: while a user's cell runs (and nobody waits for the runs),
    wait for it to end, at most ``max_wait_s``: a short next cell runs with the interpreter to itself."""
    if threading.current_thread() is threading.main_thread() or not _yielding:
        return  # the user's own thread (a run completed inside its cell), or a replay: nothing to yield to
    deadline = time.monotonic() + max_wait_s
    while _cell_running.is_set() and not _waiters and time.monotonic() < deadline:
        time.sleep(0.01)
