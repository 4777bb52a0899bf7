"""Runs whose kernel is gone: found by heartbeat age, by a dead process on this host, or by the server's
kernel list, and ended KILLED with the reason (``jupyter_exp.end_reason``).

Runs the journal can complete are completed from it first, with their true status (``completion.py``);
what this module ends is what nothing on this machine can complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture import kernel
from jupyter_exp.tracking.completion import END_REASON_TAG
from jupyter_exp.tracking.experiments import experiments
from jupyter_exp.tracking.journal import host_name
from jupyter_exp.tracking.recorder import HEARTBEAT_INTERVAL_S, HEARTBEAT_TAG
from jupyter_exp.tracking.run_end import end_run

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

KERNEL_ID_TAG, KERNEL_HOST_TAG, KERNEL_PID_TAG = schema.KERNEL_ID, schema.KERNEL_HOST, schema.KERNEL_PID
DEFAULT_STALE_AFTER_S = 10 * HEARTBEAT_INTERVAL_S


def running_runs(client: MlflowClient) -> list[Any]:
    """RUNNING runs recorded by ``%%track`` (they carry a heartbeat) in every active experiment."""
    from mlflow.entities import ViewType

    ids = list(experiments(client))
    found: list[Any] = []
    token = None
    while ids:
        page = client.search_runs(
            ids,
            f"attributes.status = 'RUNNING' and tags.`{HEARTBEAT_TAG}` != ''",
            ViewType.ACTIVE_ONLY,
            max_results=1000,
            page_token=token,
        )
        found += page
        token = page.token
        if not token:
            break
    return found


def end_killed(client: MlflowClient, run_id: str, reason: str) -> None:
    client.set_tag(run_id, END_REASON_TAG, reason)
    end_run(client, run_id, schema.KILLED)


def heartbeat_age_s(run: Run, now: datetime) -> float | None:
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


def process_gone(run: Run) -> bool:
    """Whether the run's kernel process is known to be gone: it ran on this host and no process with its
    pid exists, or the one that does started after the run (the pid was reused)."""
    tags = run.data.tags
    if tags.get(KERNEL_HOST_TAG) != host_name() or not tags.get(KERNEL_PID_TAG):
        return False
    return kernel.process_gone(tags[KERNEL_PID_TAG], run.info.start_time)


def stale_reason(
    run: Run, now: datetime, stale_after_s: float, live: Iterable[str] = (), gone: Iterable[str] = ()
) -> str | None:
    """Why ``run`` can be ended KILLED, or None while its kernel may still be alive."""
    kernel_id = run.data.tags.get(KERNEL_ID_TAG)
    if kernel_id in set(live):
        return None
    if kernel_id in set(gone):
        return "its kernel died"
    if process_gone(run):
        return "its kernel process is gone"
    age = heartbeat_age_s(run, now)
    if age is not None and age > stale_after_s:
        return f"no heartbeat for {age:.0f} s: its kernel is gone"
    return None


def end_stale_runs(
    client: MlflowClient,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    live: Iterable[str] = (),
    gone: Iterable[str] = (),
    journaled: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """End KILLED every RUNNING run whose kernel is gone: ``[(run id, reason)]``. Runs in ``journaled``
    (``journal.journaled_run_ids``) are left alone: another process may be delivering their true status
    right now, and a KILLED written behind its FINISHED would win."""
    now = datetime.now(timezone.utc)
    live, gone, journaled = set(live), set(gone), set(journaled)
    ended = []
    for run in running_runs(client):
        if run.info.run_id in journaled:
            continue
        reason = stale_reason(run, now, stale_after_s, live, gone)
        if reason is not None:
            end_killed(client, run.info.run_id, reason)
            ended.append((run.info.run_id, reason))
    return ended
