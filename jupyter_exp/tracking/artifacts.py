"""A run's artifacts read back: in place when the store keeps them on this disk, else through MLflow's
artifact repository of the run.

``None`` means the run has no such artifact; an artifact store that cannot be read (unreachable, refusing,
a path that is no file) raises ``ArtifactStoreError``, so that a store away never reads as "not recorded".
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.outputs import FIGURE_DIR
from jupyter_exp.errors import StoreFailure, one_line

if TYPE_CHECKING:
    from mlflow import MlflowClient


class ArtifactStoreError(StoreFailure):
    """A run's artifact store could not be read: not the same as an artifact the run does not have (502)."""

    @classmethod
    def reading(cls, run_id: str, path: str, error: BaseException) -> ArtifactStoreError:
        return cls(f"the artifacts of run {run_id} cannot be read ({path}): {one_line(error)}")


PROGRESS_BAR_VARIABLE = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


@contextmanager
def quiet_downloads() -> Iterator[None]:
    """No MLflow download bar while a record is read back: with tqdm installed (Optuna brings it) MLflow
    drew "Downloading artifacts" into the output of every ``%reproduce``, a transfer nobody asked to
    watch. A user who set ``MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR`` keeps their choice."""
    if PROGRESS_BAR_VARIABLE in os.environ:
        yield
        return
    os.environ[PROGRESS_BAR_VARIABLE] = "false"
    try:
        yield
    finally:
        os.environ.pop(PROGRESS_BAR_VARIABLE, None)


def _local_artifact_dir(artifact_uri: str | None) -> Path | None:
    if not artifact_uri:
        return None
    parts = urlsplit(artifact_uri)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    if not parts.scheme and Path(artifact_uri).is_absolute():
        return Path(artifact_uri)
    return None


def read_artifact_bytes(
    client: MlflowClient, run_id: str, path: str, artifact_uri: str | None = None
) -> bytes | None:
    """One artifact of a run, ``None`` when the run has none by that name; ``ArtifactStoreError`` when the
    artifact store cannot be read.

    With the run's ``artifact_uri`` at hand and local, the file is read in place (``download_artifacts``
    costs a run lookup and a copy, ~40 ms); otherwise MLflow downloads it, from the run's artifact
    repository when ``artifact_uri`` is known (one request fewer: the run is not looked up).
    """
    local = _local_artifact_dir(artifact_uri)
    if local is not None:
        base = local.resolve()
        target = base / path
        if target.is_symlink() or not target.resolve().is_relative_to(base):
            return None  # a link or a path leading out of the run's artifacts is not followed
        try:
            return target.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ArtifactStoreError.reading(run_id, path, error) from None
    with tempfile.TemporaryDirectory(prefix="jupyter-exp-artifact-") as folder, quiet_downloads():
        try:
            if artifact_uri:  # the run's repository at once: no request for the run itself
                from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

                repository = get_artifact_repository(artifact_uri, tracking_uri=client.tracking_uri)
                return Path(repository.download_artifacts(path, folder)).read_bytes()
            return Path(client.download_artifacts(run_id, path, folder)).read_bytes()
        except Exception as error:
            failure = error
    if artifact_uri is None:  # MLflow says the same of a missing file and a broken local store: look
        try:
            artifact_uri = client.get_run(run_id).info.artifact_uri
        except Exception as error:
            raise ArtifactStoreError.reading(run_id, path, error) from None
        if _local_artifact_dir(artifact_uri) is not None:
            return read_artifact_bytes(client, run_id, path, artifact_uri)
    if _listed_without(client, run_id, path):
        return None
    raise ArtifactStoreError.reading(run_id, path, failure) from None


def _listed_without(client: MlflowClient, run_id: str, path: str) -> bool:
    """After a failed download: whether the store answers, and lists the artifact's folder without it (a
    missing artifact), rather than failing again (a store that cannot be read)."""
    folder = path.rpartition("/")[0] or None
    try:
        listed = client.list_artifacts(run_id, folder)
    except Exception:
        return False
    return all(item.path != path for item in listed)


def read_artifact(
    client: MlflowClient, run_id: str, path: str, artifact_uri: str | None = None
) -> str | None:
    """One text artifact of a run, ``None`` when it has none; ``ArtifactStoreError`` when the store fails."""
    data = read_artifact_bytes(client, run_id, path, artifact_uri)
    return data.decode("utf-8") if data is not None else None


def read_figures(client: MlflowClient, run_id: str, artifact_uri: str | None = None) -> dict[str, bytes]:
    """A run's ``figures/``: artifact name (``figures/figure-1.png``) -> file content; ``ArtifactStoreError``
    when the store cannot list them."""
    folder = f"{schema.ARTIFACT_DIR}/{FIGURE_DIR}"
    try:
        listed = client.list_artifacts(run_id, folder)
    except Exception as error:
        raise ArtifactStoreError.reading(run_id, folder, error) from None
    figures = {}
    for item in listed:
        data = None if item.is_dir else read_artifact_bytes(client, run_id, item.path, artifact_uri)
        if data is not None:
            figures[item.path.removeprefix(f"{schema.ARTIFACT_DIR}/")] = data
    return figures
