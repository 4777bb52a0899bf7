"""Direct reads and writes of a SQLite MLflow store, for what MLflow's ORM makes slow.

Only MLflow's documented tables and columns are touched (``metrics``, ``latest_metrics``, as its migrations
define them), and only after checking they are there: any other store, or a schema this does not recognise,
gets ``None`` here and its caller uses ``MlflowClient``.
"""

from __future__ import annotations

import contextlib
import gc
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_exp.config import sqlite_path

REQUIRED_COLUMNS = {
    "metrics": {"key", "value", "timestamp", "run_uuid", "step", "is_nan"},
    "latest_metrics": {"key", "value", "timestamp", "step", "is_nan", "run_uuid"},
}


def has_mlflow_tables(connection: sqlite3.Connection) -> bool:
    for table, needed in REQUIRED_COLUMNS.items():
        found = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if not found >= needed:
            return False
    return True


_checked: dict[tuple[str, int, int], bool] = {}  # (path, device, inode) -> has MLflow's tables


def mlflow_sqlite_database(tracking_uri: str) -> Path | None:
    """The database file of a SQLite MLflow store with the expected tables, else ``None``.

    The schema check is remembered per database file (a replaced file is checked again)."""
    database = sqlite_path(tracking_uri)
    if database is None:
        return None
    try:
        stat = database.stat()
    except OSError:
        return None
    key = (str(database), stat.st_dev, stat.st_ino)
    if key not in _checked:
        try:
            connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
            try:
                _checked[key] = has_mlflow_tables(connection)
            finally:
                connection.close()
        except sqlite3.Error:
            return None
    return database if _checked[key] else None


def forget_database(database: Path) -> None:
    """A direct read or write failed: check the schema again next time (it may have been migrated)."""
    for key in [k for k in _checked if k[0] == str(database)]:
        del _checked[key]


def read_metric_history(
    database: Path, run_id: str, key: str
) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """Steps and values of one metric in step order (ties as stored), ``None`` where MLflow stored ``is_nan``."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        with collection_paused():
            rows = connection.execute(
                # the (run_uuid, key, step) index gives the step order (sorting ties costs more than the read)
                "SELECT step, CASE WHEN is_nan THEN NULL ELSE value END FROM metrics "
                "WHERE run_uuid = ? AND key = ? ORDER BY step",
                (run_id, key),
            ).fetchall()
            steps, values = zip(*rows, strict=True) if rows else ((), ())
            del rows  # freed before the collector could see (and promote) a tuple per row
    finally:
        connection.close()
    return steps, values


def read_timed_history(database: Path, run_id: str, key: str) -> list[tuple[int, int, float]]:
    """(step, timestamp, value) of one metric's finite points in step, then time, order (a run's charts)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        with collection_paused():
            return connection.execute(
                "SELECT step, timestamp, value FROM metrics WHERE run_uuid = ? AND key = ? AND NOT is_nan "
                "AND value IS NOT NULL ORDER BY step, timestamp",
                (run_id, key),
            ).fetchall()
    finally:
        connection.close()


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector off while rows are read: every row is a new tuple, and in a process
    holding MLflow a long read otherwise triggers full collections that cost more than the read itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


RUN_TABLE_COLUMNS = {
    "runs": {
        "run_uuid",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
        "lifecycle_stage",
    },
    "experiments": {"experiment_id", "lifecycle_stage"},
    "params": {"key", "value", "run_uuid"},
    "tags": {"key", "value", "run_uuid"},
}


def read_runs_frame(database: Path, experiment_ids: list[str] | None = None) -> Any | None:
    """Active runs of active experiments as ``mlflow.search_runs`` shapes them (newest first), read with
    four plain queries; ``None`` when the schema is not the one expected."""
    import pandas as pd

    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        for table, needed in RUN_TABLE_COLUMNS.items():
            if not {row[1] for row in connection.execute(f"PRAGMA table_info({table})")} >= needed:
                return None
        scope = "r.lifecycle_stage = 'active' AND e.lifecycle_stage = 'active'"
        arguments: list[Any] = []
        if experiment_ids is not None:
            scope += f" AND r.experiment_id IN ({', '.join('?' * len(experiment_ids))})"
            arguments = [int(i) for i in experiment_ids]
        joined = f"FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id WHERE {scope}"
        frame = pd.read_sql_query(
            "SELECT r.run_uuid AS run_id, CAST(r.experiment_id AS TEXT) AS experiment_id, r.status, "
            f"r.artifact_uri, r.start_time, r.end_time {joined} ORDER BY r.start_time DESC, r.run_uuid",
            connection,
            params=arguments,
        )
        for column in ("start_time", "end_time"):
            frame[column] = pd.to_datetime(frame[column], unit="ms", utc=True)
        wide_parts = []
        for table, prefix in (("latest_metrics", "metrics."), ("params", "params."), ("tags", "tags.")):
            value = (
                "CASE WHEN t.is_nan THEN NULL ELSE t.value END" if table == "latest_metrics" else "t.value"
            )
            long = pd.read_sql_query(
                f"SELECT t.run_uuid AS run_id, t.key, {value} AS value FROM {table} t "
                f"JOIN runs r ON r.run_uuid = t.run_uuid JOIN experiments e ON e.experiment_id = r.experiment_id "
                f"WHERE {scope}",
                connection,
                params=arguments,
            )
            if long.empty:
                continue
            wide = long.pivot(index="run_id", columns="key", values="value")
            wide.columns = [prefix + str(key) for key in wide.columns]
            if table == "latest_metrics":
                wide = wide.astype("float64")
            wide_parts.append(wide)
    finally:
        connection.close()
    for wide in wide_parts:
        frame = frame.join(wide, on="run_id")
    return frame
