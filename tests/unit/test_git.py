"""jupyter_exp.capture.git on real repositories made with the git CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from jupyter_exp.capture.git import capture_git, strip_credentials


def test_clean_repo_with_commit(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "project")
    (repo / "sub").mkdir()
    state = capture_git(repo / "sub")  # any folder inside the work tree
    assert state is not None
    assert state.commit == git(repo, "rev-parse", "HEAD")
    assert len(state.commit) == 40
    assert state.branch == "main"
    assert state.dirty is False
    assert state.diff == "" and state.diff_bytes == 0 and state.diff_truncated is False
    assert state.untracked == []
    assert state.remote_url is None
    assert Path(state.root).resolve() == repo.resolve()


def test_branch_name_follows_checkout(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "project")
    git(repo, "checkout", "-q", "-b", "feature/lr-sweep")
    state = capture_git(repo)
    assert state is not None and state.branch == "feature/lr-sweep"


def test_modified_tracked_file_is_dirty_with_diff(make_repo, tmp_path):
    repo = make_repo(tmp_path / "project")
    (repo / "train.py").write_text("lr = 0.25\nprint(lr)\n")
    state = capture_git(repo)
    assert state is not None
    assert state.dirty is True
    assert "-lr = 0.1" in state.diff
    assert "+lr = 0.25" in state.diff
    assert "train.py" in state.diff
    assert state.diff_bytes == len(state.diff.encode())
    assert state.diff_truncated is False


def test_staged_change_is_in_diff_against_head(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "project")
    (repo / "train.py").write_text("lr = 0.5\n")
    git(repo, "add", "train.py")
    state = capture_git(repo)
    assert state is not None and state.dirty is True
    assert "+lr = 0.5" in state.diff


def test_untracked_files_listed_but_not_dirty(make_repo, tmp_path):
    repo = make_repo(tmp_path / "project")
    (repo / "notes.txt").write_text("scratch\n")
    (repo / "data").mkdir()
    (repo / "data" / "x.csv").write_text("1,2\n")
    state = capture_git(repo)
    assert state is not None
    assert sorted(state.untracked) == ["data/x.csv", "notes.txt"]
    assert state.dirty is False  # untracked files do not make the tree dirty
    assert "scratch" not in state.diff


def test_diff_capped(make_repo, tmp_path):
    repo = make_repo(tmp_path / "project")
    (repo / "train.py").write_text("".join(f"line {i} of a long change\n" for i in range(2000)))
    full = capture_git(repo)
    capped = capture_git(repo, max_diff_bytes=1000)
    assert full is not None and capped is not None
    assert full.diff_truncated is False and full.diff_bytes > 1000
    assert capped.diff_truncated is True
    assert capped.diff_bytes == full.diff_bytes  # the size of the whole diff is still recorded
    assert 0 < len(capped.diff.encode()) <= 1000
    assert full.diff.startswith(capped.diff)


def test_without_diff(make_repo, tmp_path):
    repo = make_repo(tmp_path / "project")
    (repo / "train.py").write_text("changed\n")
    (repo / "new.txt").write_text("new\n")
    state = capture_git(repo, with_diff=False)
    assert state is not None and state.dirty is True
    assert state.diff == "" and state.untracked == []


def test_detached_head(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "project")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "train.py").write_text("lr = 0.2\n")
    git(repo, "commit", "-q", "-am", "second")
    git(repo, "checkout", "-q", "--detach", first)
    state = capture_git(repo)
    assert state is not None
    assert state.branch is None
    assert state.commit == first
    assert state.dirty is False


def test_repo_without_commits(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "empty", commit=False)
    (repo / "a.py").write_text("x = 1\n")
    state = capture_git(repo)
    assert state is not None
    assert state.commit is None
    assert state.branch == "main"
    assert state.dirty is False
    assert state.diff == ""
    assert state.untracked == ["a.py"]
    git(repo, "add", "a.py")
    staged = capture_git(repo)
    assert staged is not None and staged.commit is None and staged.dirty is True


def test_outside_git(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    assert capture_git(folder) is None
    assert capture_git(tmp_path / "does-not-exist") is None


def test_remote_credentials_removed(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "project")
    git(repo, "remote", "add", "origin", "https://alice:ghp_SECRET123@git.example.com/org/proj.git")
    assert "ghp_SECRET123" in git(repo, "remote", "get-url", "origin")  # it really is configured
    state = capture_git(repo)
    assert state is not None
    assert state.remote_url == "https://git.example.com/org/proj.git"


def test_origin_preferred_over_other_remotes(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "project")
    git(repo, "remote", "add", "alpha", "https://example.com/alpha.git")
    git(repo, "remote", "add", "origin", "git@github.com:org/proj.git")
    state = capture_git(repo)
    assert state is not None and state.remote_url == "git@github.com:org/proj.git"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:token@host/x.git", "https://host/x.git"),
        ("https://token@host/x.git", "https://host/x.git"),
        ("https://user:p%40ss@host.example.com:8443/a/b.git", "https://host.example.com:8443/a/b.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("https://github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("/srv/git/repo.git", "/srv/git/repo.git"),
        ("file:///srv/git/repo.git", "file:///srv/git/repo.git"),
    ],
)
def test_strip_credentials(url, expected):
    assert strip_credentials(url) == expected


def test_strip_credentials_ssh_url_with_password():
    stripped = strip_credentials("ssh://git:pw@host:2222/x.git")
    assert "pw" not in stripped
    assert stripped.startswith("ssh://")
    assert stripped.endswith("host:2222/x.git")


def test_strip_credentials_keeps_ipv6_host_valid():
    assert strip_credentials("https://user:tok@[::1]:8080/x.git") == "https://[::1]:8080/x.git"


# -- an operation in progress: jupyter_exp.git.state ----------------------------------------------


def test_normal_repository_has_no_state(make_repo, tmp_path):
    state = capture_git(make_repo(tmp_path / "project"))
    assert state is not None and state.state is None


def test_repository_without_commit_is_unborn_not_clean(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "empty", commit=False)
    (repo / "a.py").write_text("x = 1\n")
    state = capture_git(repo)
    assert state is not None and state.commit is None and state.state == "unborn"


def test_detached_head_state(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "project")
    git(repo, "checkout", "-q", "--detach", "HEAD")
    state = capture_git(repo)
    assert state is not None and state.branch is None and state.state == "detached"


def diverged(repo: Path, git) -> None:
    """main and feature both change train.py's first line: merging or rebasing them conflicts."""
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "train.py").write_text("lr = 0.3\nprint(lr)\n")
    git(repo, "commit", "-q", "-am", "feature lr")
    git(repo, "checkout", "-q", "main")
    (repo / "train.py").write_text("lr = 0.2\nprint(lr)\n")
    git(repo, "commit", "-q", "-am", "main lr")


def test_merge_in_progress_is_merging(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "project")
    diverged(repo, git)
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "merge", "-q", "feature")  # a conflict stops it half way
    state = capture_git(repo)
    assert state is not None and state.branch == "main"
    assert state.state == "merging" and state.dirty is True
    git(repo, "merge", "--abort")
    assert capture_git(repo).state is None


def test_rebase_in_progress_is_rebasing(make_repo, git, tmp_path):
    repo = make_repo(tmp_path / "project")
    diverged(repo, git)
    git(repo, "checkout", "-q", "feature")
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "rebase", "-q", "main")
    state = capture_git(repo)
    assert state is not None and state.state == "rebasing"  # HEAD is detached, but this says why
    git(repo, "rebase", "--abort")
    assert capture_git(repo).state is None
