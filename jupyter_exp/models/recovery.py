"""Checkpoints a kernel wrote to the journal's ``.checkpoints/`` but did not deliver before it died: the
next ``jupyter-exp sync`` (started by the next ``%load_ext``) delivers them to the store they were meant for.
The pending documents are read as data (JSON, checked fields), never executed."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_exp.config import JupyterExp
from jupyter_exp.models import formats
from jupyter_exp.models.checkpoints import PENDING, PENDING_FILE, deliver_folder, prune
from jupyter_exp.tracking.journal import same_store

if TYPE_CHECKING:
    from mlflow import MlflowClient


def pending_folders(journal_root: Path) -> list[Path]:
    folder = journal_root / PENDING
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and (p / PENDING_FILE).is_file()
    )


def _alive_here(document: dict[str, Any]) -> bool:
    """Whether the kernel that wrote it still runs (it delivers its own)."""
    if document.get("host") != socket.gethostname() or not isinstance(document.get("pid"), int):
        return False
    try:
        os.kill(document["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _checked(document: Any) -> dict[str, Any]:
    metadata = document.get("metadata") if isinstance(document, dict) else None
    if not isinstance(metadata, dict):
        raise formats.CheckpointError("no metadata")
    if metadata.get("format") not in formats.FILES or not isinstance(metadata.get("step"), int):
        raise formats.CheckpointError("an unknown format or step")
    if not isinstance(metadata.get("run_id"), str) or not isinstance(metadata.get("metrics"), dict):
        raise formats.CheckpointError("no run id or metrics")
    if not isinstance(metadata.get("config"), dict):
        metadata["config"] = {}
    metadata.setdefault("objective", None)
    return metadata


def deliver_pending(
    client: MlflowClient, journal_root: Path, tracking_uri: str
) -> tuple[list[str], list[str]]:
    """Deliver the dead kernels' checkpoints meant for ``tracking_uri``: the model ids delivered, and one
    line for each that failed (left on disk for the next try)."""
    delivered, failed = [], []
    for folder in pending_folders(journal_root):
        try:
            document = json.loads((folder / PENDING_FILE).read_text())
            if not isinstance(document, dict) or not same_store(
                str(document.get("tracking_uri", "")), tracking_uri
            ):
                continue
            if _alive_here(document):
                continue
            metadata = _checked(document)
            run = client.get_run(metadata["run_id"])
            model_id, _ = deliver_folder(client, run, folder, metadata)
            keep = document.get("keep")
            if isinstance(keep, list) and len(keep) == 2 and all(isinstance(k, int) for k in keep):
                settings = JupyterExp(checkpoint_keep_last=keep[0], checkpoint_keep_best=keep[1])
                prune(client, run.info.experiment_id, run.info.run_id, settings)
            delivered.append(model_id)
        except Exception as error:
            lines = str(error).strip().splitlines()
            failed.append(f"{folder.name}: {lines[0] if lines else type(error).__name__}")
    return delivered, failed
