"""Where a sweep's Optuna study lives, and the storage's URL as records may show it (never a password).

By default a ``JournalStorage`` file beside the run journal. A configured URL (``JUPYTER_EXP_SWEEP_STORAGE``,
else ``c.JupyterExp.sweep_storage``) names Optuna's ``RDBStorage`` instead: on a team server, a PostgreSQL
database of its own (Optuna and MLflow both keep their migrations in an ``alembic_version`` table, so a
database that holds another application's is refused before anything is written to it). The password
comes from ``PGPASSWORD`` or ``~/.pgpass`` (libpq reads them), so the URL need not hold one."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_exp.errors import one_line
from jupyter_exp.track.prepared import TrackingError

if TYPE_CHECKING:
    import optuna

STORAGE_ENV = "JUPYTER_EXP_SWEEP_STORAGE"  # wins over c.JupyterExp.sweep_storage, as MLFLOW_TRACKING_URI does
JOURNAL_PREFIX = "journal:"
_CREDENTIALS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/@]*)(?::(?P<password>[^@/]*))?@"
)


def without_credentials(url: str) -> str:
    """``postgresql://me:secret@db/optuna`` -> ``postgresql://me@db/optuna``: the password never reaches a record."""
    return _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}@" if m["user"] else m["scheme"], url)


def journal_file(journal_dir: Path) -> Path:
    """The sweeps' journal file, in a folder beside the run journal (the journal's guard owns its folder)."""
    folder = journal_dir.parent / f"{journal_dir.name}-sweeps"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / "optuna-journal.log"


def journal_storage(path: Path) -> tuple[optuna.storages.BaseStorage, str]:
    """Optuna's JournalStorage on a local file, and its URL for the record."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(path))), f"{JOURNAL_PREFIX}{path}"


def configured_url(configured: str) -> str:
    """The storage URL the user configured (the environment variable wins), "" for the default."""
    return (os.environ.get(STORAGE_ENV) or configured).strip()


def study_storage(configured: str, journal_path: Path) -> tuple[optuna.storages.BaseStorage, str]:
    """The study's storage and its URL: ``configured`` (see ``configured_url``) when given, else the
    journal file at ``journal_path``. A storage that cannot be used is a one-line ``TrackingError``."""
    if not configured:
        return journal_storage(journal_path)
    if configured.startswith(JOURNAL_PREFIX):  # as the parent run's tag shows a journal file
        return journal_storage(Path(configured.removeprefix(JOURNAL_PREFIX)).expanduser())
    if "://" not in configured:
        raise TrackingError(
            f"sweep storage {without_credentials(configured)!r}: give a database URL "
            "(postgresql+psycopg2://user@host/optuna) or journal:/path/to/file.log"
        )
    return rdb_storage(configured), configured


def rdb_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's ``RDBStorage`` on ``url``, after checking that the database is Optuna's alone (empty, or
    holding a study already)."""
    import sqlalchemy
    from optuna.storages import RDBStorage

    try:
        engine = sqlalchemy.create_engine(url)
        try:
            tables = set(sqlalchemy.inspect(engine).get_table_names())
        finally:
            engine.dispose()
    except Exception as error:  # a bad URL, a missing driver, refused credentials, no such database
        raise TrackingError(_refusal(url, error)) from None
    if "alembic_version" in tables and "studies" not in tables:
        owner = "MLflow's" if {"experiments", "runs"} <= tables else "another application's"
        raise TrackingError(
            f"sweep storage {without_credentials(url)}: this database holds {owner} tables; Optuna needs a "
            "database of its own (both keep their migrations in alembic_version): e.g. createdb optuna"
        )
    try:
        return RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
    except Exception as error:
        raise TrackingError(_refusal(url, error)) from None


def _refusal(url: str, error: BaseException) -> str:
    """``sweep storage URL: reason`` in one line, the password masked wherever the driver repeats it."""
    reason = one_line(getattr(error, "orig", None) or error)
    found = _CREDENTIALS.search(url)
    if found and found["password"]:
        reason = reason.replace(found["password"], "***")
    return f"sweep storage {without_credentials(url)}: {reason}"


def sampler_and_pruner(prune: str, seed: int | None) -> tuple[Any, Any, dict[str, str]]:
    """Optuna's sampler (its default TPE, seeded) and the pruner ``--prune`` names, with how the record
    describes them."""
    import optuna

    sampler = optuna.samplers.TPESampler(seed=seed)
    pruner: Any
    if prune == "median":
        pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
    elif prune == "hyperband":
        pruner = optuna.pruners.HyperbandPruner()
    else:
        pruner = optuna.pruners.NopPruner()
    described = {
        "sampler": type(sampler).__name__,
        "sampler_seed": str(seed),
        "pruner": type(pruner).__name__,
    }
    return sampler, pruner, described
