"""The study's parent run in the local journal, as a tracked cell's run is (``tracking/journal.py``).

The sweep's kernel holds the parent's entry while the sweep runs; the standings it writes to the parent are
merged into the entry too, and its end (status and time) is written there before it is delivered. A kernel
killed mid-sweep leaves the entry unheld: whoever completes the journal next (``%load_ext`` in a new kernel,
``jupyter-exp sync``, the server's reaper) ends the parent KILLED with the journal's end reason and its last
standings, as it ends the trial that was running. A sweep resumed meanwhile waits for that delivery (or
takes the entry over) before its parent is RUNNING again, so that a late KILLED never lands behind it.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_exp import record_schema as schema
from jupyter_exp.capture import kernel
from jupyter_exp.tracking.completion import deliver_entry
from jupyter_exp.tracking.journal import END, EntryMeta, JournalEntry, host_name, strip_credentials
from jupyter_exp.tracking.recorder import now_ms

if TYPE_CHECKING:
    from mlflow import MlflowClient

TAGS = "tags.json"
TAKE_OVER_S = 60.0  # how long a resumed sweep waits for another process delivering its parent's old entry


def hold_parent(
    root: Path, run_id: str, experiment_id: str, run_name: str, tracking_uri: str
) -> JournalEntry | None:
    """A held journal entry for the parent ``run_id`` (an entry a dead kernel left is taken over once no
    process holds it); None when another process keeps holding it (the parent is then not journaled)."""
    meta = EntryMeta(
        run_id=run_id,
        tracking_uri=strip_credentials(tracking_uri),
        experiment_id=experiment_id,
        host=host_name(),
        pid=os.getpid(),
        kernel_id=kernel.identity()[schema.KERNEL_ID],
        created_ms=now_ms(),
        run_name=run_name,
    )
    deadline = time.monotonic() + TAKE_OVER_S
    waiting = threading.Event()
    while True:
        try:
            entry = JournalEntry.create(root, meta)
        except RuntimeError:  # held: a sync delivering what a dead kernel left
            if time.monotonic() > deadline:
                return None
            waiting.wait(0.1)
            continue
        (entry.path / END).unlink(missing_ok=True)  # an earlier end never delivered: this one is running
        return entry


def note(entry: JournalEntry | None, tags: dict[str, str]) -> None:
    """Tags written to the parent, kept in its entry too (delivered with its end if the store missed them)."""
    if entry is not None:
        try:
            entry.merge(TAGS, tags)
        except OSError:
            pass


def end_parent(client: MlflowClient, entry: JournalEntry | None, run_id: str, status: str) -> None:
    """The parent's true end: written to its entry, then delivered (a store that fails leaves the entry to
    the next completion of the journal)."""
    if entry is None:
        client.set_terminated(run_id, status)
        return
    entry.write_end(status, now_ms())
    try:
        deliver_entry(client, entry)
    except Exception:  # the store is away: the entry, unheld, is the next completion's
        pass
    finally:
        entry.release()
