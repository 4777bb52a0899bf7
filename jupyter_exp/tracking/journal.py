"""The local journal: what a run still needs to reach the store, on disk before its cell returns.

One folder per run under the journal root (next to a SQLite store, else in the user's data folder)::

    <run id>/entry.json     which run, which store, which kernel (written when the run starts)
    <run id>/lock           held by the kernel that owns the run for as long as it lives
    <run id>/params.json    params and tags to (re)apply: MLflow accepts the same value twice
    <run id>/tags.json
    <run id>/staged/        artifacts not yet uploaded; upload-N/ while an upload is in flight
    <run id>/metrics/N.json metric points not yet in the store (one file per batch, removed once sent)
    <run id>/end.json       the true terminal status and end time, written as the cell returns

The owner's lock is an OS file lock, released by the kernel's death whatever kills it: whoever can take
it (the next kernel, the server's sweep, ``jupyter-exp sync``) may complete the run. An entry is removed
only once the store holds all of it, so completing it twice, or at once from two processes, is safe.
The journal's folders are the user's alone (0700); only entries that are all the user's own plain files
are listed for delivery, the others are reported (``journal_guard.py``). Framework-free: no MLflow import.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import socket
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_exp.capture.git import strip_credentials
from jupyter_exp.config import StoreLocation, sqlite_path
from jupyter_exp.tracking.journal_guard import (
    PRIVATE,
    entry_refusal,
    folder_refusal,
    name_refusal,
    private_dir,
)
from jupyter_exp.tracking.point_columns import Taken, read_document, read_packed

__all__ = [
    "EntryMeta",
    "JournalEntry",
    "Scan",
    "entries",
    "journal_root",
    "same_store",
    "scan",
    "strip_credentials",
]
JOURNAL_ENV = "JUPYTER_EXP_JOURNAL_DIR"
SPOOL_NAME = ".jupyter-exp-journal"
ENTRY = "entry.json"
END = "end.json"
DELIVERED = "delivered.json"
STAGED = "staged"
METRICS = "metrics"


def same_store(uri: str, other: str) -> bool:
    """Whether two tracking URIs name the same store (credentials and an HTTP trailing slash aside)."""

    def plain(value: str) -> str:
        value = strip_credentials(value)
        return value.rstrip("/") if value.startswith(("http://", "https://")) else value

    return plain(uri) == plain(other)


def user_journal_root() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("jupyter-exp", appauthor=False)) / "journal"


def spool_folder(location: StoreLocation) -> Path | None:
    """The spool folder next to a SQLite store (None for any other store)."""
    database = sqlite_path(location.tracking_uri)
    return database.parent / SPOOL_NAME if database is not None else None


def journal_refusal(location: StoreLocation, configured: str = "") -> tuple[Path, str] | None:
    """The journal folder asked for (``JUPYTER_EXP_JOURNAL_DIR``, the configured folder, a spool folder
    next to a SQLite store) and why it is not used, when it is not: someone else's, or a spool that is a
    link (whoever can write to the project folder may have put it there)."""
    chosen = os.environ.get(JOURNAL_ENV) or configured
    if chosen:
        folder = Path(chosen).expanduser()
        why = folder_refusal(folder.resolve())
    else:
        spool = spool_folder(location)
        if spool is None:
            return None
        folder, why = spool, folder_refusal(spool)
    return (folder, why) if why is not None else None


def journal_root(location: StoreLocation, configured: str = "") -> Path:
    """Where the runs of this store are journaled: ``JUPYTER_EXP_JOURNAL_DIR``, the configured folder,
    a spool folder next to a SQLite store, else (and instead of any of those that ``journal_refusal``
    refuses) the user's data folder."""
    chosen = os.environ.get(JOURNAL_ENV) or configured
    if journal_refusal(location, configured) is not None:
        return user_journal_root()
    if chosen:
        return Path(chosen).expanduser()
    return spool_folder(location) or user_journal_root()


def _write_atomically(path: Path, data: bytes | list[bytes] | list[bytes | memoryview]) -> None:
    """``data``, or its chunks in turn (written as they lie: a large record is not joined first)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    if isinstance(data, list):
        with partial.open("wb") as file:
            file.writelines(data)
    else:
        partial.write_bytes(data)
    os.replace(partial, path)


def _dump(document: Any) -> bytes:
    return json.dumps(document, default=str, ensure_ascii=False).encode("utf-8", "surrogateescape")


def _load(path: Path) -> Any:
    return json.loads(path.read_bytes().decode("utf-8", "surrogateescape"))


@dataclass(frozen=True)
class EntryMeta:
    run_id: str
    tracking_uri: str
    experiment_id: str
    host: str
    pid: int
    kernel_id: str | None
    created_ms: int
    expected_artifacts: tuple[str, ...] = ()
    offline: bool = False  # recorded while the store was away: the run is created on delivery
    experiment_name: str | None = None
    run_name: str | None = None


class JournalEntry:
    """One run's folder in the journal (see the module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: Any = None
        self._write_lock = threading.Lock()
        self._sequence = itertools.count()

    # -- life ------------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, meta: EntryMeta) -> JournalEntry:
        """A new entry, held by this process until it is removed or released."""
        entry = cls(private_dir(root) / meta.run_id)
        for folder in (entry.path, entry.path / STAGED, entry.path / METRICS):
            private_dir(folder)
        if not entry.hold():
            raise RuntimeError(f"journal entry {entry.path} is held by another process")
        document = {**meta.__dict__, "expected_artifacts": list(meta.expected_artifacts), "version": 1}
        _write_atomically(entry.path / ENTRY, _dump(document))
        return entry

    def hold(self) -> bool:
        """Take the entry's lock without waiting; False when a live process holds it."""
        from filelock import FileLock, Timeout

        if self._lock is not None:
            return True
        lock = FileLock(str(self.path / "lock"), timeout=0)
        try:
            lock.acquire()
        except (Timeout, FileNotFoundError):
            return False
        self._lock = lock
        return True

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def remove(self) -> None:
        """The store holds everything: the entry goes (its lock last, so nobody completes it twice)."""
        for child in self.path.iterdir():
            if child.name != "lock":
                shutil.rmtree(child) if child.is_dir() else child.unlink(missing_ok=True)
        self.release()
        with contextlib.suppress(OSError):
            (self.path / "lock").unlink()
            self.path.rmdir()

    def set_aside(self, folder: str) -> Path:
        """Move the entry (held) under ``<root>/<folder>/``, out of every later pass; nothing is deleted."""
        target = private_dir(self.path.parent / folder) / self.path.name
        os.replace(self.path, target)
        return target

    @property
    def exists(self) -> bool:
        return (self.path / ENTRY).exists()

    def meta(self) -> EntryMeta:
        document = _load(self.path / ENTRY)
        document.pop("version", None)
        document["expected_artifacts"] = tuple(document.get("expected_artifacts", ()))
        return EntryMeta(**document)

    # -- what the run still needs ------------------------------------------------------------
    def merge(self, name: str, values: dict[str, Any]) -> None:
        """Add params or tags (``params.json`` / ``tags.json``) to what is to be (re)applied."""
        if not values:
            return
        with self._write_lock:
            path = self.path / name
            current = _load(path) if path.exists() else {}
            current.update(values)
            _write_atomically(path, _dump(current))

    def mapping(self, name: str) -> dict[str, Any]:
        path = self.path / name
        return _load(path) if path.exists() else {}

    def stage(self, name: str, data: bytes | list[bytes]) -> None:
        """A nested ``name`` (``figures/figure-1.png``) is staged flat and nested again in its upload; a
        name that would land outside it (absolute, ``..``) is a ValueError."""
        flat = name.replace("/", "%2F")
        why = name_refusal(flat)
        if why is not None:
            raise ValueError(why)
        _write_atomically(self.path / STAGED / flat, data)

    def take_staged(self) -> Path | None:
        """Move what is staged into a new ``upload-N`` folder (None when nothing is staged). Only plain
        files whose names stay inside the folder move: anything else is left where it is."""
        files = [p for p in (self.path / STAGED).iterdir() if not p.name.startswith(".") and _stageable(p)]
        if not files:
            return None
        batch = self.path / f"upload-{time.time_ns()}-{next(self._sequence)}"
        batch.mkdir(mode=PRIVATE)
        for path in files:
            target = batch / path.name.replace("%2F", "/")
            for folder in reversed(target.relative_to(batch).parents[:-1]):
                (batch / folder).mkdir(mode=PRIVATE, exist_ok=True)
            os.replace(path, target)
        return batch

    def uploads(self) -> list[Path]:
        """Upload folders left by a process that did not finish them, oldest first (folders, not links)."""
        return sorted(p for p in self.path.glob("upload-*") if p.is_dir() and not p.is_symlink())

    def spool_points(self, points: list[Any]) -> Path:
        path = self.path / METRICS / f"{time.time_ns()}-{next(self._sequence)}.json"
        _write_atomically(path, json.dumps(points).encode())
        return path

    def spool_columns(self, taken: Taken) -> Path:
        """Points as the writer buffers them (``point_columns``), in one packed write: milliseconds for
        a million."""
        path = self.path / METRICS / f"{time.time_ns()}-{next(self._sequence)}.points"
        _write_atomically(path, taken.packed())
        return path

    def _spooled(self) -> list[Path]:
        folder = self.path / METRICS
        return sorted([*folder.glob("*.json"), *folder.glob("*.points")])

    def spooled_points(self) -> Iterator[tuple[Path, list[tuple[str, float, int, int]]]]:
        for path in self._spooled():
            if path.suffix == ".points":
                yield path, read_packed(path.read_bytes())
                continue
            document = json.loads(path.read_bytes())
            if isinstance(document, dict):
                yield path, list(read_document(document))
            else:
                yield path, [tuple(point) for point in document]

    def delivered_run_id(self) -> str | None:
        """The store's id of an offline run once it was created there (written before anything else is
        sent, so that a second delivery does not create it twice)."""
        path = self.path / DELIVERED
        return _load(path)["run_id"] if path.exists() else None

    def set_delivered_run_id(self, run_id: str) -> None:
        _write_atomically(self.path / DELIVERED, _dump({"run_id": run_id}))

    def write_end(self, status: str, end_time_ms: int) -> None:
        _write_atomically(self.path / END, _dump({"status": status, "end_time_ms": end_time_ms}))

    def end(self) -> dict[str, Any] | None:
        path = self.path / END
        return _load(path) if path.exists() else None

    @property
    def delivered(self) -> bool:
        """Nothing of the run is left here but its end (which the caller sets last)."""
        return not (
            self._spooled()
            or any(p for p in (self.path / STAGED).iterdir() if not p.name.startswith("."))
            or self.uploads()
        )


def journaled_run_ids(roots: Iterable[Path]) -> set[str]:
    """The runs the journals under ``roots`` still hold (their local and their delivered ids): they are the
    journal's to complete with their true status. Read it before searching the store for RUNNING runs: an
    entry is removed only after its run has ended, so a run missed here has ended by then."""
    held: set[str] = set()
    for root in roots:
        for entry in entries(root):
            held.add(entry.path.name)
            try:
                delivered = entry.delivered_run_id()
            except (OSError, ValueError, KeyError):  # a half-written entry: its folder name is enough
                delivered = None
            if delivered:
                held.add(delivered)
    return held


def _stageable(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and name_refusal(path.name) is None


@dataclass
class Scan:
    """A journal root's entries: those that are all the user's own, oldest first, and the others with
    why each is refused (they are never delivered, moved or changed)."""

    trusted: list[JournalEntry]
    refused: list[tuple[Path, str]]


def scan(root: Path) -> Scan:
    """Look at every entry under ``root`` (a missing or unreadable root has none)."""
    found = Scan([], [])
    why = folder_refusal(root.resolve())
    if why is not None:
        found.refused.append((root, f"the journal folder: {why}"))
        return found
    try:
        children = [p for p in root.iterdir() if not p.name.startswith(".")]
    except OSError:
        return found
    kept: list[tuple[float, Path]] = []
    for child in children:
        try:
            info = child.lstat()
            if stat.S_ISREG(info.st_mode) or not (folder_refusal(child) or os.path.lexists(child / ENTRY)):
                continue
        except OSError:
            continue
        why = entry_refusal(child)
        if why is not None:
            found.refused.append((child, why))
        else:
            kept.append((info.st_mtime, child))
    for folder in (root, *(child for _, child in kept)):
        _tighten(folder)
    found.trusted = [JournalEntry(child) for _, child in sorted(kept)]
    return found


def _tighten(folder: Path) -> None:
    """A journal folder of the user's made before folders were private: 0700 now."""
    try:
        if stat.S_IMODE(folder.stat().st_mode) != PRIVATE:
            os.chmod(folder, PRIVATE)
    except OSError:
        pass


def entries(root: Path) -> list[JournalEntry]:
    """The entries under a journal root that are all the user's own, oldest first (``scan``)."""
    return scan(root).trusted


def host_name() -> str:
    return socket.gethostname()
