"""The registered models as the sidebar's model view reads them: the models with their aliases, and for one
model its versions with the verdict, the aliases and where each came from (the run's notebook, cell, git
commit, the snapshot's and the inputs' hashes). Everything here is read from the store: untrusted, answered
as JSON data only."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypedDict

from jupyter_exp import record_schema as schema
from jupyter_exp.errors import NotFound
from jupyter_exp.models.registry import check_model_name
from jupyter_exp.models.resume import MODEL_ID
from jupyter_exp.tracking.model_versions import NO_VERDICT

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

MAX_MODELS = 1000
MAX_VERSIONS = 1000


class ModelSummary(TypedDict):
    name: str
    description: str
    aliases: dict[str, str]
    latest_version: str | None
    created: int
    updated: int


class VersionSummary(TypedDict):
    version: str
    model_id: str | None
    source: str
    status: str
    created: int
    aliases: list[str]
    verdict: str
    reproduction: str | None
    run_id: str | None
    run_name: str | None
    step: int | None
    notebook: str | None
    cell_id: str | None
    execution_count: int | None
    git_commit: str | None
    snapshot_sha256: str | None
    inputs: dict[str, str | None]
    group_interval: str | None


class ModelDetail(TypedDict):
    name: str
    description: str
    aliases: dict[str, str]
    promotion_alias: str
    versions: list[VersionSummary]


def _aliases(model: Any) -> dict[str, str]:
    """``{alias: version}`` of a registered model (MLflow gives a dict or a list of alias entities)."""
    found = model.aliases or {}
    if isinstance(found, dict):
        return {str(k): str(v) for k, v in found.items()}
    return {str(a.alias): str(a.version) for a in found}


def list_models(client: MlflowClient) -> list[ModelSummary]:
    """Every registered model, by name."""
    models = client.search_registered_models(max_results=MAX_MODELS, order_by=["name ASC"])
    return [
        {
            "name": m.name,
            "description": m.description or "",
            "aliases": _aliases(m),
            "latest_version": max((str(v.version) for v in m.latest_versions or []), key=int, default=None),
            "created": int(m.creation_timestamp or 0),
            "updated": int(m.last_updated_timestamp or 0),
        }
        for m in models
    ]


def _inputs(text: str | None) -> dict[str, str | None]:
    """The ``{path: sha256}`` tag, only its string entries (it came from the store)."""
    try:
        document = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(document, dict):
        return {}
    return {str(k): v if isinstance(v, str) else None for k, v in document.items()}


def _model_id(source: str | None) -> str | None:
    """The LoggedModel of a ``models:/m-...`` source (a searched version may leave ``model_id`` out)."""
    found = (source or "").removeprefix("models:/")
    return found if found != source and MODEL_ID.match(found) else None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _version(version: ModelVersion, run_tags: dict[str, str] | None, aliases: list[str]) -> VersionSummary:
    tags: dict[str, str] = version.tags or {}
    run = run_tags or {}
    return {
        "version": str(version.version),
        "model_id": version.model_id or _model_id(version.source),
        "source": version.source or "",
        "status": str(version.status or ""),
        "created": int(version.creation_timestamp or 0),
        "aliases": aliases,
        "verdict": tags.get(schema.VERSION_VERDICT) or NO_VERDICT,
        "reproduction": tags.get(schema.VERSION_REPRODUCTION) or None,
        "run_id": version.run_id or tags.get(schema.VERSION_RUN) or None,
        "run_name": run.get(schema.RUN_NAME) or None,
        "step": _int(tags.get(schema.VERSION_STEP)),
        "notebook": run.get(schema.SOURCE_NAME) or None,
        "cell_id": run.get(schema.CELL_ID) or None,
        "execution_count": _int(run.get(schema.CELL_EXECUTION_COUNT)),
        "git_commit": tags.get(schema.VERSION_GIT_COMMIT) or run.get(schema.GIT_COMMIT) or None,
        "snapshot_sha256": tags.get(schema.VERSION_SNAPSHOT_SHA256) or None,
        "inputs": _inputs(tags.get(schema.VERSION_INPUTS)),
        "group_interval": tags.get(schema.VERSION_GROUP_INTERVAL) or None,
    }


def _run_tags(client: MlflowClient, run_id: str) -> dict[str, str] | None:
    """The run's tags, None for a run the store no longer has (the version still shows its own tags)."""
    from mlflow.exceptions import MlflowException

    try:
        return dict(client.get_run(run_id).data.tags)
    except MlflowException:
        return None


def model_detail(client: MlflowClient, name: str, promotion_alias: str) -> ModelDetail:
    """One registered model and its versions, newest first (404 for a name the registry does not hold)."""
    from mlflow.exceptions import MlflowException

    name = check_model_name(name)
    try:
        model = client.get_registered_model(name)
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        raise NotFound(f"no registered model {name}") from None
    versions = client.search_model_versions(f"name = '{name}'", max_results=MAX_VERSIONS)
    runs: dict[str, dict[str, str] | None] = {}
    for version in versions:
        if version.run_id and version.run_id not in runs:
            runs[version.run_id] = _run_tags(client, version.run_id)
    aliases = _aliases(model)  # search_model_versions leaves a version's own aliases out

    def of(version: str) -> list[str]:
        return sorted(alias for alias, where in aliases.items() if where == version)

    shown = [_version(v, runs.get(v.run_id or ""), of(str(v.version))) for v in versions]
    return {
        "name": model.name,
        "description": model.description or "",
        "aliases": aliases,
        "promotion_alias": promotion_alias,
        "versions": sorted(shown, key=lambda v: -int(v["version"])),
    }
