"""At ``%load_ext``: complete what earlier kernels on this machine left behind, off the user's path.

Only a look at the journal folder and, for a SQLite store, one read-only query happen on the calling
thread (no MLflow import); MLflow is imported on a background thread when there is something to do.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from .. import record_schema as schema
from ..config import JupyterExp, StoreLocation, resolve_store
from .journal import entries, host_name, journal_root
from .store import sqlite_path

log = logging.getLogger(__name__)

_RUNNING_HERE = f"""
SELECT r.run_uuid, r.start_time, p.value FROM runs r
JOIN tags h ON h.run_uuid = r.run_uuid AND h.key = '{schema.KERNEL_HOST}'
JOIN tags p ON p.run_uuid = r.run_uuid AND p.key = '{schema.KERNEL_PID}'
WHERE r.status = 'RUNNING' AND r.lifecycle_stage = 'active' AND h.value = ?
"""


def dead_runs_here(database: Path) -> list[str]:
    """RUNNING runs of kernels of this host whose process is gone (read straight from a SQLite store)."""
    import psutil

    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        try:
            rows = connection.execute(_RUNNING_HERE, (host_name(),)).fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return []
    dead = []
    for run_id, start_time, pid in rows:
        try:
            if psutil.Process(int(pid)).create_time() * 1000 > start_time + 1000:
                dead.append(run_id)  # the pid was reused by a later process
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            dead.append(run_id)
        except (psutil.Error, ValueError):
            pass
    return dead


def recover_in_background(settings: JupyterExp) -> threading.Thread | None:
    """Start completing this store's journal and ending its dead runs, when there is any of that."""
    try:
        location = resolve_store(settings)
        root = journal_root(location, settings.journal_dir)
        database = sqlite_path(location.tracking_uri)
        pending = bool(entries(root)) or (
            database is not None and database.exists() and bool(dead_runs_here(database))
        )
    except Exception as error:  # never in the way of loading the extension
        log.debug("jupyter-exp: journal check failed: %s", error)
        return None
    if not pending:
        return None
    thread = threading.Thread(
        target=_recover, args=(location, root), name="jupyter-exp-recovery", daemon=True
    )
    thread.start()
    return thread


def _recover(location: StoreLocation, root: Path) -> None:
    import os

    from .completion import complete_journal
    from .stale import end_stale_runs
    from .store import client_for

    try:
        client = client_for(location)
        by = f"the next kernel on this machine (pid {os.getpid()})"
        complete_journal(root, lambda _uri: client, by, location.tracking_uri)
        end_stale_runs(client)
    except Exception as error:  # the store may be away: sync or the next kernel tries again
        log.debug("jupyter-exp: completing runs left behind failed: %s", error)
