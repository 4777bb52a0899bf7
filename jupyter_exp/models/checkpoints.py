"""``jupyter_exp.checkpoint()``: a tracked cell's model state as an MLflow ``LoggedModel`` linked to the run
and step, its metrics linked by model id, a sha256 of the state file and the metadata reviewers ask for.

The state file is pickle-free (models/formats.py); the requirements are written from the installed
versions, so MLflow infers nothing (its inference cost 16-21 s a call here). Retention keeps the run's
last N checkpoints and its best K by the objective metric.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture import rng_codec, seeds
from jupyter_exp.capture.environment import package_versions
from jupyter_exp.config import JupyterExp
from jupyter_exp.models import formats
from jupyter_exp.stats.direction import lower_is_better, lower_is_better_rule
from jupyter_exp.track import active as _active
from jupyter_exp.tracking import priority
from jupyter_exp.tracking.finisher import FINISHER
from jupyter_exp.tracking.journal_guard import private_dir
from jupyter_exp.tracking.recovery import PENDING_CHECKPOINTS

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import LoggedModel

MODEL_TYPE = "jupyter-exp-checkpoint"
REQUIREMENTS = {formats.TORCH: ("torch", "numpy"), formats.SKOPS: ("scikit-learn", "skops", "numpy", "scipy")}
MAX_LISTED = 1000
PENDING_FILE = "pending.json"
# beside the journal's entries (a dot: not an entry): checkpoints not yet delivered, one folder each
PENDING = PENDING_CHECKPOINTS


class Checkpoint:
    """A checkpoint ``checkpoint()`` took: written to the journal at once, delivered to the store by the
    background finisher (``model_id`` waits for that; ``seconds``: what it cost the cell)."""

    def __init__(self, run_id: str, step: int, metrics: dict[str, float], seconds: float) -> None:
        self.run_id, self.step, self.metrics, self.seconds = run_id, step, metrics, seconds
        self.sha256: str | None = None
        self.error: str | None = None
        self._model_id: str | None = None
        self._done = threading.Event()

    def delivered(self, model_id: str | None, sha256: str | None, error: str | None = None) -> None:
        self._model_id, self.sha256, self.error = model_id, sha256, error
        self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        with priority.hurry():
            return self._done.wait(timeout)

    @property
    def model_id(self) -> str:
        """The LoggedModel's id, once delivered (waits for it)."""
        self.wait()
        if self._model_id is None:
            raise formats.CheckpointError(f"checkpoint at step {self.step} was not delivered: {self.error}")
        return self._model_id

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:g}" for k, v in self.metrics.items())
        where = self._model_id or ("failed" if self.error else "pending")
        return f"<checkpoint {where} of run {self.run_id} at step {self.step}{': ' + shown if shown else ''}>"


def objective_of(settings: JupyterExp, metrics: dict[str, float]) -> str | None:
    return settings.objective or next(iter(metrics), None)


def checkpoint(
    settings: JupyterExp,
    model: Any,
    step: int,
    optimizer: Any = None,
    scheduler: Any = None,
    **metrics: float,
) -> Checkpoint:
    """Log ``model`` (and ``optimizer``/``scheduler`` state) of the tracked cell running now at ``step``.

    The cell pays for the state file and the generator states only: both go to the journal (a checkpoint
    survives a store that is away); the hash, the metadata and the store writes run on the finisher."""
    started = time.perf_counter()
    cell, recorder = _active.cell, _active.recorder
    if cell is None or recorder is None:
        raise formats.CheckpointError(
            "jupyter_exp.checkpoint() records into a run: call it inside a %%track cell"
        )
    if recorder.offline:
        raise formats.CheckpointError("the store cannot be reached: checkpoints need it (the run is offline)")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise formats.CheckpointError(f"step must be a non-negative int, not {step!r}")
    values = {str(k): float(v) for k, v in metrics.items()}
    fmt = formats.format_of(model)
    pending = private_dir(recorder.entry.path.parent / PENDING)
    folder = Path(tempfile.mkdtemp(prefix=f"{recorder.run_id}-{step}-", dir=pending))
    try:
        state = formats.save(fmt, model, optimizer, scheduler, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    metadata = {
        "format": fmt,
        "file": state.name,
        "step": step,
        "metrics": values,
        "objective": objective_of(settings, values),
        "run_id": recorder.run_id,
        "config": dict(cell.params),
        "seed": cell.seed,
        "notebook": cell.notebook_rel,
        "cell_id": cell.cell_id,
        "training_time_s": round(started - _active.started_s, 3),
        "has_optimizer": optimizer is not None,
        "has_scheduler": scheduler is not None,
        "rng_states": rng_codec.encode(seeds.global_rng_states()),
    }
    # what a later process needs to deliver it when this kernel dies first (models/recovery.py)
    pending_document = {
        "metadata": metadata,
        "tracking_uri": cell.location.tracking_uri,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "keep": [settings.checkpoint_keep_last, settings.checkpoint_keep_best],
    }
    write_pending(folder, pending_document)
    handle = Checkpoint(recorder.run_id, step, values, 0.0)

    def deliver() -> None:
        try:
            run = recorder.store_run()  # waits for MLflow's import when the run was created directly
            model_id, digest = deliver_folder(recorder.client, run, folder, metadata)
            prune(recorder.client, run.info.experiment_id, recorder.run_id, settings)
        except Exception as error:
            lines = str(error).strip().splitlines()
            handle.delivered(None, None, lines[0] if lines else type(error).__name__)
            raise
        handle.delivered(model_id, digest)

    FINISHER.submit(deliver)
    handle.seconds = time.perf_counter() - started
    return handle


def write_pending(folder: Path, document: dict[str, Any]) -> None:
    partial = folder / f".{PENDING_FILE}.partial"
    partial.write_text(json.dumps(document))
    os.replace(partial, folder / PENDING_FILE)


def deliver_folder(client: MlflowClient, run: Any, folder: Path, metadata: dict[str, Any]) -> tuple[str, str]:
    """Hash, metadata, requirements, then the LoggedModel; the folder is removed once the store holds it.
    Its id and the sha256."""
    fmt, step, values = metadata["format"], int(metadata["step"]), metadata["metrics"]
    state = folder / formats.FILES[fmt]
    digest = formats.sha256(state)
    tags = run.data.tags
    pins = package_versions(REQUIREMENTS[fmt])
    metadata.update(
        sha256=digest, git_commit=tags.get(schema.GIT_COMMIT), user=tags.get(schema.USER), packages=pins
    )
    (folder / schema.CHECKPOINT_METADATA).write_text(json.dumps(metadata, indent=1))
    (folder / "requirements.txt").write_text("".join(f"{name}=={pins[name]}\n" for name in pins))
    model_tags = {
        schema.CHECKPOINT_STEP: str(step),
        schema.CHECKPOINT_SHA256: digest,
        schema.CHECKPOINT_FORMAT: fmt,
    }
    objective = metadata["objective"]
    if objective is not None and objective in values:
        model_tags[schema.CHECKPOINT_OBJECTIVE] = objective
        model_tags[schema.CHECKPOINT_OBJECTIVE_VALUE] = repr(values[objective])
    upload = folder / "upload"  # the pending document stays out of the model's artifacts
    upload.mkdir(exist_ok=True)
    for name in (state.name, schema.CHECKPOINT_METADATA, "requirements.txt"):
        os.replace(folder / name, upload / name)
    try:
        model_id = _log(client, run, run.info.run_id, step, values, model_tags, metadata["config"], upload)
    finally:
        for name in (state.name, schema.CHECKPOINT_METADATA, "requirements.txt"):
            if (upload / name).exists():
                os.replace(upload / name, folder / name)
    shutil.rmtree(folder, ignore_errors=True)
    return model_id, digest


def _log(
    client: MlflowClient,
    run: Any,
    run_id: str,
    step: int,
    metrics: dict[str, float],
    tags: dict[str, str],
    params: dict[str, str],
    folder: Path,
) -> str:
    from mlflow.entities import LoggedModelOutput, LoggedModelStatus, Metric

    logged = client.create_logged_model(
        experiment_id=run.info.experiment_id,
        name=f"checkpoint-{step}",
        source_run_id=run_id,
        tags=tags,
        params=dict(params),
        model_type=MODEL_TYPE,
    )
    model_id = logged.model_id
    try:
        client.log_model_artifacts(model_id, str(folder))
        now = int(time.time() * 1000)
        if metrics:
            client.log_batch(
                run_id, metrics=[Metric(k, v, now, step, model_id=model_id) for k, v in metrics.items()]
            )
        client.log_outputs(run_id, [LoggedModelOutput(model_id, step)])
        client.finalize_logged_model(model_id, LoggedModelStatus.READY)
    except BaseException:
        client.finalize_logged_model(model_id, LoggedModelStatus.FAILED)  # nothing half-written counts
        raise
    return model_id


def run_checkpoints(client: MlflowClient, experiment_id: str, run_id: str) -> list[LoggedModel]:
    """The run's finished checkpoints, by step."""
    from mlflow.entities import LoggedModelStatus

    found = client.search_logged_models(
        [experiment_id], filter_string=f"source_run_id = '{run_id}'", max_results=MAX_LISTED
    )
    kept = [m for m in found if schema.CHECKPOINT_STEP in m.tags and m.status == LoggedModelStatus.READY]
    return sorted(kept, key=lambda m: int(m.tags[schema.CHECKPOINT_STEP]))


def ranked(models: list[LoggedModel], settings: JupyterExp) -> list[LoggedModel]:
    """Checkpoints best first by their objective (those without one last, newest first among equals)."""
    scored = [m for m in models if schema.CHECKPOINT_OBJECTIVE_VALUE in m.tags]
    rest = [m for m in models if schema.CHECKPOINT_OBJECTIVE_VALUE not in m.tags]
    if not scored:
        return list(reversed(models))
    rule = lower_is_better_rule(settings.lower_is_better or None)
    lower = lower_is_better(scored[0].tags[schema.CHECKPOINT_OBJECTIVE], rule)

    def key(m: LoggedModel) -> tuple[float, int]:
        value = float(m.tags[schema.CHECKPOINT_OBJECTIVE_VALUE])
        return (value if lower else -value, -int(m.tags[schema.CHECKPOINT_STEP]))

    return sorted(scored, key=key) + list(reversed(rest))


def prune(client: MlflowClient, experiment_id: str, run_id: str, settings: JupyterExp) -> list[str]:
    """Delete the run's checkpoints that are neither among its last N nor its best K; their ids."""
    if settings.checkpoint_keep_last <= 0:
        return []
    models = run_checkpoints(client, experiment_id, run_id)
    keep = {m.model_id for m in models[-settings.checkpoint_keep_last :]}
    keep |= {m.model_id for m in ranked(models, settings)[: max(settings.checkpoint_keep_best, 0)]}
    dropped = [m.model_id for m in models if m.model_id not in keep]
    for model_id in dropped:
        client.delete_logged_model(model_id)
    return dropped
