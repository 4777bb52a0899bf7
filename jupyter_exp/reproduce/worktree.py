"""``--checkout``: a temporary git worktree at the recorded commit with the recorded diff applied."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_exp import record_schema as schema
from jupyter_exp.reproduce.errors import CheckoutError
from jupyter_exp.reproduce.record import RunRecord


def _git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise CheckoutError(f"git {args[0]} failed: {message[-1] if message else done.returncode}")
    return done.stdout


@contextmanager
def recorded_worktree(record: RunRecord, repo_root: Path) -> Iterator[Path]:
    """Yields the root of the worktree; removes it afterwards whatever happened."""
    commit = record.tags.get(schema.GIT_COMMIT)
    if not commit:
        raise CheckoutError(f"run {record.run_id} was not recorded in a git work tree: nothing to check out")
    git_info = record.environment.get("git", {})
    if git_info.get("diff_truncated"):
        raise CheckoutError(
            f"run {record.run_id}: its git diff was cut at {git_info.get('diff_cap_bytes')} bytes and cannot be applied"
        )
    try:
        _git(repo_root, "cat-file", "-e", f"{commit}^{{commit}}")
    except CheckoutError:
        raise CheckoutError(f"commit {commit[:10]} is not in the repository at {repo_root}") from None
    parent = Path(tempfile.mkdtemp(prefix="jupyter-exp-checkout-"))
    tree = parent / repo_root.name
    _git(repo_root, "worktree", "add", "--detach", "--quiet", str(tree), commit)
    try:
        diff = record.text(schema.GIT_DIFF) or ""
        if diff.strip():
            _git(
                tree, "apply", "--whitespace=nowarn", "-", stdin=diff if diff.endswith("\n") else diff + "\n"
            )
        yield tree
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)], cwd=repo_root, capture_output=True
        )
        shutil.rmtree(parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=repo_root, capture_output=True)
