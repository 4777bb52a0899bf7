"""At ``%load_ext``: complete what earlier kernels on this machine left behind, off the user's path.

Only a look at the journal folder and, for a SQLite store, one read-only query happen in the kernel (no
MLflow import); when there is something to do, a ``jupyter-exp sync`` process does it, for this kernel's
store only and by the journal's rules (``completion.complete_journal``). Entries of other stores, and
entries that are not all the user's own, start nothing.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.kernel import process_gone
from jupyter_exp.config import JupyterExp, resolve_store, sqlite_path
from jupyter_exp.tracking.journal import JournalEntry, entries, host_name, journal_root, same_store

log = logging.getLogger(__name__)

_RUNNING_HERE = f"""
SELECT r.run_uuid, r.start_time, p.value FROM runs r
JOIN tags h ON h.run_uuid = r.run_uuid AND h.key = '{schema.KERNEL_HOST}'
JOIN tags p ON p.run_uuid = r.run_uuid AND p.key = '{schema.KERNEL_PID}'
WHERE r.status = 'RUNNING' AND r.lifecycle_stage = 'active' AND h.value = ?
"""


def dead_runs_here(database: Path) -> list[str]:
    """RUNNING runs of kernels of this host whose process is gone (read straight from a SQLite store)."""

    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        try:
            rows = connection.execute(_RUNNING_HERE, (host_name(),)).fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return []
    return [run_id for run_id, start_time, pid in rows if process_gone(pid, start_time)]


def _of_store(entry: JournalEntry, tracking_uri: str) -> bool:
    try:
        return same_store(entry.meta().tracking_uri, tracking_uri)
    except (OSError, ValueError, TypeError):
        return False


PENDING_CHECKPOINTS = ".checkpoints"  # checkpoints a kernel journaled and has not delivered (models/)


def recover_in_background(settings: JupyterExp) -> subprocess.Popen[bytes] | None:
    """Start completing this store's journal and ending its dead runs, when there is any of that.

    The work runs in a ``jupyter-exp sync`` process of its own: importing MLflow on a thread of the
    kernel while the user's first cell imports it too can fail (circular imports across threads)."""
    try:
        location = resolve_store(settings)
        root = journal_root(location, settings.journal_dir)
        database = sqlite_path(location.tracking_uri)
        pending = (
            any(_of_store(entry, location.tracking_uri) for entry in entries(root))
            or (database is not None and database.exists() and bool(dead_runs_here(database)))
            or any((root / PENDING_CHECKPOINTS).glob("*/pending.json"))
        )  # models/recovery.py delivers them
        if not pending:
            return None
        command = [sys.executable, "-m", "jupyter_exp.cli", "sync", "--root", str(location.root)]
        if not location.is_default_sqlite:  # a configured store (the environment's is inherited anyway)
            command += ["--tracking-uri", location.tracking_uri]
        if settings.journal_dir:
            command += ["--journal", str(root)]
        command += ["--completed-by", f"the next kernel on this machine (pid {os.getpid()})"]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except Exception as error:  # never in the way of loading the extension
        log.debug("jupyter-exp: completing runs left behind failed to start: %s", error)
        return None
    threading.Thread(target=process.wait, name="jupyter-exp-recovery", daemon=True).start()  # no zombie
    return process
