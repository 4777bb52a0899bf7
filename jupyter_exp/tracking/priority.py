"""The record's background threads yield the CPU to the user's code.

What a run needs after its cell returned (hashing, compressing, a large notebook snapshot, delivery)
runs on threads beside the user's next cell. On Linux a thread has a nice value of its own: raised on
those threads, the scheduler gives the user's thread the core first whenever both want it, and the
background work takes what is left. Elsewhere this does nothing.
"""

from __future__ import annotations

import os
import threading

BACKGROUND_NICE = 10  # added to the process's nice value, for the calling thread only


def lower_this_thread(nice: int = BACKGROUND_NICE) -> bool:
    """Lower the calling thread's CPU priority; False where the system has no per-thread nice value."""
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(current + nice, 19))
    except (AttributeError, OSError):
        return False
    return True
