"""Opening the MLflow store safely: created or migrated once, under a file lock, with clear errors.

MLflow migrates an SQLite file it finds without its tables, one committed step at a time; several
processes doing that at once (the server extension, kernels, the user's ``mlflow ui``) break the
file. Ours are serialised by a lock next to the database and migrate in one transaction.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.git import strip_credentials
from jupyter_exp.capture.secrets import redact_text
from jupyter_exp.config import StoreLocation, sqlite_path
from jupyter_exp.errors import StoreFailure
from jupyter_exp.tracking.identity import store_user
from jupyter_exp.tracking.probe import store_reachable

if TYPE_CHECKING:
    from mlflow import MlflowClient

LOCK_TIMEOUT_S = 300.0
_opened: set[str] = set()
_opened_lock = threading.Lock()


class StoreError(StoreFailure):
    """The tracking store cannot be used (unwritable, corrupt, unreachable)."""


class StoreRefused(StoreError):
    """The store answered and refuses this user the request (HTTP 401/403): retrying will not help."""

    http_status = 403


REFUSAL_CODES = ("PERMISSION_DENIED", "UNAUTHENTICATED")


def refusal(error: BaseException, tracking_uri: str, doing: str) -> StoreRefused | None:
    """``error`` as one line naming the store, the user and what was refused; ``None`` when it is not a
    refusal (a server error, a bad value: those keep their own handling)."""
    code = getattr(error, "error_code", None)
    if code not in REFUSAL_CODES:
        return None
    user = store_user() or "?"
    if code == "UNAUTHENTICATED":
        hint = "check MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)"
    else:
        hint = "ask the experiment's owner for EDIT permission, or use your own: %%track --experiment NAME"
    return StoreRefused(
        f"The MLflow store {strip_credentials(tracking_uri)} refused {doing} to user {user!r} ({code}): {hint}"
    )


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

                if not store_reachable(uri):  # the short probe, not MLflow's minutes of retries
                    raise StoreError(f"Cannot use the MLflow store {redact_text(uri)}: it does not answer")
                MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
        except StoreError:
            raise
        except Exception as error:
            refused = refusal(error, uri, "access")
            if refused is not None:
                raise refused from None
            shown = redact_text(uri)  # the message lands in the cell output, so in the saved notebook
            raise StoreError(
                f"Cannot use the MLflow store {shown}: {redact_text(_short_reason(error))}"
            ) from None
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
        if _is_ready(db_path):
            return  # at head: MlflowClient opens it without migrating (no second engine here)
    lock = FileLock(str(db_path) + ".lock", timeout=LOCK_TIMEOUT_S)
    try:
        with lock, _quiet_migrations():
            _make_ready(uri, db_path, artifact_root or str(folder / "mlartifacts"))
    except Timeout:
        raise StoreError(f"Timed out waiting for the lock on the MLflow store {db_path}") from None
    except PermissionError:
        raise StoreError(f"The MLflow store {db_path} is not writable (permission denied)") from None


# -- the schema: at MLflow's head revision, else migrated in one transaction ---------------------
# Other MLflow clients (`mlflow ui`, a script's MlflowClient) migrate a store they find without its
# tables, take no lock and commit each step: two of them at once break the file. Ours waits until
# the file is quiet, then migrates in ONE SQLite write transaction (nobody else can write meanwhile,
# and a failure leaves nothing behind), and retries after the typical errors of such a race.

QUIET_S = 3.0  # a store not written for this long is not being migrated (MLflow pauses ~0.3 s)
MIGRATION_ATTEMPTS = 6
RACE_MARKERS = (
    "already exists",
    "duplicate column",
    "no such table",
    "no such column",
    "database is locked",
    "expected to match one row",
    "unique constraint failed",
    "out-of-date database schema",
    "can't locate revision",
)


@functools.cache
def _head_revision() -> str:
    from mlflow.store.db.utils import _get_latest_schema_revision

    return str(_get_latest_schema_revision())


def _is_ready(db_path: Path) -> bool:
    """At MLflow's head revision, with its Default experiment: opening it migrates nothing."""
    try:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        try:
            versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
            default = connection.execute("SELECT 1 FROM experiments WHERE experiment_id = 0").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return versions == [(_head_revision(),)] and default is not None


def _make_ready(uri: str, db_path: Path, artifact_root: str) -> None:
    """Under our lock: wait for a quiet file, migrate it atomically, re-check; retry after a race."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    for attempt in range(MIGRATION_ATTEMPTS):
        if _is_ready(db_path):
            return
        _wait_until_quiet(db_path)
        try:
            _migrate_atomically(uri, db_path)
            SqlAlchemyStore(uri, artifact_root).engine.dispose()  # the Default experiment, our artifact root
        except Exception as error:  # classified below: a race is retried, anything else raised
            if attempt + 1 == MIGRATION_ATTEMPTS or not _is_migration_race(error):
                raise


def _is_migration_race(error: BaseException) -> bool:
    reason = _short_reason(error).lower()
    return isinstance(error, KeyError) or any(marker in reason for marker in RACE_MARKERS)


def _wait_until_quiet(db_path: Path, timeout_s: float = 60.0) -> None:
    """Return once the store is ready, or neither the database nor its journal changed for QUIET_S
    (at once when the file is empty: nobody has begun migrating it)."""

    def fingerprint() -> tuple[tuple[int, int] | None, ...]:
        stats: list[tuple[int, int] | None] = []
        for path in (db_path, Path(f"{db_path}-journal"), Path(f"{db_path}-wal")):
            try:
                stat = path.stat()
                stats.append((stat.st_size, stat.st_mtime_ns))
            except FileNotFoundError:
                stats.append(None)
        return tuple(stats)

    last, since, deadline = fingerprint(), time.monotonic(), time.monotonic() + timeout_s
    if last[0] is None or last[0][0] == 0:
        return
    while time.monotonic() - since < QUIET_S and time.monotonic() < deadline and not _is_ready(db_path):
        time.sleep(0.05)
        current = fingerprint()
        if current != last:
            last, since = current, time.monotonic()


class _DeferredCommitConnection(sqlite3.Connection):
    """An SQLite connection on which MLflow's per-migration commits (and SQLAlchemy's rollbacks on
    check-in) wait for the end of the whole upgrade."""

    deferred = True

    def commit(self) -> None:
        if not self.deferred:
            super().commit()

    def rollback(self) -> None:
        if not self.deferred:
            super().rollback()


def _migrate_atomically(uri: str, db_path: Path) -> None:
    """MLflow's own migrations (tables created, then alembic to head), in one write transaction."""
    import sqlalchemy
    from mlflow.store.db import utils as db_utils
    from sqlalchemy.pool import StaticPool

    raw = sqlite3.connect(
        db_path, timeout=30, factory=_DeferredCommitConnection, isolation_level=None, check_same_thread=False
    )
    engine = sqlalchemy.create_engine(uri, creator=lambda: raw, poolclass=StaticPool)
    try:
        raw.execute("BEGIN IMMEDIATE")  # held to the end: no other writer, a consistent view
        if not db_utils._all_tables_exist(engine):
            db_utils._initialize_tables(engine)
        elif db_utils._get_schema_version(engine) != _head_revision():
            db_utils._upgrade_db(engine)
        raw.deferred = False
        raw.commit()
    finally:
        raw.deferred = False
        if raw.in_transaction:
            raw.rollback()
        engine.dispose()
        raw.close()


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
    when deleted; tagged ``mlflow.experimentKind`` when it has no kind yet (the experiment it read holds
    its tags: no extra round trip unless the tag is set)."""
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            experiment_id = client.create_experiment(
                name,
                artifact_location=location.artifact_root,
                tags={schema.EXPERIMENT_KIND: schema.EXPERIMENT_KIND_MODEL_DEVELOPMENT},
            )
        except MlflowException:  # another kernel created it first
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise
            experiment_id = experiment.experiment_id
    else:
        if experiment.lifecycle_stage == "deleted":
            client.restore_experiment(experiment.experiment_id)
        experiment_id = experiment.experiment_id
    if experiment is not None and schema.EXPERIMENT_KIND not in (experiment.tags or {}):
        try:
            client.set_experiment_tag(
                experiment.experiment_id, schema.EXPERIMENT_KIND, schema.EXPERIMENT_KIND_MODEL_DEVELOPMENT
            )
        except MlflowException:  # a read-only store still records runs; the UI then asks for the kind
            pass
    return experiment_id
