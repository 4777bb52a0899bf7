"""A run's params straight into a SQLite store's ``params`` table, in one transaction.

``MlflowClient.log_batch`` takes 100 params a call, and MLflow's SQL store loads every param the run
already has on each call to refuse a changed value: 10,000 params cost 100 reads growing to 9,900 rows
(quadratic; 4.4 s of 4,000 here). This reads the run's params once and inserts the new ones, with
MLflow's own validation of each name and value, MLflow's refusal of a changed value
(``INVALID_PARAMETER_VALUE``, as the store words it) and of a run that is not active. Any other store,
or a schema this does not recognise, goes through ``log_batch``.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from jupyter_exp.tracking.sqlite_store import mlflow_sqlite_database

if TYPE_CHECKING:
    from mlflow import MlflowClient

PARAM_COLUMNS = {"key", "value", "run_uuid"}
_has_params_table: dict[str, bool] = {}


def write_params(client: MlflowClient, run_id: str, params: dict[str, str]) -> bool:
    """Write ``params`` directly when the store is a SQLite MLflow store; False when it is not (the caller
    uses ``log_batch``). Raises ``MlflowException`` for what MLflow refuses, as ``log_batch`` does."""
    database = mlflow_sqlite_database(str(client.tracking_uri))
    if database is None or not params:
        return False
    try:
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
        from mlflow.utils.validation import _validate_param
    except ImportError:  # another MLflow: its own way
        return False
    checked = {key: _validate_param(key, str(value)).value for key, value in params.items()}  # raises
    connection = sqlite3.connect(str(database), timeout=30)
    try:
        if not _params_table(connection, str(database)):
            return False
        with connection:  # one transaction
            run = connection.execute(
                "SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", (run_id,)
            ).fetchone()
            if run is None or run[0] != "active":
                return False  # log_batch says why, in MLflow's words
            existing = dict(connection.execute("SELECT key, value FROM params WHERE run_uuid = ?", (run_id,)))
            changed = [
                {"key": key, "old_value": existing[key], "new_value": value}
                for key, value in checked.items()
                if key in existing and existing[key] != value
            ]
            if changed:
                raise MlflowException(
                    f"Changing param values is not allowed. Params were already logged='{changed}' for run "
                    f"ID='{run_id}'.",
                    INVALID_PARAMETER_VALUE,
                )
            connection.executemany(
                "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                [(key, value, run_id) for key, value in checked.items() if key not in existing],
            )
    finally:
        connection.close()
    return True


def _params_table(connection: sqlite3.Connection, database: str) -> bool:
    if database not in _has_params_table:
        found = {row[1] for row in connection.execute("PRAGMA table_info(params)")}
        _has_params_table[database] = found >= PARAM_COLUMNS
    return _has_params_table[database]
