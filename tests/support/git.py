"""Real git repositories for the tests (the git CLI, no library in between)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """``git -C cwd args...``, stdout stripped; raises on failure."""
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def init_repo(root: Path, first_file: str = "README.md", content: str = "project\n") -> None:
    """A repository on branch main with a local user and one commit."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "config", "user.name", "Test")
    (root / first_file).write_text(content)
    git(root, "add", first_file)
    git(root, "commit", "-q", "-m", "initial")
