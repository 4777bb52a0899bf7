"""A run created straight in a SQLite MLflow store, with MLflow imported in the background.

The first ``%%track`` of a kernel used to pay ``import mlflow`` (1.5-2 s) and the opening of its
SQLAlchemy store before the cell ran: what ``import mlflow; start_run()`` by hand costs. For an embedded
SQLite store this module finds the experiment and creates the run with plain ``sqlite3``, writing the rows
``SqlAlchemyStore.create_run`` writes (``runs`` and ``tags``, MLflow's documented columns), so the cell
starts with the run's real id while MLflow is imported on a thread (``DeferredClient``) for everything
after: params, artifacts, metrics' first validation, the end of the run.

It only does so when it can tell the store is exactly what the installed MLflow would open without
migrating: at the head revision of the installed MLflow's migrations (read from its files, not imported),
with the tables and columns expected, and the experiment already there, active and with its kind tag.
Anything else (a new experiment, an older schema, another store) gets ``None`` and takes MLflow's way.
"""

from __future__ import annotations

import builtins
import functools
import importlib.util
import re
import sqlite3
import sys
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.config import StoreLocation, sqlite_path
from jupyter_exp.tracking.store import client_for

if TYPE_CHECKING:
    from mlflow import MlflowClient

RUN_NAME_TAG = "mlflow.runName"
ARTIFACTS_FOLDER = "artifacts"  # SqlAlchemyStore.ARTIFACTS_FOLDER_NAME
DEFAULT_WORKSPACE = "default"

REQUIRED_COLUMNS = {
    "runs": {
        "run_uuid",
        "name",
        "source_type",
        "source_name",
        "entry_point_name",
        "user_id",
        "status",
        "start_time",
        "end_time",
        "deleted_time",
        "source_version",
        "lifecycle_stage",
        "artifact_uri",
        "experiment_id",
    },
    "tags": {"key", "value", "run_uuid"},
    "experiments": {"experiment_id", "name", "artifact_location", "lifecycle_stage"},
    "experiment_tags": {"key", "value", "experiment_id"},
}

_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*['\"]([0-9a-zA-Z_]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(\([^)]*\)|.+)$", re.M)
_QUOTED = re.compile(r"['\"]([0-9a-zA-Z_]+)['\"]")


@functools.cache
def installed_head_revision() -> str | None:
    """The head of the installed MLflow's schema migrations, read from its migration files (importing
    ``mlflow`` is what this module saves); ``None`` when it cannot be told (no MLflow, several heads)."""
    spec = importlib.util.find_spec("mlflow")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        return None
    versions = Path(next(iter(spec.submodule_search_locations))) / "store" / "db_migrations" / "versions"
    revisions, parents = set(), set()
    try:
        for path in versions.glob("*.py"):
            text = path.read_text(encoding="utf-8")
            found = _REVISION.search(text)
            if found is None:
                continue
            revisions.add(found.group(1))
            down = _DOWN.search(text)
            if down is not None:
                parents.update(_QUOTED.findall(down.group(1)))
    except OSError:
        return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


@dataclass(frozen=True)
class DirectStore:
    """An experiment of a SQLite store this module may create runs in."""

    database: Path
    experiment_id: str
    artifact_location: str


def _connect(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(database, timeout=30)


def _schema_ok(connection: sqlite3.Connection) -> bool:
    head = installed_head_revision()
    if head is None:
        return False
    if connection.execute("SELECT version_num FROM alembic_version").fetchall() != [(head,)]:
        return False
    for table, needed in REQUIRED_COLUMNS.items():
        if not {row[1] for row in connection.execute(f"PRAGMA table_info({table})")} >= needed:
            return False
    return True


def direct_experiment(location: StoreLocation, name: str) -> DirectStore | None:
    """The experiment ``name`` of the SQLite store at ``location``, if a run can be created in it here
    without MLflow (see the module doc); ``None`` otherwise."""
    database = sqlite_path(location.tracking_uri)
    if database is None or not database.is_file():
        return None
    try:
        with open(database, "rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                return None
        connection = _connect(database)
        try:
            if not _schema_ok(connection):
                return None
            columns = {row[1] for row in connection.execute("PRAGMA table_info(experiments)")}
            scope = " AND workspace = ?" if "workspace" in columns else ""
            arguments = (name, DEFAULT_WORKSPACE) if scope else (name,)
            row = connection.execute(
                "SELECT experiment_id, artifact_location, lifecycle_stage FROM experiments WHERE name = ?"
                + scope,
                arguments,
            ).fetchone()
            if row is None or row[2] != "active" or not row[1]:
                return None  # MLflow's way creates or restores it
            kind = connection.execute(
                "SELECT 1 FROM experiment_tags WHERE experiment_id = ? AND key = ?",
                (row[0], schema.EXPERIMENT_KIND),
            ).fetchone()
            if kind is None:
                return None  # MLflow's way tags it
        finally:
            connection.close()
    except (sqlite3.Error, OSError):
        return None
    location_ = str(row[1])
    if "?" in location_ or "#" in location_:
        return None  # MLflow's URI joining has rules for those
    return DirectStore(database, str(row[0]), location_)


def artifact_uri(artifact_location: str, run_id: str) -> str:
    """``append_to_uri_path(artifact_location, run_id, "artifacts")`` for a location without a query."""
    return f"{artifact_location.rstrip('/')}/{run_id}/{ARTIFACTS_FOLDER}"


def create_run(
    store: DirectStore, run_name: str, tags: dict[str, str], start_time_ms: int, user_id: str
) -> str | None:
    """Insert a RUNNING run as ``SqlAlchemyStore.create_run`` does (the ``runs`` row and its tags,
    ``mlflow.runName`` included), in one transaction; its id, or ``None`` when the experiment is no
    longer active or the write fails (the caller takes MLflow's way, which says why)."""
    run_id = uuid.uuid4().hex
    tags = dict(tags)
    tags.setdefault(RUN_NAME_TAG, run_name)
    try:
        connection = _connect(store.database)
    except sqlite3.Error:
        return None
    try:
        with connection:  # one transaction: the run and all its tags, or nothing
            connection.execute("BEGIN IMMEDIATE")
            active = connection.execute(
                "SELECT 1 FROM experiments WHERE experiment_id = ? AND lifecycle_stage = 'active'",
                (int(store.experiment_id),),
            ).fetchone()
            if active is None:
                return None
            connection.execute(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, "
                "status, start_time, end_time, deleted_time, source_version, lifecycle_stage, artifact_uri, "
                "experiment_id) VALUES (?, ?, 'UNKNOWN', '', '', ?, 'RUNNING', ?, NULL, NULL, '', 'active', "
                "?, ?)",
                (
                    run_id,
                    run_name,
                    user_id,
                    start_time_ms,
                    artifact_uri(store.artifact_location, run_id),
                    int(store.experiment_id),
                ),
            )
            connection.executemany(
                "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                [(key, value, run_id) for key, value in tags.items()],
            )
    except sqlite3.Error:  # locked for longer than the timeout, a read-only file: MLflow's way says why
        return None
    finally:
        connection.close()
    return run_id


GATE_TIMEOUT_S = 120.0  # a wait past this goes on regardless (an MLflow plugin importing the waiter back)


class _ImportGate:
    """While one thread imports MLflow, any other thread's ``import mlflow...`` waits for it to finish.

    Two threads importing one package with circular imports inside (MLflow has them) can each be handed
    the other's half-initialised module ("cannot import name ... from partially initialized module"): the
    user's next cell importing MLflow, the metric writer's first batch, the capture thread's params. The
    gate wraps ``builtins.__import__`` for as long as the import runs (a second or two, once per process)
    and waits before any module lock is taken of the waiter's ``import mlflow``; a module the waiter is
    importing that MLflow would import back (a plugin) could still hold it up, hence ``GATE_TIMEOUT_S``.
    ``importlib.import_module("mlflow")`` from another thread is not seen by the gate."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.importer: int | None = None
        self._original: Any = None

    def open(self) -> None:
        """Wrap ``__import__``; the importing thread names itself (``importer``) before it imports."""
        self._original = builtins.__import__
        builtins.__import__ = self._import

    def _import(
        self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        if (
            level == 0
            and not self.done.is_set()
            and (name == "mlflow" or name.startswith("mlflow."))
            and threading.get_ident() != self.importer
        ):
            self.done.wait(GATE_TIMEOUT_S)
        return self._original(name, globals, locals, fromlist, level)

    def close(self) -> None:
        self.done.set()
        if builtins.__import__ == self._import:  # else someone wrapped it since: ours stays, inert
            builtins.__import__ = self._original


_gate: _ImportGate | None = None
_gate_lock = threading.Lock()
MLFLOW_MODULES = ("mlflow", "mlflow.tracking", "mlflow.store.tracking.sqlalchemy_store")


def import_mlflow_in_background(modules: tuple[str, ...] = MLFLOW_MODULES) -> None:
    """Import MLflow (``modules``, in turn) on a thread, behind the import gate; nothing when it is
    imported already or being imported. A module that fails to import stops the thread: whoever needs
    MLflow later gets the error itself."""
    global _gate
    with _gate_lock:
        if "mlflow" in sys.modules or _gate is not None:
            return
        gate = _gate = _ImportGate()
        gate.open()

    def work() -> None:
        gate.importer = threading.get_ident()
        try:
            for name in modules:
                importlib.import_module(name)
        except Exception:
            pass
        finally:
            gate.close()

    threading.Thread(target=work, name="jupyter-exp-import-mlflow", daemon=True).start()


def mlflow_importing() -> bool:
    """MLflow is being imported by our thread right now (``"mlflow" in sys.modules`` says nothing of the
    user's use of it then)."""
    return _gate is not None and not _gate.done.is_set()


class DeferredClient:
    """An ``MlflowClient`` made on a thread: ``tracking_uri`` is there at once, any other attribute waits
    for the client (and raises what making it raised). Whatever uses it off the cell's path (the metric
    writer, the capture thread, the run's completion) gets the real client without the cell waiting."""

    def __init__(self, location: StoreLocation) -> None:
        self.tracking_uri = location.tracking_uri
        self._location = location
        self._future: Future[MlflowClient] = Future()
        import_mlflow_in_background()  # this thread's own imports wait for it behind the gate
        threading.Thread(target=self._make, name="jupyter-exp-client", daemon=True).start()

    def _make(self) -> None:
        try:
            self._future.set_result(client_for(self._location))
        except BaseException as error:  # handed to whoever asks for the client
            self._future.set_exception(error)

    @property
    def failed(self) -> bool:
        return self._future.done() and self._future.exception() is not None

    def client(self) -> MlflowClient:
        """The real client, once MLflow is imported and the store opened."""
        return self._future.result()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._future.result(), name)


_deferred: dict[str, DeferredClient] = {}
_deferred_lock = threading.Lock()


def deferred_client(location: StoreLocation) -> DeferredClient:
    """One ``DeferredClient`` per store for the process (a failed one is made again)."""
    with _deferred_lock:
        client = _deferred.get(location.tracking_uri)
        failed = client is not None and client.failed
        if client is None or failed:
            client = _deferred[location.tracking_uri] = DeferredClient(location)
        return client
