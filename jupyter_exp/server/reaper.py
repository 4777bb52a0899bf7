"""Runs of dead kernels are completed from the journal, else ended KILLED, instead of staying RUNNING.

Three ways a run's kernel goes away, three ways to notice:
- the server shuts a kernel down or restarts it (by hand, or after a crash): jupyter_server's
  kernel-action events, acted on at once;
- a kernel of this server vanishes otherwise: the periodic sweep sees its id gone;
- a kernel this server never knew (nbclient, papermill, another server, a machine that crashed): its
  process is gone from this host, or it stopped beating for ``stale_after_s``.
Each time the journal comes first: a run whose cell had returned gets its true status from it, by the
journal's rules (``completion.complete_journal``: entries of this store only, all the user's own). A store
that fails the kernel's short probe is not asked anything until the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tornado.ioloop import PeriodicCallback

from jupyter_exp.tracking.completion import END_REASON_TAG, complete_journal
from jupyter_exp.tracking.journal import journaled_run_ids
from jupyter_exp.tracking.probe import unavailable
from jupyter_exp.tracking.stale import KERNEL_ID_TAG, end_killed, end_stale_runs, running_runs
from jupyter_exp.tracking.store import StoreError

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = ["END_REASON_TAG", "KernelReaper", "kill_runs_of_kernel", "sweep"]
KERNEL_ACTIONS = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
_REASONS = {"shutdown": "its kernel was shut down", "restart": "its kernel was restarted"}
COMPLETED_BY = "the Jupyter server"
_log = logging.getLogger(__name__)
_told: set[str] = set()  # refused journal entries already logged by this server


def _usable(client: MlflowClient) -> None:
    """Raise ``StoreError`` at once when the store does not answer the probe (or is not there)."""
    why = unavailable(client.tracking_uri)
    if why is not None:
        raise StoreError(why)


def _tell_refused(refused: list[tuple[str, str]]) -> None:
    for path, why in refused:
        if path not in _told:
            _told.add(path)
            _log.warning("jupyter-exp: journal entry %s left alone: %s", path, why)


def kill_runs_of_kernel(
    client: MlflowClient, kernel_id: str, reason: str, started_before_ms: int, journal: Path | None = None
) -> list[str]:
    """Complete the runs of ``kernel_id`` from the journal, and end the rest that started before the
    kernel went away KILLED."""
    _usable(client)
    ended = []
    if journal is not None:
        report = complete_journal(
            journal, lambda _uri: client, COMPLETED_BY, client.tracking_uri, kernel_id, killed_reason=reason
        )
        ended += [done.run_id for done in report.completed]
        _tell_refused(report.refused)
    for run in running_runs(client):
        if run.data.tags.get(KERNEL_ID_TAG) == kernel_id and run.info.start_time <= started_before_ms:
            end_killed(client, run.info.run_id, reason)
            ended.append(run.info.run_id)
    return ended


def sweep(
    client: MlflowClient, live: set[str], gone: set[str], stale_after_s: float, journal: Path | None = None
) -> list[str]:
    """Complete what the journal holds, then end KILLED the RUNNING runs whose kernel is gone."""
    _usable(client)
    ended = []
    if journal is not None:
        report = complete_journal(journal, lambda _uri: client, COMPLETED_BY, client.tracking_uri)
        ended += [done.run_id for done in report.completed]
        _tell_refused(report.refused)
    journaled = journaled_run_ids([journal]) if journal is not None else set()
    ended += [run_id for run_id, _ in end_stale_runs(client, stale_after_s, live, gone, journaled)]
    return ended


class KernelReaper:
    """Watches the server's kernels and ends their runs when they go away."""

    def __init__(
        self,
        kernel_manager: Any,
        client: Callable[[], MlflowClient],
        interval_s: float = 10.0,
        stale_after_s: float = 300.0,
        log: logging.Logger | None = None,
        journal: Callable[[], Path | None] | None = None,
    ) -> None:
        self.kernel_manager = kernel_manager
        self.client = client
        self.journal: Callable[[], Path | None] = journal or (lambda: None)
        self.interval_s = interval_s
        self.stale_after_s = stale_after_s
        self.log = log or logging.getLogger(__name__)
        self._known: set[str] = set()
        self._periodic: PeriodicCallback | None = None
        self._acting: set[asyncio.Task[Any]] = set()  # kernel actions being handled

    def start(self, event_logger: Any | None = None) -> None:
        """Listen to kernel actions and sweep every ``interval_s`` on the server's loop (once it runs)."""
        if event_logger is not None:
            event_logger.add_listener(schema_id=KERNEL_ACTIONS, listener=self._on_kernel_action)
        if self.interval_s > 0:
            self._periodic = PeriodicCallback(self._sweep_logged, self.interval_s * 1000)
            self._periodic.start()

    def stop(self) -> None:
        if self._periodic is not None:
            self._periodic.stop()
            self._periodic = None

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Let the kernel actions being handled finish (the server is stopping): none is cut off mid-way."""
        if self._acting:
            await asyncio.wait(set(self._acting), timeout=timeout_s)

    async def _on_kernel_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """A jupyter_events listener (called with these keyword names)."""
        reason = _REASONS.get(data.get("action", ""))
        kernel_id = data.get("kernel_id")
        if reason is None or not kernel_id or data.get("status") != "success":
            return
        now_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
        task = asyncio.current_task()
        if task is not None:
            self._acting.add(task)
            task.add_done_callback(self._acting.discard)
        try:
            ended = await asyncio.to_thread(
                lambda: kill_runs_of_kernel(self.client(), kernel_id, reason, now_ms, self.journal())
            )
        except Exception as error:  # the store may be unreachable: the next sweep tries again
            self.log.warning("jupyter-exp: could not end the runs of kernel %s: %s", kernel_id, error)
            return
        if ended:
            self.log.info("jupyter-exp: %s: runs %s ended", reason, ", ".join(ended))

    async def sweep_once(self) -> list[str]:
        live = set(self.kernel_manager.list_kernel_ids())
        gone = self._known - live
        self._known = live
        ended = await asyncio.to_thread(  # the client too: opening a store may take a while
            lambda: sweep(self.client(), live, gone, self.stale_after_s, self.journal())
        )
        if ended:
            self.log.info("jupyter-exp: runs of dead kernels ended: %s", ", ".join(ended))
        return ended

    async def _sweep_logged(self) -> None:
        try:
            await self.sweep_once()
        except Exception as error:  # the store may be unreachable for a while
            self.log.warning("jupyter-exp: kernel sweep failed: %s", error)
