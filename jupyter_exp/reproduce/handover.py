"""The reproduced run, delivered by the replay's driver rather than by the replay kernel.

A replay kernel started on this machine (``LocalKernelLauncher.shares_journal``) creates the reproduced run
straight in a SQLite store and only journals the rest of it (``TrackOptions.journal_only``): delivering it
would cost the fresh kernel MLflow's import (seconds), while the driver has MLflow imported and the store
open. ``inkernel.settle`` prints the journal entries it handed over; each is delivered here as the kernel
would have delivered it (``completion.deliver_entry``), once it is known to be that kernel's: a folder of
the user's own plain files (``journal_guard``) of this store, written by the replay kernel on this host.
Anything else is left where it is, for ``jupyter-exp sync``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_exp.tracking.completion import deliver_entry
from jupyter_exp.tracking.journal import JournalEntry, host_name, same_store
from jupyter_exp.tracking.journal_guard import entry_refusal, folder_refusal

if TYPE_CHECKING:
    from mlflow import MlflowClient

log = logging.getLogger(__name__)


def handed_over(settled: str) -> list[Path]:
    """The entry folders ``inkernel.settle`` printed (its line among whatever else the kernel printed);
    none for any other answer."""
    for line in reversed(settled.splitlines()):
        try:
            document = json.loads(line)
        except ValueError:
            continue
        paths = document.get("handed_over") if isinstance(document, dict) else None
        if isinstance(paths, list):
            return [Path(p) for p in paths if isinstance(p, str)]
    return []


def refusal(path: Path, kernel_id: str | None, tracking_uri: str) -> str | None:
    """Why the driver must not deliver the entry ``path``, or None when it is the replay kernel's own."""
    why = folder_refusal(path.parent) or entry_refusal(path)
    if why is not None:
        return why
    try:
        meta = JournalEntry(path).meta()
    except (OSError, ValueError, TypeError) as error:
        return f"unreadable journal entry: {error}"
    if kernel_id is None or meta.kernel_id != kernel_id or meta.host != host_name():
        return "not an entry of the replay kernel"
    if not same_store(meta.tracking_uri, tracking_uri):
        return "an entry of another store"
    return None


def deliver_handed_over(
    client: MlflowClient, paths: list[Path], kernel_id: str | None, tracking_uri: str
) -> list[str]:
    """Deliver the entries the replay kernel handed over; the run ids delivered. An entry refused or held
    is left in the journal; a store that fails raises, the entry kept for a later try."""
    delivered = []
    for path in paths:
        why = refusal(path, kernel_id, tracking_uri)
        entry = JournalEntry(path)
        if why is not None or not entry.hold():
            log.debug(
                "jupyter-exp: the replayed run's entry %s is left in the journal: %s", path, why or "held"
            )
            continue
        try:
            delivered.append(deliver_entry(client, entry).run_id)
        finally:
            entry.release()
    return delivered
