"""Git state of the work tree: commit, branch, dirty flag, an operation in progress, remote URL, diff and
untracked files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@dataclass
class GitState:
    commit: str | None
    branch: str | None
    dirty: bool
    remote_url: str | None
    root: str
    diff: str = ""
    diff_truncated: bool = False
    diff_bytes: int = 0
    untracked: list[str] = field(default_factory=list)
    state: str | None = None  # unborn, merging, rebasing, detached; None when normal


_SCP_LIKE = re.compile(r"^(?P<user>[^@/]+)@(?P<host>[^:/]+):(?P<path>.+)$")


GIT_STATE_NOTES = {
    "unborn": "git: no commit yet, so the run names no commit (the cell's code is in its record)",
    "merging": "git: a merge is in progress; the run names HEAD, git.diff holds the rest",
    "rebasing": "git: a rebase is in progress; HEAD is an intermediate commit",
    "detached": "git: detached HEAD (no branch)",
}


def git_state_note(state: str) -> str:
    """The run card's warning line for ``jupyter_exp.git.state``."""
    return GIT_STATE_NOTES.get(state, f"git: {state}")


def strip_credentials(url: str) -> str:
    """Remove any user:password@ from a remote URL (scp-like ``git@host:path`` keeps its user)."""
    if _SCP_LIKE.match(url) and "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]  # keeps IPv6 brackets and the port as written
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def repository_state(git_dir: Path, unborn: bool, detached: bool) -> str | None:
    """What the repository is in the middle of, as ``jupyter_exp.git.state`` records it."""
    if unborn:
        return "unborn"
    if (git_dir / "rebase-merge").is_dir() or (git_dir / "rebase-apply").is_dir():
        return "rebasing"
    if (git_dir / "MERGE_HEAD").is_file():
        return "merging"
    return "detached" if detached else None


def capture_git(path: Path, max_diff_bytes: int = 1_000_000, with_diff: bool = True) -> GitState | None:
    """The git state of the tree containing ``path``; None outside git (or without git installed)."""
    try:
        import git
    except ImportError:  # gitpython needs the git executable
        return None
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    with repo:
        try:
            commit = repo.head.commit.hexsha
        except ValueError:  # no commit yet
            commit = None
        branch = None if repo.head.is_detached else repo.head.reference.name
        remote_url = None
        if repo.remotes:
            remote = next((r for r in repo.remotes if r.name == "origin"), repo.remotes[0])
            urls = list(remote.urls)
            remote_url = strip_credentials(urls[0]) if urls else None
        state = GitState(
            commit=commit,
            branch=branch,
            dirty=repo.is_dirty(untracked_files=False) if commit else bool(repo.index.entries),
            remote_url=remote_url,
            root=str(repo.working_tree_dir),
            state=repository_state(Path(repo.git_dir), commit is None, repo.head.is_detached),
        )
        if with_diff:
            diff = repo.git.diff("HEAD", "--no-color", "--binary") if commit else ""
            encoded = diff.encode("utf-8", "replace")
            state.diff_bytes = len(encoded)
            if len(encoded) > max_diff_bytes:
                state.diff = encoded[:max_diff_bytes].decode("utf-8", "ignore")
                state.diff_truncated = True
            else:
                state.diff = diff
            state.untracked = list(repo.untracked_files)
        return state
