"""Files a tracked cell opens for reading: its inputs (``inputs.json``), so that drift can say which changed.

An audit hook (``sys.addaudithook``, installed once: hooks cannot be removed) sees every ``open`` in the
process; while a cell is watched it keeps, in first-open order, the files opened read-only under the
project root, except the interpreter's own (the venv, site-packages), the store's and the journal's files,
git's, caches, and what jupyter-exp's own threads open. On the cell's path a file costs a set lookup when
opened and a ``stat`` when the cell ends; hashes are computed afterwards, in the background.
"""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Any

HASH_CAP_BYTES = 256 * 2**20  # larger files are recorded with size and mtime only (sha256 null)
SKIPPED_PARTS = frozenset({".git", "mlartifacts", "mlruns", "__pycache__", ".ipynb_checkpoints", ".venv"})
OWN_THREADS = "jupyter-exp"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR

_watching: InputWatch | None = None
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _watching is not None:
        _watching.opened(*args[:3])


class InputWatch:
    """A context manager around the cell; ``document()`` lists what it opened for reading."""

    def __init__(self, root: Path, excluded: list[Path] | None = None) -> None:
        self.root = str(root.resolve())
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values()}
        prefixes |= {str(Path(p).resolve()) for p in excluded or []}
        self.excluded = tuple(p.rstrip(os.sep) + os.sep for p in prefixes if p)
        self.paths: dict[str, None] = {}  # absolute paths, first-open order

    def opened(self, path: Any, mode: Any, flags: Any) -> None:
        if isinstance(path, int) or threading.current_thread().name.startswith(OWN_THREADS):
            return
        if isinstance(mode, str):
            if "r" not in mode or any(c in mode for c in "wax+"):
                return
        elif isinstance(flags, int) and flags & _WRITE_FLAGS:
            return
        try:
            name = os.path.abspath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        if name in self.paths or not name.startswith(self.root + os.sep) or name.startswith(self.excluded):
            return
        parts = name[len(self.root) :].split(os.sep)
        if SKIPPED_PARTS.intersection(parts) or parts[-1].startswith("mlflow.db"):
            return
        self.paths[name] = None

    def __enter__(self) -> InputWatch:
        global _watching, _hook_installed
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True
        _watching = self
        return self

    def __exit__(self, *exc_info: Any) -> None:
        global _watching
        if _watching is self:
            _watching = None

    def document(self) -> list[dict[str, Any]]:
        """Path (relative to the root), size and mtime of each input that is a file; sha256 comes later."""
        found = []
        for name in self.paths:
            try:
                stat = os.stat(name)
            except OSError:
                continue
            if os.path.isfile(name):
                relative = os.path.relpath(name, self.root).replace(os.sep, "/")
                found.append({"path": relative, "size": stat.st_size, "mtime": stat.st_mtime, "sha256": None})
        return found


def file_sha256(path: Path, cap: int = HASH_CAP_BYTES) -> str | None:
    """The file's sha256, ``None`` over the cap or when it cannot be read."""
    try:
        if path.stat().st_size > cap:
            return None
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(2**20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def with_hashes(inputs: list[dict[str, Any]], root: Path) -> list[dict[str, Any]]:
    """The inputs with their sha256 (off the cell's path); a file that changed since the cell ended keeps
    ``null``: its hash would not be that of what the cell read."""
    for item in inputs:
        path = root / item["path"]
        try:
            stat = path.stat()
        except OSError:
            continue
        if (stat.st_size, stat.st_mtime) == (item["size"], item["mtime"]):
            item["sha256"] = file_sha256(path)
    return inputs
