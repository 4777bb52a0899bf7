"""Registering checkpoints as model versions, gated by the verdict: the promotion alias (``champion`` by
default) goes only on a version whose run has a reproduction with verdict exact or close; any other alias
(``candidate``) needs none. Versions come from ``models:/<model_id>`` (a ``runs:/`` URI drops files: mlflow
#18581) and carry the run, its verdict, the seed group's interval, the git commit, the snapshot's and the
inputs' hashes as tags."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jupyter_exp import record_schema as schema
from jupyter_exp.config import JupyterExp
from jupyter_exp.errors import BadRequest
from jupyter_exp.models.resume import find_checkpoint, source_run_id
from jupyter_exp.tracking.model_versions import best_reproduction, refresh_version_verdicts

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

PASSING = (schema.EXACT, schema.CLOSE)


class PromotionRefused(BadRequest):
    """The promotion alias asked for a version whose run has not reproduced."""


@dataclass(frozen=True)
class Registered:
    name: str
    version: str
    model_id: str
    run_id: str
    step: int
    verdict: str
    alias: str | None

    def describe(self) -> str:
        alias = f" as @{self.alias}" if self.alias else ""
        return (
            f"registered {self.name} version {self.version}{alias}: checkpoint {self.model_id} of run "
            f"{self.run_id} at step {self.step} (verdict: {self.verdict})"
        )


def version_tags(
    client: MlflowClient, run: Run, step: int, verdict: str, reproduction: str | None
) -> dict[str, str]:
    tags = run.data.tags
    found = {
        schema.VERSION_RUN: run.info.run_id,
        schema.VERSION_STEP: str(step),
        schema.VERSION_VERDICT: verdict,
        schema.VERSION_GIT_COMMIT: tags.get(schema.GIT_COMMIT, ""),
    }
    if reproduction:
        found[schema.VERSION_REPRODUCTION] = reproduction
    interval = _group_interval(client, run)
    if interval:
        found[schema.VERSION_GROUP_INTERVAL] = interval
    snapshot = _artifact_bytes(client, run.info.run_id, f"{schema.ARTIFACT_DIR}/{schema.NOTEBOOK}")
    if snapshot is not None:
        found[schema.VERSION_SNAPSHOT_SHA256] = hashlib.sha256(snapshot).hexdigest()
    inputs = _artifact_bytes(client, run.info.run_id, f"{schema.ARTIFACT_DIR}/{schema.INPUTS}")
    if inputs is not None:
        try:
            document = json.loads(inputs)
            hashes = {
                str(i["path"]): i.get("sha256") for i in document if isinstance(i, dict) and "path" in i
            }
        except (ValueError, TypeError):
            hashes = {}
        found[schema.VERSION_INPUTS] = json.dumps(hashes, sort_keys=True)[:5000]
    return {k: v for k, v in found.items() if v}


def _group_interval(client: MlflowClient, run: Run) -> str | None:
    """The seed group's interval of the run's objective, from its parent's ``{metric}/ci_low|ci_high``."""
    parent_id = run.data.tags.get(schema.GROUP)
    if not parent_id or parent_id == run.info.run_id:
        return None
    try:
        metrics = client.get_run(parent_id).data.metrics
    except Exception:
        return None
    pairs = sorted(
        k[: -len("/ci_low")] for k in metrics if k.endswith("/ci_low") and not k.startswith("system/")
    )
    parts = [
        f"{k}: [{metrics[k + '/ci_low']:.6g}, {metrics[k + '/ci_high']:.6g}]"
        for k in pairs
        if k + "/ci_high" in metrics
    ]
    return "; ".join(parts)[:5000] or None


def _artifact_bytes(client: MlflowClient, run_id: str, path: str) -> bytes | None:
    import tempfile
    from pathlib import Path

    try:
        with tempfile.TemporaryDirectory() as tmp:
            return Path(client.download_artifacts(run_id, path, tmp)).read_bytes()
    except Exception:  # not recorded (or not readable): the tag is left out
        return None


def register(
    client: MlflowClient,
    settings: JupyterExp,
    ref: str,
    name: str,
    alias: str | None = None,
    last_run_id: str | None = None,
) -> Registered:
    """Register checkpoint ``ref`` (``RUN[@STEP]``, a model id; a run alone: its best) as a version of
    ``name``; set ``alias``, the promotion alias only when the run reproduced."""
    from mlflow.exceptions import MlflowException

    if not name.strip():
        raise BadRequest("--name NAME is required")
    logged = find_checkpoint(client, ref, settings, last_run_id)
    run = client.get_run(source_run_id(logged))
    step = int(logged.tags[schema.CHECKPOINT_STEP])
    verdict, reproduction = best_reproduction(client, run.info.run_id)
    if alias and alias == settings.promotion_alias and verdict not in PASSING:
        seen = "it has no reproduction" if verdict == "none" else f"its best reproduction is {verdict}"
        raise PromotionRefused(
            f"@{alias} needs a run that reproduces (exact or close) and {seen}: "
            f"reproduce it first: %reproduce {run.info.run_id}"
        )
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    version = client.create_model_version(
        name,
        f"models:/{logged.model_id}",
        run_id=run.info.run_id,
        tags=version_tags(client, run, step, verdict, reproduction),
        model_id=logged.model_id,
    )
    if alias:
        client.set_registered_model_alias(name, alias, version.version)
    refresh_version_verdicts(
        client, run.info.run_id
    )  # the run's earlier versions, if a reproduction came since
    return Registered(name, str(version.version), logged.model_id, run.info.run_id, step, verdict, alias)
