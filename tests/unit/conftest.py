"""Shared pieces of the unit tests: real git repositories (the real MLflow SQLite stores in tmp dirs,
``template_store`` and ``store_uri``, are tests/support/plugin.py's)."""

from __future__ import annotations

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
