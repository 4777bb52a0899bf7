"""Ending runs after their cells have returned: the user gets the kernel back at once.

What is left of a run when its cell's code is done (draining buffered metrics, waiting for the
background capture, uploading artifacts, setting the final status) is queued here and done by one
thread, run after run in order. Anything that reads runs of this kernel (``%reproduce``,
``jupyter_exp.runs()``) calls ``wait_for_runs()`` first, and so does the interpreter on its way out.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_exp.tracking.completion import complete_journal
from jupyter_exp.tracking.journal import journal_root
from jupyter_exp.tracking.priority import hurry, lower_this_thread, pace
from jupyter_exp.tracking.probe import store_reachable
from jupyter_exp.tracking.store import client_for

if TYPE_CHECKING:
    from jupyter_exp.config import StoreLocation

log = logging.getLogger(__name__)
EXIT_TIMEOUT_S = 60.0
RETRY_DELAYS_S = (2.0, 5.0, 10.0, 30.0, 60.0)  # then every minute while the store is away


class RunFinisher:
    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._exit_hook = False
        self._retrying: set[str] = set()
        self._on_delivered: dict[str, Callable[[str], None]] = {}

    def submit(self, work: Callable[[], None]) -> None:
        with self._idle:
            self._pending += 1
            if not self._exit_hook:
                # Registered now, after MLflow's own exit hooks: atexit runs the last registered first,
                # so runs are completed while MLflow is still whole.
                atexit.register(self.wait, EXIT_TIMEOUT_S)
                self._exit_hook = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="jupyter-exp-finisher", daemon=True)
                self._thread.start()
        self._queue.put(work)

    def _run(self) -> None:
        lower_this_thread()  # runs complete beside the user's next cell: it gets the CPU first
        while True:
            work = self._queue.get()
            try:
                pace()
                work()
            except Exception as error:  # a run that cannot be ended must not stop the others
                log.debug("jupyter-exp: ending a run failed: %s", error, exc_info=True)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    @property
    def pending(self) -> int:
        return self._pending

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued run has ended; False when ``timeout`` ran out first."""
        with hurry(), self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def retry_journal_later(
        self,
        location: StoreLocation,
        journal_dir: str = "",
        on_delivered: dict[str, Callable[[str], None]] | None = None,
        at_once: bool = False,
    ) -> None:
        """Deliver this store's journal, with backoff, until the store takes all of it.

        ``on_delivered`` maps an offline run's local id to what to call with its id in the store."""
        root = journal_root(location, journal_dir)
        with self._idle:
            self._on_delivered.update(on_delivered or {})
            if str(root) in self._retrying:
                return
            self._retrying.add(str(root))
        threading.Thread(
            target=self._retry, args=(location, root, at_once), name="jupyter-exp-journal-retry", daemon=True
        ).start()

    def _retry(self, location: StoreLocation, root: Path, at_once: bool) -> None:
        attempt = 0 if not at_once else -1
        stop = threading.Event()
        try:
            while True:
                if attempt >= 0:
                    stop.wait(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
                attempt += 1
                if not store_reachable(location.tracking_uri):
                    continue
                try:
                    report = complete_journal(
                        root,
                        lambda _uri: client_for(location),
                        f"a later try of kernel process {os.getpid()}",
                        tracking_uri=location.tracking_uri,
                    )
                except Exception as error:
                    log.debug("jupyter-exp: journal delivery failed: %s", error)
                    continue
                for done in report.completed:
                    callback = self._on_delivered.pop(done.local_id or "", None)
                    if callback is not None:
                        try:
                            callback(done.run_id)
                        except Exception as error:
                            log.debug("jupyter-exp: after delivering %s: %s", done.run_id, error)
                for local_id in [k for k in self._on_delivered if not (root / k).exists()]:
                    self._on_delivered.pop(local_id, None)  # delivered by another process
                if not report.failed and not self._on_delivered:
                    return
        finally:
            with self._idle:
                self._retrying.discard(str(root))


FINISHER = RunFinisher()


def wait_for_runs(timeout: float | None = None) -> bool:
    """Wait until the runs of cells that already returned are completely recorded."""
    return FINISHER.wait(timeout)
