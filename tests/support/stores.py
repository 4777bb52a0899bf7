"""Real MLflow SQLite stores in tmp dirs: one migrated template per session (tests/support/plugin.py's
``template_store`` and ``store_uri``), and a check that a store is whole."""

from __future__ import annotations

import sqlite3

from jupyter_exp.config import sqlite_path


def assert_schema_ok(uri: str) -> None:
    """The store has every table at MLflow's head revision (checked before anything could repair it)."""
    import sqlalchemy
    from mlflow.store.db.utils import _all_tables_exist, _verify_schema

    engine = sqlalchemy.create_engine(uri)
    try:
        assert _all_tables_exist(engine)
        _verify_schema(engine)
    finally:
        engine.dispose()
    with sqlite3.connect(sqlite_path(uri)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
