"""Runs of dead kernels end KILLED instead of staying RUNNING forever.

Three ways a run's kernel goes away, three ways to notice:
- the server shuts a kernel down or restarts it (by hand, or after a crash): jupyter_server's
  kernel-action events, acted on at once;
- a kernel of this server vanishes otherwise: the periodic sweep sees its id gone;
- a kernel this server never knew (nbclient, another server, a machine that crashed) stops beating:
  the sweep ends runs whose ``jupyter_exp.heartbeat`` is older than ``stale_after_s``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import RunStatus, ViewType
from tornado.ioloop import PeriodicCallback

from ..listing import experiments
from ..tracking.recorder import HEARTBEAT_TAG

KERNEL_ACTIONS = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
KERNEL_ID_TAG = "jupyter_exp.kernel.id"
END_REASON_TAG = "jupyter_exp.end_reason"
_REASONS = {"shutdown": "its kernel was shut down", "restart": "its kernel was restarted"}


def running_runs(client: MlflowClient) -> list[Any]:
    """RUNNING runs recorded by ``%%track`` in every active experiment."""
    ids = list(experiments(client))
    found: list[Any] = []
    token = None
    while ids:
        page = client.search_runs(
            ids,
            f"attributes.status = 'RUNNING' and tags.`{KERNEL_ID_TAG}` != ''",
            ViewType.ACTIVE_ONLY,
            max_results=1000,
            page_token=token,
        )
        found += page
        token = page.token
        if not token:
            break
    return found


def end_killed(client: MlflowClient, run: Any, reason: str) -> None:
    client.set_tag(run.info.run_id, END_REASON_TAG, reason)
    client.set_terminated(run.info.run_id, RunStatus.to_string(RunStatus.KILLED))


def heartbeat_age_s(run: Any, now: datetime) -> float | None:
    stamp = run.data.tags.get(HEARTBEAT_TAG)
    try:
        beat = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        beat = None
    if beat is None:
        return None
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=timezone.utc)
    return (now - beat).total_seconds()


def kill_runs_of_kernel(
    client: MlflowClient, kernel_id: str, reason: str, started_before_ms: int
) -> list[str]:
    """End KILLED the RUNNING runs of ``kernel_id`` that started before the kernel went away."""
    killed = []
    for run in running_runs(client):
        if run.data.tags.get(KERNEL_ID_TAG) == kernel_id and run.info.start_time <= started_before_ms:
            end_killed(client, run, reason)
            killed.append(run.info.run_id)
    return killed


def sweep(client: MlflowClient, live: set[str], gone: set[str], stale_after_s: float) -> list[str]:
    """End KILLED the RUNNING runs whose kernel is gone from this server or has stopped beating."""
    now = datetime.now(timezone.utc)
    killed = []
    for run in running_runs(client):
        kernel_id = run.data.tags.get(KERNEL_ID_TAG)
        if kernel_id in live:
            continue
        if kernel_id in gone:
            end_killed(client, run, "its kernel died")
        else:
            age = heartbeat_age_s(run, now)
            if age is None or age <= stale_after_s:
                continue
            end_killed(client, run, f"no heartbeat for {age:.0f} s: its kernel is gone")
        killed.append(run.info.run_id)
    return killed


class KernelReaper:
    """Watches the server's kernels and ends their runs KILLED when they go away."""

    def __init__(
        self,
        kernel_manager: Any,
        client: Callable[[], MlflowClient],
        interval_s: float = 10.0,
        stale_after_s: float = 300.0,
        log: logging.Logger | None = None,
    ) -> None:
        self.kernel_manager = kernel_manager
        self.client = client
        self.interval_s = interval_s
        self.stale_after_s = stale_after_s
        self.log = log or logging.getLogger(__name__)
        self._known: set[str] = set()
        self._periodic: PeriodicCallback | None = None

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

    async def _on_kernel_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """A jupyter_events listener (called with these keyword names)."""
        reason = _REASONS.get(data.get("action", ""))
        kernel_id = data.get("kernel_id")
        if reason is None or not kernel_id or data.get("status") != "success":
            return
        now_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
        try:
            killed = await asyncio.to_thread(kill_runs_of_kernel, self.client(), kernel_id, reason, now_ms)
        except Exception as error:  # the store may be unreachable: the next sweep tries again
            self.log.warning("jupyter-exp: could not end the runs of kernel %s: %s", kernel_id, error)
            return
        if killed:
            self.log.info("jupyter-exp: %s: runs %s ended KILLED", reason, ", ".join(killed))

    async def sweep_once(self) -> list[str]:
        live = set(self.kernel_manager.list_kernel_ids())
        gone = self._known - live
        self._known = live
        killed = await asyncio.to_thread(sweep, self.client(), live, gone, self.stale_after_s)
        if killed:
            self.log.info("jupyter-exp: runs of dead kernels ended KILLED: %s", ", ".join(killed))
        return killed

    async def _sweep_logged(self) -> None:
        try:
            await self.sweep_once()
        except Exception as error:  # the store may be unreachable for a while
            self.log.warning("jupyter-exp: kernel sweep failed: %s", error)
