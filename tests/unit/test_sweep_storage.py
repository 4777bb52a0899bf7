"""Where a sweep's study lives (jupyter_exp/sweep/storage.py): the journal file by default, a configured
database through Optuna's RDBStorage (real SQLite files here; PostgreSQL in tests/deploy), a database that
holds MLflow's tables refused before anything is written to it, and one-line refusals without the password."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import optuna
import pytest
from mlflow import MlflowClient

from jupyter_exp.sweep.storage import STORAGE_ENV, configured_url, study_storage
from jupyter_exp.track.prepared import TrackingError


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_the_environment_wins_over_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STORAGE_ENV, raising=False)
    assert configured_url(" sqlite:///a.db ") == "sqlite:///a.db"
    monkeypatch.setenv(STORAGE_ENV, "sqlite:///b.db")
    assert configured_url("sqlite:///a.db") == "sqlite:///b.db"


def test_default_and_journal_urls_are_journal_files(tmp_path: Path) -> None:
    storage, url = study_storage("", tmp_path / "default.log")
    assert isinstance(storage, optuna.storages.JournalStorage) and url == f"journal:{tmp_path}/default.log"
    storage, url = study_storage(f"journal:{tmp_path}/other.log", tmp_path / "default.log")
    assert isinstance(storage, optuna.storages.JournalStorage) and url == f"journal:{tmp_path}/other.log"


def test_a_database_of_its_own_keeps_the_study_across_opens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/optuna.db"
    storage, shown = study_storage(url, tmp_path / "unused.log")
    assert isinstance(storage, optuna.storages.RDBStorage) and shown == url
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(storage=storage, study_name="s").optimize(lambda t: t.suggest_float("x", 0, 1), 2)
    again, _ = study_storage(url, tmp_path / "unused.log")  # its alembic_version is Optuna's: accepted
    assert len(optuna.load_study(study_name="s", storage=again).trials) == 2


def test_mlflows_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").create_experiment("e")
    before = _tables(path)
    with pytest.raises(TrackingError) as refused:
        study_storage(f"sqlite:///{path}", tmp_path / "unused.log")
    assert "holds MLflow's tables; Optuna needs a database of its own" in str(refused.value)
    assert _tables(path) == before  # no Optuna table was added


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "postgresql+nosuchdriver://me:pw-s3cret@127.0.0.1:1/optuna",
            "sweep storage postgresql+nosuchdriver://me@",
        ),
        ("postgresql+psycopg2://me:pw-s3cret@127.0.0.1:1/optuna", "port 1 failed: Connection refused"),
        ("not a url", "give a database URL"),
    ],
)
def test_an_unusable_url_is_one_line_without_the_password(tmp_path: Path, url: str, says: str) -> None:
    with pytest.raises(TrackingError) as refused:
        study_storage(url, tmp_path / "unused.log")
    message = str(refused.value)
    assert says in message and "\n" not in message and "pw-s3cret" not in message, message
