"""Where the metric writer's batches go: MLflow's ``log_batch``, its REST endpoint, or a direct path into
a SQLite store.

``MlflowClient.log_batch`` on SQLite moves about 12,000 points/s (ORM objects, a duplicate check per
batch). For a SQLite store this writes the same rows MLflow writes, into MLflow's documented tables
(``metrics`` and ``latest_metrics``, primary keys as MLflow defines them), in one transaction per
batch: a few thousand points a statement (``executemany`` would release and take back the interpreter's
lock once a point, each time waiting for the user's loop to hand it over: the writer crawled while the
loop ran, then drained everything after it). MLflow stays the judge of what is valid: the first points
of every key go through ``log_batch`` (which validates the name and the run), and only keys MLflow
accepted take the direct path. Every other store, or a SQLite schema this does not recognise, uses
``log_batch``.

An ``mlflow server`` (``http(s)://``) gets ``RestMetricSink``: ``MlflowClient.log_batch`` spends as much of
the client's time turning ``Metric`` objects into protobuf and protobuf into JSON as it spends sending;
this posts the JSON body of the same REST call (``runs/log-batch``) straight from the points, through
MLflow's own HTTP layer (its credentials, TLS settings, retries and kept-alive connection pool), several
batches in flight at once (the writer sends them in parallel, see ``metrics.py``).
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
from collections.abc import Callable
from functools import lru_cache
from itertools import chain, compress
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_exp.tracking.metrics import Point
from jupyter_exp.tracking.sqlite_store import forget_database, mlflow_sqlite_database

if TYPE_CHECKING:
    from mlflow import MlflowClient

_MAX_FLOAT = 1.7976931348623157e308  # MLflow stores +-inf as +-max float

_INSERT = (
    "INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)"
)
ROWS_A_STATEMENT = 4096  # points one INSERT takes (4 parameters each, and the run's)
_KEY, _VALUE, _ORDER = itemgetter(0), itemgetter(1), itemgetter(3, 2, 1)  # order: (step, timestamp, value)
_UPSERT_LATEST = """
INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (key, run_uuid) DO UPDATE SET
  value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp,
                                                            latest_metrics.value)
"""


@lru_cache(maxsize=4)
def _insert_points(rows: int) -> str:
    """An INSERT of ``rows`` points: the run's id, then each point's columns in a Point's order."""
    return (
        "INSERT OR IGNORE INTO metrics (key, value, timestamp, step, run_uuid, is_nan) "
        f"SELECT column1, column2, column3, column4, ?, 0 FROM (VALUES {', '.join(['(?, ?, ?, ?)'] * rows)})"
    )


def stored_value(value: float) -> tuple[float, int]:
    """MLflow's representation: NaN as 0 with ``is_nan``; infinities as the largest float."""
    if math.isnan(value):
        return 0.0, 1
    if math.isinf(value):
        return (_MAX_FLOAT if value > 0 else -_MAX_FLOAT), 0
    return value, 0


class SqliteMetricSink:
    """Sends metric batches of one run straight into a SQLite MLflow store (see the module doc)."""

    def __init__(self, client: MlflowClient, run_id: str, database: str) -> None:
        self.client = client
        self.run_id = run_id
        self.accepted: set[str] = set()
        self.direct_points = 0
        self._database = database
        self._connection: sqlite3.Connection | None = None
        self._rows = ROWS_A_STATEMENT  # within the connection's parameter limit (_connect)
        self._lock = threading.Lock()
        self._log_batch = LogBatchSink(client, run_id)  # validates new keys; takes over if SQL fails
        self._direct = True

    batch_size = 5 * ROWS_A_STATEMENT  # points per transaction; log_batch is limited to 1,000

    def __call__(self, batch: list[Point]) -> None:
        firsts: dict[str, Point] = {}
        accepted = self.accepted
        if not accepted.issuperset(map(_KEY, batch)):  # C-level: no Python code a point
            for point in batch:
                if point[0] not in accepted and point[0] not in firsts:
                    firsts[point[0]] = point
        if firsts:  # MLflow validates each new name (and the run); it raises as log_batch does
            self._log_batch(list(firsts.values()))
            accepted.update(firsts)
        if self._direct:
            try:
                self._write(batch)  # the first points again: INSERT OR IGNORE keeps one copy
                return
            except sqlite3.OperationalError as error:
                if "locked" in str(error) or "busy" in str(error):
                    raise  # the writer retries
                forget_database(Path(self._database))  # the schema changed: MLflow's way from now on
                self._direct = False
        self._log_batch(batch)

    def _write(self, points: list[Point]) -> None:
        total = sum(map(_VALUE, points))
        if -_MAX_FLOAT <= total <= _MAX_FLOAT:  # every value finite (a NaN or inf would show): rows by zip
            self._write_finite(points)
            return
        run_id = self.run_id
        rows = []
        latest: dict[str, tuple[int, int, float, int]] = {}  # key -> (step, timestamp, value, is_nan)
        for key, value, timestamp, step in points:
            is_nan = 0
            if not -_MAX_FLOAT <= value <= _MAX_FLOAT:  # NaN or an infinity (rare): MLflow's representation
                value, is_nan = stored_value(value)
            rows.append((key, value, timestamp, run_id, step, is_nan))
            best = latest.get(key)
            if best is None or (step, timestamp, value) > best[:3]:
                latest[key] = (step, timestamp, value, is_nan)
        with self._lock:
            connection = self._connect()
            with connection:  # one transaction: both tables or neither
                connection.executemany(_INSERT, rows)
                connection.executemany(
                    _UPSERT_LATEST,
                    [(key, v, ts, step, nan, run_id) for key, (step, ts, v, nan) in latest.items()],
                )
        self.direct_points += len(rows)

    def _write_finite(self, points: list[Point]) -> None:
        """``_write`` for points whose values are all finite, with no Python code a point (the writer's
        thread then leaves the user's loop the interpreter): a statement's parameters by ``chain``, each
        key's latest point by ``max`` over that key's points."""
        run_id = self.run_id
        keys = set(map(_KEY, points))
        if len(keys) == 1:
            best = {next(iter(keys)): max(points, key=_ORDER)}
        else:
            best = {k: max(compress(points, map(k.__eq__, map(_KEY, points))), key=_ORDER) for k in keys}
        with self._lock:
            connection = self._connect()
            with connection:  # one transaction: both tables or neither
                for start in range(0, len(points), self._rows):
                    chunk = points[start : start + self._rows]
                    connection.execute(_insert_points(len(chunk)), [run_id, *chain.from_iterable(chunk)])
                connection.executemany(
                    _UPSERT_LATEST,
                    [(key, value, ts, step, 0, run_id) for key, value, ts, step in best.values()],
                )
        self.direct_points += len(points)

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = sqlite3.connect(self._database, timeout=30, check_same_thread=False)
            getlimit = getattr(self._connection, "getlimit", None)  # Python 3.11+; 999: SQLite before 3.32
            which = getattr(sqlite3, "SQLITE_LIMIT_VARIABLE_NUMBER", None)
            limit = getlimit(which) if getlimit is not None and which is not None else 999
            self._rows = max(1, min(ROWS_A_STATEMENT, (limit - 1) // 4))
        return self._connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class LogBatchSink:
    """MLflow's public path: ``log_batch`` in batches of its 1,000-metric limit."""

    batch_size = 1000

    def __init__(self, client: MlflowClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    def __call__(self, batch: list[Point]) -> None:
        from mlflow.entities import Metric

        metrics = [Metric(key, value, timestamp, step) for key, value, timestamp, step in batch]
        for start in range(0, len(metrics), self.batch_size):
            self.client.log_batch(self.run_id, metrics=metrics[start : start + self.batch_size])


LOG_BATCH_ENDPOINT = "/api/2.0/mlflow/runs/log-batch"
PARALLEL_ENV = "JUPYTER_EXP_PARALLEL_REQUESTS"
DEFAULT_PARALLEL = 4  # batches in flight to an mlflow server (its workers write them side by side)


def json_value(value: float) -> float | str:
    """A metric value as proto3 JSON has it: NaN and the infinities as strings (what MLflow sends)."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


class RestMetricSink:
    """``runs/log-batch`` of an ``mlflow server`` with the JSON built from the points (see the module doc)."""

    batch_size = 1000  # MLflow's limit of metrics per log_batch

    def __init__(self, client: MlflowClient, run_id: str, parallel: int = DEFAULT_PARALLEL) -> None:
        self.client = client
        self.run_id = run_id
        self.parallel = max(1, parallel)

    def __call__(self, batch: list[Point]) -> None:
        from mlflow.utils.credentials import get_default_host_creds
        from mlflow.utils.rest_utils import http_request, verify_rest_response

        isfinite = math.isfinite
        for start in range(0, len(batch), self.batch_size):
            metrics = [
                {
                    "key": key,
                    "value": value if isfinite(value) else json_value(value),
                    "timestamp": ts,
                    "step": step,
                }
                for key, value, ts, step in batch[start : start + self.batch_size]
            ]
            # read per request, as MlflowClient does: credentials (MLFLOW_TRACKING_USERNAME/PASSWORD/TOKEN,
            # ~/.mlflow/credentials) go into the request's headers and nowhere else
            creds = get_default_host_creds(self.client.tracking_uri)
            response = http_request(
                creds, LOG_BATCH_ENDPOINT, "POST", json={"run_id": self.run_id, "metrics": metrics}
            )
            verify_rest_response(response, LOG_BATCH_ENDPOINT)


def parallel_requests() -> int:
    try:
        return max(1, int(os.environ.get(PARALLEL_ENV, DEFAULT_PARALLEL)))
    except ValueError:
        return DEFAULT_PARALLEL


def metric_sink(client: MlflowClient, run_id: str) -> Callable[[list[Point]], None]:
    """The fastest correct way to send this run's metric batches to its store."""
    database = mlflow_sqlite_database(client.tracking_uri)
    if database is not None:
        return SqliteMetricSink(client, run_id, str(database))
    if str(client.tracking_uri).startswith(("http://", "https://")):
        return RestMetricSink(client, run_id, parallel_requests())
    return LogBatchSink(client, run_id)
