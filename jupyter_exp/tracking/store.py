"""Opening the MLflow store safely: created once under a file lock, with clear errors.

MLflow runs its schema migrations when a process first opens an empty SQLite file; several
processes doing that at once (the server extension and a few kernels) race and can leave the
file broken for good. Creating it under a lock next to the database removes the race.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..config import StoreLocation

if TYPE_CHECKING:
    from mlflow import MlflowClient

LOCK_TIMEOUT_S = 300.0
_opened: set[str] = set()
_opened_lock = threading.Lock()


class StoreError(RuntimeError):
    """The tracking store cannot be used (unwritable, corrupt, unreachable)."""


def sqlite_path(uri: str) -> Path | None:
    if not uri.startswith("sqlite:"):
        return None
    path = urlsplit(uri).path
    if uri.startswith("sqlite:////"):
        path = "/" + path.lstrip("/")
    elif path.startswith("/"):
        path = path[1:]
    return Path(path) if path and path != ":memory:" else None


def _short_reason(error: BaseException) -> str:
    """The most specific one-line reason in an exception chain (SQLAlchemy's message is noisy)."""
    while error.__cause__ is not None or getattr(error, "orig", None) is not None:
        error = getattr(error, "orig", None) or error.__cause__  # type: ignore[assignment]
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def ensure_store(location: StoreLocation) -> None:
    """Create or check the store once per process; raises StoreError with one clear line."""
    uri = location.tracking_uri
    with _opened_lock:
        if uri in _opened:
            return
        db_path = sqlite_path(uri)
        try:
            if db_path is not None:
                _create_sqlite_store(uri, db_path, location.artifact_root)
            else:
                from mlflow import MlflowClient

                MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
        except StoreError:
            raise
        except Exception as error:
            raise StoreError(f"Cannot use the MLflow store {uri}: {_short_reason(error)}") from None
        _opened.add(uri)


def _create_sqlite_store(uri: str, db_path: Path, artifact_root: str | None) -> None:
    from filelock import FileLock, Timeout

    folder = db_path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"Cannot create the folder of the MLflow store {db_path}: {error.strerror}"
        ) from None
    if db_path.exists() and db_path.stat().st_size > 0:
        with open(db_path, "rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise StoreError(f"The MLflow store {db_path} is not an SQLite database (corrupt file?)")
        if _has_mlflow_schema(db_path):
            return  # created before: MlflowClient checks its schema version itself (no second engine)
    lock = FileLock(str(db_path) + ".lock", timeout=LOCK_TIMEOUT_S)
    try:
        with lock, _quiet_migrations():
            from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

            store = SqlAlchemyStore(uri, artifact_root or str(folder / "mlartifacts"))
            store.engine.dispose()
    except Timeout:
        raise StoreError(f"Timed out waiting for the lock on the MLflow store {db_path}") from None
    except PermissionError:
        raise StoreError(f"The MLflow store {db_path} is not writable (permission denied)") from None


def _has_mlflow_schema(db_path: Path) -> bool:
    """Whether MLflow has created its tables in this database (its migrations table is there)."""
    import sqlite3

    try:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            found = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            return (
                found is not None
                and connection.execute("SELECT count(*) FROM alembic_version").fetchone()[0] > 0
            )
        finally:
            connection.close()
    except sqlite3.Error:
        return False


@contextmanager
def _quiet_migrations() -> Iterator[None]:
    """MLflow and alembic announce every schema migration at INFO; the user needs none of that."""
    loggers = [logging.getLogger(name) for name in ("mlflow.store.db.utils", "alembic")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def client_for(location: StoreLocation) -> MlflowClient:
    ensure_store(location)
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=location.tracking_uri)


_known_experiments: dict[tuple[str, str], str] = {}  # (tracking URI, name) -> id, for this process


def forget_experiment(location: StoreLocation, name: str) -> None:
    """Drop a remembered experiment id (it was deleted or the store was replaced)."""
    _known_experiments.pop((location.tracking_uri, name), None)


def remembered_experiment_id(client: MlflowClient, location: StoreLocation, name: str) -> str:
    """``experiment_id_for``, remembered for the process: a tracked cell pays no lookup after the first
    (its caller uses ``forget_experiment`` when a run cannot be created in it)."""
    key = (location.tracking_uri, name)
    if key not in _known_experiments:
        _known_experiments[key] = experiment_id_for(client, location, name)
    return _known_experiments[key]


def experiment_id_for(client: MlflowClient, location: StoreLocation, name: str) -> str:
    """The id of experiment ``name``, created (with the store's artifact root) when missing, restored
    when deleted."""
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            experiment_id = client.create_experiment(name, artifact_location=location.artifact_root)
        except MlflowException:  # another kernel created it first
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise
            experiment_id = experiment.experiment_id
    else:
        if experiment.lifecycle_stage == "deleted":
            client.restore_experiment(experiment.experiment_id)
        experiment_id = experiment.experiment_id
    return experiment_id
