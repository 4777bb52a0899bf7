"""A run's checkpoints ranked by its objective, as the REST API and the sidebar read them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from jupyter_exp import record_schema as schema
from jupyter_exp.config import JupyterExp
from jupyter_exp.errors import NotFound
from jupyter_exp.models import formats
from jupyter_exp.models.checkpoints import ranked, run_checkpoints

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import LoggedModel


class CheckpointSummary(TypedDict):
    model_id: str
    step: int
    metrics: dict[str, float]
    objective_value: float | None
    sha256: str
    format: str
    created: int
    size: int | None  # bytes of the state file, None when the store does not say
    best: bool  # first by the objective (a run without one: none is)
    last: bool  # the highest step


class RunCheckpoints(TypedDict):
    run_id: str
    objective: str | None
    promotion_alias: (
        str  # the alias a version gets only when its run reproduced (the Register dialog offers it)
    )
    checkpoints: list[CheckpointSummary]


def _state_size(client: MlflowClient, model: LoggedModel) -> int | None:
    """The state file's size as the artifact store lists it."""
    name = formats.FILES.get(str(model.tags.get(schema.CHECKPOINT_FORMAT, "")))
    try:
        found = client.list_logged_model_artifacts(model.model_id)
    except Exception:  # listing is best effort: the checkpoint still shows
        return None
    return next((int(f.file_size) for f in found if f.path == name and f.file_size is not None), None)


def _summary(client: MlflowClient, model: LoggedModel, best: bool, last: bool) -> CheckpointSummary:
    tags: dict[str, Any] = model.tags
    value = tags.get(schema.CHECKPOINT_OBJECTIVE_VALUE)
    metrics = {m.key: float(m.value) for m in (model.metrics or [])}
    return {
        "model_id": model.model_id,
        "step": int(tags[schema.CHECKPOINT_STEP]),
        "metrics": metrics,
        "objective_value": float(value) if value is not None else None,
        "sha256": str(tags.get(schema.CHECKPOINT_SHA256, "")),
        "format": str(tags.get(schema.CHECKPOINT_FORMAT, "")),
        "created": int(model.creation_timestamp or 0),
        "size": _state_size(client, model),
        "best": best,
        "last": last,
    }


def run_checkpoint_list(
    client: MlflowClient, run_id: str, settings: JupyterExp | None = None
) -> RunCheckpoints:
    """The run's kept checkpoints, best first by its objective (404 for a run that does not exist)."""
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise NotFound(f"no run {run_id}") from None
    settings = settings or JupyterExp()
    models = ranked(run_checkpoints(client, run.info.experiment_id, run_id), settings)
    objective = next((m.tags.get(schema.CHECKPOINT_OBJECTIVE) for m in models), None)
    last = max((int(m.tags[schema.CHECKPOINT_STEP]) for m in models), default=None)
    summaries = [
        _summary(client, m, i == 0 and objective is not None, int(m.tags[schema.CHECKPOINT_STEP]) == last)
        for i, m in enumerate(models)
    ]
    return {
        "run_id": run_id,
        "objective": objective,
        "promotion_alias": settings.promotion_alias,
        "checkpoints": summaries,
    }
