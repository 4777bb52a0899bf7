"""``jupyter_exp.resume(ref)``: a checkpoint's states back, and the generator states saved with it, so
training goes on as if it had not stopped. Loading is loading code: state dicts only, the file's sha256
checked first, and a checkpoint recorded by another user refused unless confirmed."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture import rng_codec, seeds
from jupyter_exp.config import JupyterExp
from jupyter_exp.errors import NotFound
from jupyter_exp.models import formats
from jupyter_exp.models.checkpoints import ranked, run_checkpoints
from jupyter_exp.reproduce.provenance import check_recorder
from jupyter_exp.track import active as _active
from jupyter_exp.tracking.finisher import wait_for_runs
from jupyter_exp.tracking.store import REFUSAL_CODES

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import LoggedModel

MODEL_ID = re.compile(r"^m-[0-9a-f]{8,}$")


@dataclass
class Resumed:
    """A checkpoint read back. ``model`` is the object given (its state loaded), else the state dict (a
    scikit-learn checkpoint: the estimator); the same for ``optimizer`` and ``scheduler``."""

    model_id: str
    run_id: str
    step: int
    metrics: dict[str, float]
    model: Any
    optimizer: Any = None
    scheduler: Any = None
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)


def find_checkpoint(
    client: MlflowClient, ref: str, settings: JupyterExp, last_run_id: str | None
) -> LoggedModel:
    """A checkpoint by model id, ``RUN@STEP``, ``RUN@best``, ``RUN`` (its best) or ``best`` (the best of
    this kernel's last tracked run)."""
    from mlflow.exceptions import MlflowException

    ref = ref.strip()
    if MODEL_ID.match(ref):
        try:
            return client.get_logged_model(ref)
        except MlflowException as error:
            if error.error_code in REFUSAL_CODES:  # the store refuses this user: said as it is
                raise
            raise NotFound(f"no checkpoint {ref}") from None
    run_ref, _, step = ref.partition("@")
    if run_ref in ("best", "last"):
        if last_run_id is None:
            raise NotFound(f"{run_ref!r}: no tracked cell ran in this kernel yet; name the run (RUN@best)")
        run_ref, step = last_run_id, step or "best"
    try:
        run = client.get_run(run_ref)
    except MlflowException as error:
        if error.error_code in REFUSAL_CODES:
            raise
        raise NotFound(f"no run {run_ref}") from None
    models = run_checkpoints(client, run.info.experiment_id, run_ref)
    if not models:
        raise NotFound(f"run {run_ref} has no checkpoints")
    if step in ("", "best"):
        return ranked(models, settings)[0]
    if step == "last":
        return models[-1]
    match = [m for m in models if m.tags[schema.CHECKPOINT_STEP] == step]
    if not match:
        kept = ", ".join(m.tags[schema.CHECKPOINT_STEP] for m in models)
        raise NotFound(f"run {run_ref} has no checkpoint at step {step} (kept: {kept})")
    return match[-1]


def source_run_id(logged: LoggedModel) -> str:
    """The run a checkpoint came from (a LoggedModel without one is no checkpoint of this project)."""
    if not logged.source_run_id or schema.CHECKPOINT_STEP not in logged.tags:
        raise NotFound(f"{logged.model_id} is not a checkpoint of a tracked run")
    return str(logged.source_run_id)


def download(logged: LoggedModel, folder: Path) -> Path:
    import mlflow.artifacts

    return Path(
        mlflow.artifacts.download_artifacts(artifact_uri=logged.artifact_location, dst_path=str(folder))
    )


def resume(
    client: MlflowClient,
    settings: JupyterExp,
    ref: str,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
    confirm: bool = False,
) -> Resumed:
    wait_for_runs()  # checkpoints this kernel took are delivered in the background
    replayed = _replayed_start(client)
    logged = find_checkpoint(client, replayed or ref, settings, _active.last_run_id)
    run_id = source_run_id(logged)
    run = client.get_run(run_id)
    check_recorder(run, confirm)  # another user's checkpoint is their code's output: asked first
    with tempfile.TemporaryDirectory(prefix="jupyter-exp-resume-") as tmp:
        folder = download(logged, Path(tmp))
        try:
            metadata = json.loads((folder / schema.CHECKPOINT_METADATA).read_text())
        except (OSError, ValueError) as error:
            raise formats.CheckpointError(
                f"checkpoint {logged.model_id} has no readable metadata: {error}"
            ) from None
        fmt = logged.tags.get(schema.CHECKPOINT_FORMAT, "")
        path = folder / formats.FILES.get(fmt, "-")
        if not path.is_file() or formats.sha256(path) != logged.tags.get(schema.CHECKPOINT_SHA256):
            raise formats.CheckpointError(
                f"checkpoint {logged.model_id}: the state file does not match its sha256"
            )
        states = formats.load(fmt, path)
    result = Resumed(
        logged.model_id,
        run_id,
        int(logged.tags[schema.CHECKPOINT_STEP]),
        {k: float(v) for k, v in (metadata.get("metrics") or {}).items()},
        _into(model, states.get("model")),
        _into(optimizer, states.get("optimizer")),
        _into(scheduler, states.get("scheduler")),
        metadata,
    )
    rng = metadata.get("rng_states")
    if rng is not None:
        seeds.restore_rng_states(rng_codec.decode(rng))
    recorder = _active.recorder
    if recorder is not None:  # the resumed run's lineage
        recorder.set_tags({schema.RESUMED_FROM: logged.model_id})
    return result


def _replayed_start(client: MlflowClient) -> str | None:
    """In a replay of a resumed run (``%reproduce``), the checkpoint the original resumed from: the replay
    starts where the original started, whatever ``best`` means in the replay kernel."""
    cell = _active.cell
    original = cell.options.tags.get(schema.REPRODUCED_FROM) if cell is not None else None
    if not original:
        return None
    try:
        started = client.get_run(original).data.tags.get(schema.RESUMED_FROM)
    except Exception:
        return None
    return started if isinstance(started, str) and MODEL_ID.match(started) else None


def _into(target: Any, state: Any) -> Any:
    if target is None or state is None:
        return state
    target.load_state_dict(state)
    return target
