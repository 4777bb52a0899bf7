"""The notebook recorded with a run, as *Open snapshot* shows it (``GET /jupyter-exp/runs/<id>/snapshot``).

Whoever can write to the store is untrusted, so the recorded notebook is served with every cell marked
untrusted (JupyterLab then sanitizes it like any notebook its notary does not know), at most ``max_bytes`` of
it (``SnapshotTooLarge``: 413), and parsed in a child process (``snapshot_worker.py``): json holds the GIL
while it parses, so a thread would still stop the server's event loop, and the parsed document would stay in
the server's memory.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from mlflow import MlflowClient

from jupyter_exp.errors import JupyterExpError, NotFound, UpstreamFailure
from jupyter_exp.query.listing import get_run
from jupyter_exp.record_schema import ARTIFACT_DIR, NOTEBOOK
from jupyter_exp.server import snapshot_worker

SNAPSHOT = f"{ARTIFACT_DIR}/{NOTEBOOK}"
WORKER = Path(snapshot_worker.__file__)
DEFAULT_MAX_MB = 50.0


class SnapshotTooLarge(JupyterExpError):
    """The snapshot is larger than this server opens."""

    http_status = 413


class SnapshotCorrupt(UpstreamFailure):
    """What the store holds as the snapshot is no notebook (502: the store's answer is unusable)."""


def _too_large(run_id: str, size: int, max_bytes: int) -> SnapshotTooLarge:
    return SnapshotTooLarge(
        f"run {run_id}: its notebook snapshot is {size / 1e6:.1f} MB, more than the {max_bytes / 1e6:g} MB "
        f"this server opens (c.JupyterExpApp.snapshot_max_mb); download {SNAPSHOT} from the run's artifacts"
    )


def _check_size(run_id: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise _too_large(run_id, size, max_bytes)


def locate_snapshot(client: MlflowClient, run_id: str, folder: Path, max_bytes: int) -> Path:
    """Blocking: the run's notebook as a file on this machine, read in place from a local store, else
    downloaded into ``folder``; its size is checked before it is downloaded when the store tells it."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    run = get_run(client, run_id)  # 404 for an unknown run
    missing = NotFound(f"run {run_id} has no notebook snapshot")
    repository: Any = get_artifact_repository(run.info.artifact_uri, tracking_uri=client.tracking_uri)
    if isinstance(repository, LocalArtifactRepository):
        folder_of_run = Path(repository.artifact_dir).resolve()
        path = folder_of_run / SNAPSHOT
        # not a device, a FIFO or a folder planted there, nor a link to a file outside the run's artifacts
        if path.is_symlink() or not path.is_file() or not path.resolve().is_relative_to(folder_of_run):
            raise missing
        _check_size(run_id, path.stat().st_size, max_bytes)
        return path
    listed = {item.path: item for item in repository.list_artifacts(ARTIFACT_DIR)}
    item = listed.get(SNAPSHOT)
    if item is None or item.is_dir:
        raise missing
    if item.file_size is not None:
        _check_size(run_id, int(item.file_size), max_bytes)
    path = Path(repository.download_artifacts(SNAPSHOT, str(folder)))
    _check_size(run_id, path.stat().st_size, max_bytes)
    return path


async def write_untrusted(run_id: str, source: Path, target: Path, max_bytes: int) -> None:
    """``source`` parsed in a child process and written to ``target`` with every cell untrusted.
    Not a notebook: ``SnapshotCorrupt`` (502); too large to parse: ``SnapshotTooLarge`` (413)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",
        str(WORKER),
        str(source),
        str(target),
        str(max_bytes),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await process.communicate()
    except BaseException:  # cancelled: the child goes too
        process.kill()
        await process.wait()
        raise
    reason = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [
        f"exit status {process.returncode}"
    ]
    if process.returncode == snapshot_worker.CORRUPT:
        raise SnapshotCorrupt(f"run {run_id}: its notebook snapshot is corrupt ({reason[0]})")
    if process.returncode == snapshot_worker.TOO_LARGE:
        raise SnapshotTooLarge(f"run {run_id}: its notebook snapshot is too large to open ({reason[0]})")
    if process.returncode != 0:
        raise JupyterExpError(f"run {run_id}: reading its notebook snapshot failed ({reason[0]})")
