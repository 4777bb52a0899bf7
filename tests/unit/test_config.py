"""jupyter_exp.config.resolve_store: which tracking URI, root and artifact root a kernel uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_exp.config import JupyterExp, git_toplevel, resolve_root, resolve_store


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("MLFLOW_TRACKING_URI", "JUPYTER_EXP_ROOT"):
        monkeypatch.setenv(name, "unset-by-test")  # recorded, so teardown restores the original
        monkeypatch.delenv(name)


@pytest.fixture
def plain_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plain" / "work"
    folder.mkdir(parents=True)
    assert git_toplevel(folder.resolve()) is None, "tmp_path must not be inside a git work tree"
    return folder


def test_default_is_sqlite_under_cwd_outside_git(plain_dir, monkeypatch):
    monkeypatch.chdir(plain_dir)
    location = resolve_store()
    root = plain_dir.resolve()
    assert location.root == root
    assert location.tracking_uri == f"sqlite:///{root}/mlflow.db"
    assert location.tracking_uri.startswith("sqlite:////")  # absolute path: four slashes
    assert location.artifact_root == str(root / "mlartifacts")
    assert location.is_default_sqlite


def test_root_is_git_toplevel_of_cwd(make_repo, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "project")
    sub = repo / "notebooks" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    location = resolve_store()
    assert location.root == repo.resolve()
    assert location.tracking_uri == f"sqlite:///{repo.resolve()}/mlflow.db"
    assert location.artifact_root == str(repo.resolve() / "mlartifacts")


def test_root_of_git_worktree_with_dot_git_file(make_repo, git, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "project")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "wt-branch", str(worktree))
    assert (worktree / ".git").is_file()
    (worktree / "nb").mkdir()
    monkeypatch.chdir(worktree / "nb")
    assert resolve_store().root == worktree.resolve()


def test_cwd_argument_instead_of_process_cwd(make_repo, plain_dir, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "project")
    monkeypatch.chdir(plain_dir)
    assert resolve_store(cwd=repo / "train.py").root == repo.resolve()
    assert resolve_root(cwd=plain_dir) == plain_dir.resolve()


def test_jupyter_exp_root_env_wins_over_git(make_repo, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "project")
    served = tmp_path / "served"
    served.mkdir()
    monkeypatch.chdir(repo)
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(served))
    location = resolve_store()
    assert location.root == served.resolve()
    assert location.tracking_uri == f"sqlite:///{served.resolve()}/mlflow.db"
    assert location.artifact_root == str(served.resolve() / "mlartifacts")


def test_configured_root_wins_over_env(plain_dir, tmp_path, monkeypatch):
    configured = tmp_path / "configured"
    monkeypatch.chdir(plain_dir)
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(tmp_path / "from-env"))
    location = resolve_store(JupyterExp(root=str(configured)))
    assert location.root == configured.resolve()
    assert location.tracking_uri == f"sqlite:///{configured.resolve()}/mlflow.db"


def test_configured_tracking_uri_wins_over_default(plain_dir, monkeypatch):
    monkeypatch.chdir(plain_dir)
    location = resolve_store(JupyterExp(tracking_uri="sqlite:////srv/shared/mlflow.db"))
    assert location.tracking_uri == "sqlite:////srv/shared/mlflow.db"
    assert location.artifact_root is None  # MLflow's own default for a store the user chose
    assert not location.is_default_sqlite
    assert location.root == plain_dir.resolve()


def test_env_tracking_uri_wins_over_configured(plain_dir, monkeypatch):
    monkeypatch.chdir(plain_dir)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    location = resolve_store(JupyterExp(tracking_uri="sqlite:////srv/shared/mlflow.db"))
    assert location.tracking_uri == "http://127.0.0.1:5999"
    assert location.artifact_root is None
    assert resolve_store().tracking_uri == "http://127.0.0.1:5999"


def test_empty_env_tracking_uri_is_ignored(plain_dir, monkeypatch):
    monkeypatch.chdir(plain_dir)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "")
    assert resolve_store().tracking_uri == f"sqlite:///{plain_dir.resolve()}/mlflow.db"


def test_root_with_user_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("JUPYTER_EXP_ROOT", "~/proj")
    assert resolve_store().root == (tmp_path / "proj").resolve()


def test_traits_are_configurable():
    from traitlets.config import Config

    config = Config()
    config.JupyterExp.tracking_uri = "sqlite:////x/mlflow.db"
    config.JupyterExp.max_diff_bytes = 10
    settings = JupyterExp(config=config)
    assert settings.tracking_uri == "sqlite:////x/mlflow.db"
    assert settings.max_diff_bytes == 10
    assert JupyterExp().max_diff_bytes == 1_000_000
