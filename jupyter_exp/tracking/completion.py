"""Completing runs from the journal: one way for the owning kernel and for whoever comes after it.

``deliver_entry`` sends what an entry holds (params, tags, metric points, artifacts) and ends the run with
the status the cell really had, item by item: something the store refuses for good (an invalid key) is
noted on the run as ``jupyter_exp.record.incomplete`` and does not block the rest; a store that cannot be
reached leaves the entry as it is, for the next try. ``complete_journal`` does that for every entry of a
journal that no live process holds, of the one store its caller resolved (every store only when asked),
and only for entries that are all the user's own (``journal_guard.py``); a store that is not there (a
local one that does not exist, an HTTP one that fails the kernel's short probe) is skipped after one look.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_exp import record_schema as schema
from jupyter_exp.config import StoreLocation
from jupyter_exp.errors import one_line
from jupyter_exp.tracking.journal import EntryMeta, JournalEntry, host_name, same_store, scan
from jupyter_exp.tracking.journal_guard import entry_refusal
from jupyter_exp.tracking.metric_sink import metric_sink
from jupyter_exp.tracking.metrics import is_refused, send_points
from jupyter_exp.tracking.probe import unavailable
from jupyter_exp.tracking.recorder import ARTIFACT_DIR, send_params, send_tags, upload_folder
from jupyter_exp.tracking.run_end import end_run
from jupyter_exp.tracking.store import experiment_id_for

if TYPE_CHECKING:
    from mlflow import MlflowClient

log = logging.getLogger(__name__)
END_REASON_TAG = schema.END_REASON
INCOMPLETE_TAG = schema.RECORD_INCOMPLETE
OFFLINE_TAG = schema.OFFLINE
OFFLINE_ID_TAG = schema.OFFLINE_ID
ORPHANED = ".orphaned"  # entries of runs no longer in their store, set aside under the journal root


@dataclass
class Delivered:
    """What completing one run sent to the store."""

    run_id: str
    status: str
    points: int = 0
    artifacts: int = 0
    params: int = 0
    refused: list[str] = field(default_factory=list)
    seconds: float = 0.0
    local_id: str | None = None  # an offline run's id until it reached the store
    kept: list[str] = field(default_factory=list)  # artifacts the store could not take: still journaled


def _send_mapping(
    send: Callable[[MlflowClient, str, dict[str, str]], None],
    client: MlflowClient,
    run_id: str,
    values: dict[str, str],
    what: str,
    refused: list[str],
) -> None:
    """Send ``values`` a batch at a time; a batch the store refuses is halved until the refused items are
    found (every item the store takes is kept): about n/100 calls, plus a few per refused item."""
    from mlflow.utils.validation import MAX_PARAMS_TAGS_PER_BATCH

    items = list(values.items())
    for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
        _send_halving(send, client, run_id, items[start : start + MAX_PARAMS_TAGS_PER_BATCH], what, refused)


def _send_halving(
    send: Callable[[MlflowClient, str, dict[str, str]], None],
    client: MlflowClient,
    run_id: str,
    items: list[tuple[str, str]],
    what: str,
    refused: list[str],
) -> None:
    try:
        send(client, run_id, dict(items))
    except Exception as error:
        if not is_refused(error):
            raise
        if len(items) == 1:
            refused.append(f"{what} {items[0][0]!r}: {one_line(error)}")
            return
        half = len(items) // 2
        _send_halving(send, client, run_id, items[:half], what, refused)
        _send_halving(send, client, run_id, items[half:], what, refused)


def deliver_spooled_points(client: MlflowClient, run_id: str, entry: JournalEntry) -> tuple[int, list[str]]:
    """Send the entry's spooled metric points; each file goes once the store has its points."""
    sink = metric_sink(client, run_id)
    sent, refused = 0, []
    try:
        for path, points in entry.spooled_points():
            taken, refused_keys = send_points(sink, points)  # a store away: raised, the file kept
            sent += taken
            refused += [f"metric {key!r}: {why}" for key, why in refused_keys]
            path.unlink(missing_ok=True)
    finally:
        close = getattr(sink, "close", None)
        if close is not None:
            close()
    return sent, refused


def deliver_entry(
    client: MlflowClient,
    entry: JournalEntry,
    completed_by: str | None = None,
    killed_reason: str = "its kernel ended while the cell was running",
) -> Delivered:
    """Send what ``entry`` (held by the caller) holds and end its run; the entry is removed after.

    ``completed_by`` names who completes a run its kernel left behind (tagged as the end reason); a run
    whose cell never returned is ended KILLED with ``killed_reason``."""
    started = time.perf_counter()
    meta = entry.meta()
    if meta.offline:
        run_id = entry.delivered_run_id() or _create_offline_run(client, entry, meta)
    else:
        run_id = meta.run_id
    run = client.get_run(run_id)  # a run missing from the store raises: the entry stays, nothing is lost
    end = entry.end()
    status = end["status"] if end else schema.KILLED
    result = Delivered(run_id, status, local_id=meta.run_id if meta.offline else None)
    params = entry.mapping("params.json")
    stored = run.data.params  # sent by the kernel already: each batch costs the store all the run's params
    unsent = {k: v for k, v in params.items() if stored.get(k) != v}
    _send_mapping(send_params, client, run_id, unsent, "param", result.refused)
    result.params = len(params)
    tags = entry.mapping("tags.json")
    noted = tags.pop(INCOMPLETE_TAG, None)  # what the kernel knew was left out (params over the cap)
    if end is None:
        tags[END_REASON_TAG] = killed_reason
    elif completed_by is not None:
        tags[END_REASON_TAG] = (
            f"its kernel ended before the run was delivered: completed from the local journal by {completed_by}"
        )
    _send_mapping(send_tags, client, run_id, tags, "tag", result.refused)
    result.points, refused_points = deliver_spooled_points(client, run_id, entry)
    result.refused += refused_points
    incomplete = ([noted] if noted else []) + result.refused
    kept_because = _deliver_artifacts(client, run_id, entry, result)
    if result.kept:
        incomplete.append(
            f"not stored: {', '.join(result.kept)} ({kept_because}); kept in the local journal until "
            "`jupyter-exp sync` delivers them"
        )
    missing = _missing_artifacts(client, run_id, meta.expected_artifacts) if completed_by else []
    if missing:
        incomplete.append("missing " + ", ".join(missing) + " (the kernel ended before they were captured)")
    if incomplete:
        send_tags(client, run_id, {INCOMPLETE_TAG: "; ".join(incomplete)[:5000]})
    elif INCOMPLETE_TAG in run.data.tags:
        client.delete_tag(run_id, INCOMPLETE_TAG)  # what an earlier try could not store is there now
    end_run(client, run_id, status, end["end_time_ms"] if end else None)
    if entry.delivered:
        entry.remove()
    result.seconds = time.perf_counter() - started
    return result


def _deliver_artifacts(client: MlflowClient, run_id: str, entry: JournalEntry, result: Delivered) -> str:
    """Upload the entry's artifacts; a local artifact store that cannot take them (a full disk, no
    permission) leaves them in the journal (``result.kept``) and its reason is returned."""
    reason = ""
    entry.take_staged()
    for folder in entry.uploads():
        names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        try:
            upload_folder(client, run_id, folder)
            result.artifacts += len(names)
        except OSError as error:
            result.kept += names
            reason = error.strerror or one_line(error)
    return reason


def _create_offline_run(client: MlflowClient, entry: JournalEntry, meta: EntryMeta) -> str:
    """Create in the store the run recorded offline (once: a run already tagged with its local id is it)."""
    location = StoreLocation(tracking_uri=meta.tracking_uri, artifact_root=None, root=Path.cwd())
    experiment_id = experiment_id_for(client, location, meta.experiment_name or "Default")
    found = client.search_runs([experiment_id], f"tags.`{OFFLINE_ID_TAG}` = '{meta.run_id}'", max_results=1)
    if found:
        run_id: str = found[0].info.run_id
    else:
        tags = {**entry.mapping("tags.json"), OFFLINE_TAG: "true", OFFLINE_ID_TAG: meta.run_id}
        run = client.create_run(experiment_id, start_time=meta.created_ms, tags=tags, run_name=meta.run_name)
        run_id = run.info.run_id
    entry.set_delivered_run_id(run_id)
    return run_id


def _missing_artifacts(client: MlflowClient, run_id: str, expected: tuple[str, ...]) -> list[str]:
    present = {Path(info.path).name for info in client.list_artifacts(run_id, ARTIFACT_DIR)}
    return [name for name in expected if name not in present]


@dataclass
class JournalReport:
    """What one pass over a journal did."""

    completed: list[Delivered] = field(default_factory=list)
    held: int = 0  # entries a live process still owns
    failed: list[tuple[str, str]] = field(default_factory=list)  # run id, why the store refused
    orphaned: list[tuple[str, str]] = field(default_factory=list)  # run id, where its entry was set aside
    refused: list[tuple[str, str]] = field(default_factory=list)  # entry folder, why it is not trusted

    @property
    def left(self) -> int:
        return self.held + len(self.failed) + len(self.refused)

    def add(self, other: JournalReport) -> None:
        self.completed += other.completed
        self.held += other.held
        self.failed += other.failed
        self.orphaned += other.orphaned
        self.refused += other.refused


def _memo(check: Callable[[str], str | None]) -> Callable[[str], str | None]:
    seen: dict[str, str | None] = {}

    def memo(uri: str) -> str | None:
        if uri not in seen:
            seen[uri] = check(uri)
        return seen[uri]

    return memo


def complete_journal(
    root: Path,
    client_for_uri: Callable[[str], MlflowClient],
    completed_by: str,
    tracking_uri: str | None,
    kernel_id: str | None = None,
    on_entry: Callable[[JournalEntry], None] | None = None,
    killed_reason: str = "its kernel ended while the cell was running",
    store_unavailable: Callable[[str], str | None] | None = None,
) -> JournalReport:
    """Complete every entry under ``root`` that no live process holds, of the store ``tracking_uri`` (of
    every store when None: only ``jupyter-exp sync --all``) and of ``kernel_id`` when given; ``on_entry``
    is called after each of them. A store is first checked with ``store_unavailable`` (``probe.unavailable``,
    once per store in this call). Safe to run in several processes at once: an entry is completed by
    whoever holds it."""
    report = JournalReport()
    found = scan(root)
    report.refused += [(str(path), why) for path, why in found.refused]
    check = _memo(store_unavailable or unavailable)
    for entry in found.trusted:
        try:
            meta = entry.meta()
        except (OSError, ValueError, TypeError) as error:
            if entry.exists:  # else completed meanwhile by another process
                report.failed.append((entry.path.name, f"unreadable journal entry: {one_line(error)}"))
            continue
        if (tracking_uri is not None and not same_store(meta.tracking_uri, tracking_uri)) or (
            kernel_id and meta.kernel_id != kernel_id
        ):
            continue
        try:
            _complete_one(entry, meta, client_for_uri, completed_by, killed_reason, check, report)
        finally:
            if on_entry is not None:
                on_entry(entry)
    return report


def _complete_one(
    entry: JournalEntry,
    meta: EntryMeta,
    client_for_uri: Callable[[str], MlflowClient],
    completed_by: str,
    killed_reason: str,
    store_unavailable: Callable[[str], str | None],
    report: JournalReport,
) -> None:
    why = store_unavailable(meta.tracking_uri)
    if why is not None:
        report.failed.append((meta.run_id, why))
        return
    if not entry.hold():
        report.held += 1
        return
    try:
        if not entry.exists:  # completed meanwhile by another process
            return
        why = entry_refusal(entry.path)  # again, now that it is held
        if why is not None:
            report.refused.append((str(entry.path), why))
            return
        mine = meta.pid == os.getpid() and meta.host == host_name()  # a retry of this very process
        try:
            client = client_for_uri(meta.tracking_uri)
            report.completed.append(
                deliver_entry(client, entry, None if mine else completed_by, killed_reason)
            )
        except Exception as error:
            if getattr(error, "error_code", None) == "RESOURCE_DOES_NOT_EXIST" and not meta.offline:
                kept = entry.set_aside(ORPHANED)  # the run was deleted from the store: keep, say once
                report.orphaned.append((meta.run_id, str(kept)))
            else:
                report.failed.append((meta.run_id, one_line(error)))
    finally:
        entry.release()
