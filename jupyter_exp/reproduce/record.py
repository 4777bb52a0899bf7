"""A run record read back from MLflow: everything a replay and its verification need."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture import rng_codec, rng_history
from jupyter_exp.capture.seeds import parse_settings
from jupyter_exp.reproduce.errors import LegacyRecord, RecordIncomplete, RecordNotFound, ReproduceStoreFailure
from jupyter_exp.reproduce.verify import Produced
from jupyter_exp.tracking.artifacts import quiet_downloads, read_artifact, read_figures

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run


@dataclass
class RunRecord:
    run: Run
    history: list[dict[str, Any]]
    files: Path  # the downloaded jupyter_exp/ artifacts
    outputs: dict[str, Any] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    rng_history: Mapping[int, str] = field(default_factory=dict)  # execution count -> states (rng_codec JSON)

    @property
    def run_id(self) -> str:
        run_id: str = self.run.info.run_id
        return run_id

    @property
    def tags(self) -> dict[str, str]:
        return self.run.data.tags

    @property
    def name(self) -> str:
        return self.run.info.run_name or self.run_id

    @property
    def target(self) -> dict[str, Any]:
        """The tracked cell itself: the last history entry."""
        return self.history[-1]

    @property
    def seed(self) -> int | None:
        value = self.tags.get(schema.SEED)
        return int(value) if value not in (None, "", "None") else None

    @property
    def determinism(self) -> dict[str, str]:
        """The determinism settings in force while the cell ran (``jupyter_exp.determinism``)."""
        return parse_settings(self.tags.get(schema.DETERMINISM, ""))

    def rng_states(self, execution_count: int) -> str | None:
        """The states recorded before that history entry, as the ``rng_codec`` JSON a replay kernel takes."""
        return self.rng_history.get(execution_count)

    def text(self, name: str) -> str | None:
        path = self.files / name
        return path.read_text(encoding="utf-8") if path.exists() else None

    def requirements(self) -> dict[str, str]:
        pins = {}
        for line in (self.text(schema.REQUIREMENTS) or "").splitlines():
            name, sep, version = line.partition("==")
            if sep:
                pins[name.strip().lower()] = version.strip()
        return pins


def _json(path: Path, run_id: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:  # nested past the parser's stack: corrupt
        raise RecordIncomplete(
            f"run {run_id}: {schema.ARTIFACT_DIR}/{path.name} is corrupt ({error})"
        ) from None


@dataclass(frozen=True)
class StoredRun:
    """A run as the store lists it: the run with its tags, and the names of its ``jupyter_exp/`` artifacts."""

    run: Run
    artifacts: frozenset[str]


def fetch_run(client: MlflowClient, run_id: str) -> StoredRun:
    """The run and the names of its record's artifacts, nothing downloaded: who recorded it is checked on
    this before any artifact is read; a one-line error when it holds no record to replay."""
    from mlflow.exceptions import MlflowException

    run_id = run_id.strip()
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise RecordNotFound(f"no run with id {run_id!r} in {client.tracking_uri}") from None
    try:
        listed = frozenset(Path(a.path).name for a in client.list_artifacts(run_id, schema.ARTIFACT_DIR))
    except Exception as error:
        raise ReproduceStoreFailure(f"run {run_id}: its artifacts cannot be read ({error})") from None
    if schema.HISTORY not in listed:
        if schema.VERSION in run.data.tags:
            raise RecordIncomplete(
                f"run {run_id} was recorded by %%track but its artifacts are missing from {run.info.artifact_uri}"
            )
        raise RecordIncomplete(
            f"run {run_id} has no {schema.ARTIFACT_DIR}/{schema.HISTORY}: it was not recorded by %%track "
            "(e.g. by plain MLflow), so there is nothing to replay"
        )
    return StoredRun(run, listed)


def load_record(client: MlflowClient, stored: StoredRun, workdir: Path | None = None) -> RunRecord:
    """Download the run's ``jupyter_exp/`` artifacts (``fetch_run`` first) and read them as data: JSON
    with a shape check, never a pickle; a one-line error when the run cannot be replayed."""
    run, run_id = stored.run, stored.run.info.run_id
    files = Path(workdir or tempfile.mkdtemp(prefix="jupyter-exp-record-"))
    if schema.LEGACY_RNG_HISTORY in stored.artifacts and schema.RNG_HISTORY not in stored.artifacts:
        raise LegacyRecord(
            f"run {run_id} keeps its generator states as a pickle ({schema.ARTIFACT_DIR}/{schema.LEGACY_RNG_HISTORY}, "
            "written by an earlier jupyter-exp), which is never loaded because loading one can run code: "
            "run the cell again to record a run that can be reproduced"
        )
    try:
        with quiet_downloads():
            local = Path(client.download_artifacts(run_id, schema.ARTIFACT_DIR, str(files)))
    except Exception as error:
        raise ReproduceStoreFailure(f"run {run_id}: downloading its artifacts failed ({error})") from None
    history = _json(local / schema.HISTORY, run_id)
    if (
        not isinstance(history, list)
        or not history
        or not all(isinstance(e, dict) and isinstance(e.get("source"), str) for e in history)
    ):
        raise RecordIncomplete(
            f"run {run_id}: {schema.ARTIFACT_DIR}/{schema.HISTORY} is corrupt (no list of cells)"
        )
    record = RunRecord(run=run, history=history, files=local)
    for name, attribute in (
        (schema.OUTPUTS, "outputs"),
        (schema.CONFIG, "config"),
        (schema.ENVIRONMENT, "environment"),
    ):
        if (local / name).exists():
            setattr(record, attribute, _json(local / name, run_id))
    if (local / schema.RNG_HISTORY).exists():
        record.rng_history = _rng_history(_json(local / schema.RNG_HISTORY, run_id), run_id)
    return record


def _rng_history(document: Any, run_id: str) -> Mapping[int, str]:
    """``rng_history.json`` read and checked whole (format 1 or 2): execution count -> that entry's states
    as the ``rng_codec`` JSON a replay kernel takes."""
    try:
        return rng_history.read(document)
    except rng_codec.StateFormatError as error:
        raise RecordIncomplete(
            f"run {run_id}: {schema.ARTIFACT_DIR}/{schema.RNG_HISTORY} is corrupt ({error})"
        ) from None


def read_json(client: MlflowClient, run_id: str, name: str, artifact_uri: str | None = None) -> Any:
    """A run's ``jupyter_exp/<name>`` JSON document, ``None`` when it has none; ``ArtifactStoreError`` when
    its artifact store cannot be read."""
    text = read_artifact(client, run_id, f"{schema.ARTIFACT_DIR}/{name}", artifact_uri)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise RecordIncomplete(f"run {run_id}: {schema.ARTIFACT_DIR}/{name} is corrupt ({error})") from None


def metric_series(client: MlflowClient, run: Run) -> dict[str, list[tuple[int, float]]]:
    """Every non-system metric of a run as ``(step, value)`` in step order."""
    run_id = run.info.run_id
    series = {}
    for key in sorted(run.data.metrics):
        if key.startswith(schema.SYSTEM_PREFIX):
            continue
        history = client.get_metric_history(run_id, key)
        series[key] = [(m.step, m.value) for m in sorted(history, key=lambda m: (m.step, m.timestamp))]
    return series


def read_produced(client: MlflowClient, run_id: str) -> Produced:
    """What a run produced, as the verdict compares it; ``ArtifactStoreError`` when its artifact store cannot
    be read (never read as a run that recorded nothing)."""
    run = client.get_run(run_id)
    uri = run.info.artifact_uri
    return Produced(
        metric_series(client, run),
        read_json(client, run_id, schema.OUTPUTS, uri),
        read_figures(client, run_id, uri),
        read_json(client, run_id, schema.STATE, uri),
        run.data.tags.get(schema.ENTROPY_UNREPLAYABLE, ""),
        read_json(client, run_id, schema.ENVIRONMENT, uri),
        dict(run.data.tags),
    )
