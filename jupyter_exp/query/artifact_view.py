"""One artifact of a run, read for JupyterLab's viewers: text, JSON, an image or a notebook.

What a store holds is untrusted: the content is data for a read-only viewer (a notebook's cells are marked
untrusted, nothing is unpickled or run), links are not followed (tracking/artifacts.py), a path leaving the
run's artifacts is refused, and a file over the cap is refused before it is read.
"""

from __future__ import annotations

import base64
import json
import posixpath
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from jupyter_exp.errors import BadRequest, JupyterExpError, NotFound
from jupyter_exp.tracking.artifacts import ArtifactStoreError, read_artifact_bytes
from jupyter_exp.tracking.manage import existing_run

if TYPE_CHECKING:
    from mlflow import MlflowClient

DEFAULT_MAX_BYTES = 20_000_000
IMAGES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",  # shown by an <img>: no script of it runs
    ".bmp": "image/bmp",
}
Kind = Literal["text", "json", "image", "notebook"]


class ArtifactTooLarge(JupyterExpError):
    http_status = 413


class NotViewable(JupyterExpError):
    """A binary file none of the viewers shows."""

    http_status = 415


class ArtifactContent(TypedDict):
    """``GET /jupyter-exp/runs/<run_id>/artifact?path=...`` (``IArtifactContent``)."""

    run_id: str
    path: str
    kind: Kind
    mimetype: str
    format: Literal["text", "base64", "json"]
    content: Any
    size: int


def check_artifact_path(path: str) -> str:
    """A relative path inside the run's artifacts (``a/b.json``); anything else is a 400."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise BadRequest(f"artifact path {path[:100]!r}: give a path relative to the run's artifacts")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise BadRequest(f"artifact path {path[:100]!r}: no '.', '..' or empty parts")
    return path


def untrusted_notebook(document: Any) -> Any:
    """The notebook with every cell marked untrusted, whatever the stored file says."""
    if isinstance(document, dict) and isinstance(document.get("cells"), list):
        for cell in document["cells"]:
            if isinstance(cell, dict):
                metadata = cell.get("metadata")
                cell["metadata"] = {**(metadata if isinstance(metadata, dict) else {}), "trusted": False}
    return document


def _size(client: MlflowClient, run_id: str, path: str) -> int | None:
    """The artifact's size from its folder's listing; ``NotFound`` when the folder does not list it as a file."""
    folder = posixpath.dirname(path) or None
    try:
        listed = client.list_artifacts(run_id, folder)
    except Exception as error:
        raise ArtifactStoreError.reading(run_id, path, error) from None
    item = next((item for item in listed if item.path == path), None)
    if item is None:
        raise NotFound(f"run {run_id} has no artifact {path!r}")
    if item.is_dir:
        raise BadRequest(f"artifact {path!r} of run {run_id} is a folder")
    return item.file_size


def artifact_content(
    client: MlflowClient, run_id: str, path: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> ArtifactContent:
    """The artifact as a viewer takes it: ``kind`` decides the viewer, ``format`` how ``content`` is coded."""
    check_artifact_path(path)
    run = existing_run(client, run_id)
    size = _size(client, run_id, path)
    if size is not None and size > max_bytes:
        raise ArtifactTooLarge(
            f"artifact {path!r} is {size} bytes, over the {max_bytes}-byte cap of the viewer"
        )
    data = read_artifact_bytes(client, run_id, path, run.info.artifact_uri)
    if data is None:  # a link, or a path that leads out of the run's artifacts
        raise NotFound(f"run {run_id} has no artifact {path!r} that can be opened (links are not followed)")
    if len(data) > max_bytes:
        raise ArtifactTooLarge(f"artifact {path!r} is over the {max_bytes}-byte cap of the viewer")
    extension = posixpath.splitext(path)[1].lower()

    def answer(
        kind: Kind, mimetype: str, coded: Literal["text", "base64", "json"], content: Any
    ) -> ArtifactContent:
        return {
            "run_id": run_id,
            "path": path,
            "kind": kind,
            "mimetype": mimetype,
            "format": coded,
            "content": content,
            "size": len(data),
        }

    if extension in IMAGES:
        return answer("image", IMAGES[extension], "base64", base64.b64encode(data).decode("ascii"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotViewable(f"artifact {path!r} is binary: download it with MLflow to open it") from None
    if extension in (".json", ".ipynb"):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            document = None
        if extension == ".ipynb" and isinstance(document, dict) and document.get("nbformat") == 4:
            return answer("notebook", "application/x-ipynb+json", "json", untrusted_notebook(document))
        if extension == ".json" and document is not None:
            return answer("json", "application/json", "text", text)
    return answer("text", "text/plain", "text", text)
