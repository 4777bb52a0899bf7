"""Shared pieces of the unit tests: real git repositories and real MLflow SQLite stores in tmp dirs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.git import git as run_git


@pytest.fixture
def git() -> Callable[..., str]:
    """``git(cwd, *args)``: the real git CLI, stdout stripped."""
    return run_git


@pytest.fixture
def make_repo() -> Callable[..., Path]:
    """``make_repo(path, commit=True)``: a real repository on branch main, user configured locally."""

    def make(path: Path, commit: bool = True) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        run_git(path, "init", "-q", "-b", "main")
        run_git(path, "config", "user.email", "tests@example.invalid")
        run_git(path, "config", "user.name", "Unit Tests")
        if commit:
            (path / "train.py").write_text("lr = 0.1\nprint(lr)\n")
            run_git(path, "add", "train.py")
            run_git(path, "commit", "-q", "-m", "initial")
        return path

    return make


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One freshly migrated MLflow SQLite store per session (migrations take seconds)."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder = tmp_path_factory.mktemp("template-store")
    db = folder / "mlflow.db"
    store = SqlAlchemyStore(f"sqlite:///{db}", str(folder / "mlartifacts"))
    store.engine.dispose()
    return db


@pytest.fixture
def store_uri(template_store: Path, tmp_path: Path) -> str:
    """A real, migrated MLflow SQLite store of this test (a copy of the session's template)."""
    db = tmp_path / "store" / "mlflow.db"
    db.parent.mkdir()
    shutil.copyfile(template_store, db)
    return f"sqlite:///{db}"
