"""Registering checkpoints as model versions, gated by the verdict: the promotion alias (``champion`` by
default) goes only on a version whose run has a reproduction with verdict exact or close; any other alias
(``candidate``) needs none. Versions come from ``models:/<model_id>`` (a ``runs:/`` URI drops files: mlflow
#18581) and carry the run, its verdict, the seed group's interval, the git commit, the snapshot's and the
inputs' hashes as tags."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from jupyter_exp import record_schema as schema
from jupyter_exp.config import JupyterExp
from jupyter_exp.errors import BadRequest, Conflict
from jupyter_exp.models.resume import find_checkpoint, source_run_id
from jupyter_exp.query.runs_table import _tracking_uri
from jupyter_exp.tracking.model_versions import best_reproduction, refresh_version_verdicts

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

PASSING = (schema.EXACT, schema.CLOSE)
_GLOBAL_URI = threading.Lock()


MAX_NAME = 256
# characters a name may not hold: it is a path segment of the REST API and a quoted literal of MLflow's filters
_BAD_NAME = re.compile(r"[/\\'\"`\x00-\x1f\x7f]")

# MLflow's own rule for an alias (mlflow/utils/validation.py), checked before anything is registered
_ALIAS = re.compile(r"^[\w\-]{1,255}$")
_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)


class PromotionRefused(Conflict):
    """The promotion alias asked for a version whose run has not reproduced (409: valid, not yet allowed)."""


def check_model_name(name: str) -> str:
    """A registered model's name as given (stripped), or a one-line ``BadRequest``."""
    name = name.strip()
    if not name:
        raise BadRequest("--name NAME is required")
    if len(name) > MAX_NAME or _BAD_NAME.search(name):
        raise BadRequest(
            f"model name {name[:40]!r}: at most {MAX_NAME} characters, no quotes, slashes or control characters"
        )
    return name


def check_alias(alias: str | None) -> str | None:
    """An alias MLflow will take (letters, digits, ``_``, ``-``; not ``latest`` or ``vN``), None for none."""
    alias = (alias or "").strip()
    if not alias:
        return None
    if not _ALIAS.match(alias) or _RESERVED_ALIAS.match(alias):
        raise BadRequest(
            f"alias {alias[:40]!r}: letters, digits, _ and - only (at most 255), and not latest or vN"
        )
    return alias


@dataclass(frozen=True)
class Registered:
    name: str
    version: str
    model_id: str
    run_id: str
    step: int
    verdict: str
    alias: str | None

    def document(self) -> dict[str, str | int | None]:
        """What the REST API answers for it."""
        return asdict(self)

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


def check_promotion(
    client: MlflowClient, settings: JupyterExp, run_id: str, alias: str | None
) -> tuple[str, str | None]:
    """The run's best verdict and its reproduction; ``PromotionRefused`` when ``alias`` is the promotion
    alias and the run has no exact or close reproduction (the one gate, for %register and the REST API)."""
    verdict, reproduction = best_reproduction(client, run_id)
    if alias and alias == settings.promotion_alias and verdict not in PASSING:
        seen = "it has no reproduction" if verdict == "none" else f"its best reproduction is {verdict}"
        raise PromotionRefused(
            f"@{alias} needs a run that reproduces (exact or close) and {seen}: "
            f"reproduce it first: %reproduce {run_id}"
        )
    return verdict, reproduction


def _registered_version(client: MlflowClient, name: str, run_id: str, model_id: str) -> str | None:
    """The version of ``name`` already made from checkpoint ``model_id``, if any (registered once)."""
    if "'" in run_id:  # an id read from the store: never spliced into a filter unchecked
        return None
    found = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
    same = [v for v in found if v.model_id == model_id or v.source == f"models:/{model_id}"]
    return str(min(same, key=lambda v: int(v.version)).version) if same else None


def _create_version(client: MlflowClient, name: str, model_id: str, run_id: str, tags: dict[str, str]) -> str:
    """``create_model_version`` from ``models:/<model_id>``. MLflow's SQL registry looks that LoggedModel up
    through the *global* tracking URI (a TODO in its sqlalchemy_store): where that is another store (the
    server's threads, each client its own), it points at the client's for the call, under a lock."""
    import mlflow

    with _GLOBAL_URI:
        same = mlflow.get_tracking_uri() == client.tracking_uri
        with nullcontext() if same else _tracking_uri(mlflow, client.tracking_uri):
            created = client.create_model_version(
                name, f"models:/{model_id}", run_id=run_id, tags=tags, model_id=model_id
            )
    return str(created.version)


def register(
    client: MlflowClient,
    settings: JupyterExp,
    ref: str,
    name: str,
    alias: str | None = None,
    last_run_id: str | None = None,
) -> Registered:
    """Register checkpoint ``ref`` (``RUN[@STEP]``, a model id; a run alone: its best) as a version of
    ``name``; set ``alias``, the promotion alias only when the run reproduced. A checkpoint already
    registered under ``name`` keeps its version (the alias goes there)."""
    from mlflow.exceptions import MlflowException

    name = check_model_name(name)
    alias = check_alias(alias)
    logged = find_checkpoint(client, ref, settings, last_run_id)
    run = client.get_run(source_run_id(logged))
    run_id = run.info.run_id
    step = int(logged.tags[schema.CHECKPOINT_STEP])
    verdict, reproduction = check_promotion(client, settings, run_id, alias)
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    version = _registered_version(client, name, run_id, logged.model_id)
    if version is None:
        tags = version_tags(client, run, step, verdict, reproduction)
        version = _create_version(client, name, logged.model_id, run_id, tags)
    if alias:
        client.set_registered_model_alias(name, alias, version)
    refresh_version_verdicts(client, run_id)  # the run's earlier versions, if a reproduction came since
    return Registered(name, version, logged.model_id, run_id, step, verdict, alias)
