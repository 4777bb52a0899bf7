"""Runs as the sidebar lists them: queries to MLflow filter strings, runs to JSON-ready summaries.

Framework-free (no tornado, no IPython); the server's handlers are thin shells over it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.git import strip_credentials
from jupyter_exp.errors import BadRequest
from jupyter_exp.query.documents import Artifact, InputFile, RunDetail, RunSummary
from jupyter_exp.query.reads import read_all
from jupyter_exp.query.search_text import refused, search_page
from jupyter_exp.reproduce.errors import RecordNotFound
from jupyter_exp.tracking.artifacts import ArtifactStoreError, read_artifact
from jupyter_exp.tracking.experiments import experiment_names, experiments
from jupyter_exp.tracking.identity import is_shared_store, store_user
from jupyter_exp.tracking.probe import is_remote

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run
    from mlflow.exceptions import MlflowException

STATUSES = (schema.RUNNING, "SCHEDULED", schema.FINISHED, schema.FAILED_STATUS, schema.KILLED)
ATTRIBUTE_ORDERS = ("start_time", "end_time", "run_name", "status")
MAX_PAGE = 1000
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class QueryError(BadRequest):
    """A query the store cannot answer as asked; its message is shown to the user as is."""


@dataclass
class RunQuery:
    notebook: str | None = None
    experiment: str | None = None
    status: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    user: str | None = None  # mlflow.user of the runs (see user_filter)
    filter: str = ""
    order: str = "start_time DESC"
    max_results: int = 100
    page_token: str | None = None
    lifecycle: str = "active"  # "active", "deleted" (MLflow's deleted lifecycle: restorable) or "all"


LIFECYCLES = ("active", "deleted", "all")


def quote_key(key: str) -> str:
    """``lr`` stays bare; ``train/loss`` or ``mlflow.source.name`` goes in backticks."""
    if "`" in key:
        raise QueryError(f"key {key!r} contains a backtick")
    return key if _PLAIN_KEY.match(key) else f"`{key}`"


def quote_value(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise QueryError(f"value {value!r} contains both quote characters")


def filter_string(query: RunQuery) -> str:
    """One MLflow filter string (clauses joined by ``and``, the only connective MLflow has)."""
    clauses = []
    if query.notebook:
        clauses.append(f"tags.{quote_key(schema.SOURCE_NAME)} = {quote_value(query.notebook)}")
    if query.status:
        status = query.status.strip().upper()
        if status not in STATUSES:
            raise QueryError(f"unknown status {query.status!r}; one of {', '.join(STATUSES)}")
        clauses.append(f"attributes.status = '{status}'")
    if query.user:
        clauses.append(f"tags.{quote_key(schema.USER)} = {quote_value(query.user)}")
    for key, value in query.tags.items():
        clauses.append(f"tags.{quote_key(key)} = {quote_value(value)}")
    if query.filter.strip():  # MLflow filters have neither OR nor parentheses: plain AND is exact
        clauses.append(query.filter.strip())
    return " and ".join(clauses)


def user_filter(requested: str | None, tracking_uri: str) -> str | None:
    """The ``mlflow.user`` to list: ``mine`` is the store's name for this user (tracking/identity.py),
    ``all`` or empty lists everyone's, any other value is a user name. Not given: ``mine`` on a shared store
    (an MLflow or database server), everyone's on a local one."""
    if requested is None:
        requested = "mine" if is_shared_store(tracking_uri) else "all"
    requested = requested.strip()
    if requested in ("", "all"):
        return None
    if requested == "mine":
        me = store_user()
        if me is None:
            raise QueryError("user=mine: the user name is unknown here; give user=NAME or user=all")
        return me
    return requested


def order_by(order: str) -> list[str]:
    """``metrics.train/loss ASC`` -> MLflow's ``metrics.`train/loss` ASC``, newest first on ties."""
    text = order.strip() or "start_time DESC"
    field_name, direction = text, "DESC"
    head, _, tail = text.rpartition(" ")
    if tail.upper() in ("ASC", "DESC"):
        field_name, direction = head.strip(), tail.upper()
    if field_name in ATTRIBUTE_ORDERS:
        clause = f"attributes.{field_name} {direction}"
    else:
        kind, dot, key = field_name.partition(".")
        if not dot or kind not in ("metrics", "params", "tags") or not key:
            raise QueryError(
                f"cannot order by {field_name!r}: use {', '.join(ATTRIBUTE_ORDERS)}, metrics.KEY, params.KEY "
                "or tags.KEY, then ASC or DESC"
            )
        clause = f"{kind}.{quote_key(key)} {direction}"
    return [clause] if field_name == "start_time" else [clause, "attributes.start_time DESC"]


def _experiment_ids(client: MlflowClient, experiment: str | None, known: dict[str, str]) -> list[str]:
    if not experiment:
        return list(known)
    if experiment in known:
        return [experiment]
    by_name = [i for i, name in known.items() if name == experiment]
    if not by_name:
        raise RecordNotFound(f"no experiment named or numbered {experiment!r}")
    return by_name


def list_runs(client: MlflowClient, query: RunQuery) -> tuple[list[RunSummary], str | None]:
    """One page of run summaries and the token of the next page (``None`` on the last)."""
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    if not 1 <= query.max_results <= MAX_PAGE:
        raise QueryError(f"max_results must be between 1 and {MAX_PAGE}")
    if query.lifecycle not in LIFECYCLES:
        raise QueryError(f"lifecycle must be one of {', '.join(LIFECYCLES)}, got {query.lifecycle[:40]!r}")
    view = {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}[
        query.lifecycle
    ]
    # one experiment (the sidebar's notebook): its name may be remembered; all of them: read them now
    known = experiment_names(client, [query.experiment]) if query.experiment else experiments(client)
    ids = _experiment_ids(client, query.experiment, known)
    if not ids:
        return [], None
    try:  # the typed filter translated (query/search_text.py), the sidebar's own clauses as they are
        page, token = search_page(
            client,
            ids,
            filter_string(replace(query, filter="")),
            query.filter,
            view,
            query.max_results,
            order_by(query.order),
            query.page_token or None,
        )
    except MlflowException as error:
        raise _query_error(error) from None
    return [run_summary(run, known) for run in page], token


def _query_error(error: MlflowException) -> Exception:
    message = error.message.splitlines()[0] if error.message else str(error)
    if error.error_code == "INVALID_PARAMETER_VALUE":
        return QueryError(str(refused(message)))
    return error


def finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity."""
    return value if value is not None and math.isfinite(value) else None


def run_summary(run: Run, experiment_names: dict[str, str] | None = None) -> RunSummary:
    tags = run.data.tags
    info = run.info
    dirty = tags.get(schema.GIT_DIRTY)
    count = tags.get(schema.CELL_EXECUTION_COUNT)
    return {
        "run_id": info.run_id,
        "run_name": info.run_name or tags.get(schema.RUN_NAME) or info.run_id,
        "experiment_id": info.experiment_id,
        "experiment_name": (experiment_names or {}).get(info.experiment_id),
        "status": info.status,
        "user": tags.get(schema.USER) or None,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "notebook": tags.get(schema.SOURCE_NAME) or None,
        "cell_id": tags.get(schema.CELL_ID) or None,
        "execution_count": int(count) if count and count.isdigit() else None,
        "seed": tags.get(schema.SEED) or None,
        "git_commit": tags.get(schema.GIT_COMMIT) or None,
        "git_dirty": None if dirty is None else dirty == "true",
        "kernel_name": tags.get(schema.KERNEL_NAME) or None,
        "device": tags.get(schema.DEVICE) or None,
        "note": tags.get(schema.NOTE) or None,
        "reproduced_from": tags.get(schema.REPRODUCED_FROM) or None,
        "verdict": tags.get(schema.REPRODUCTION_VERDICT) or None,
        "parent_run_id": tags.get(schema.PARENT_RUN_ID) or None,
        "sweep": (tags.get(schema.SWEEP) or None) if tags.get(schema.SWEEP_ROLE) == "study" else None,
        "metrics": {key: finite(value) for key, value in sorted(run.data.metrics.items())},
    }


def get_run(client: MlflowClient, run_id: str) -> Run:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id)
    except MlflowException as error:
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise RecordNotFound(f"no run with id {run_id!r}") from None
        if error.error_code == "PERMISSION_DENIED":  # MLflow's basic auth answers so for a run it cannot find
            raise RecordNotFound(f"no run with id {run_id!r} that this MLflow user may read") from None
        raise


_PLAIN_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def get_runs(client: MlflowClient, run_ids: Sequence[str]) -> list[Run]:
    """``get_run`` of each, in order. On a tracking server one search answers for all of them (a request
    each costs the server more than the search); ids it does not find (a deleted experiment's runs, ids
    that are not plain) are read one by one, so an unknown id fails as ``get_run`` does."""
    from mlflow.entities import ViewType

    found: dict[str, Run] = {}
    plain = [i for i in dict.fromkeys(run_ids) if _PLAIN_ID.match(i)]
    if len(plain) > 1 and is_remote(str(client.tracking_uri)):
        known = experiment_names(client)
        if known:
            page = client.search_runs(
                list(known),
                f"attributes.run_id IN ({', '.join(quote_value(i) for i in plain)})",
                ViewType.ALL,
                max_results=len(plain),
            )
            found = {run.info.run_id: run for run in page}
    missing = [i for i in dict.fromkeys(run_ids) if i not in found]
    found.update(zip(missing, read_all(client, lambda i: get_run(client, i), missing), strict=True))
    return [found[i] for i in run_ids]


def _artifacts(client: MlflowClient, run_id: str, path: str | None = None) -> list[Artifact]:
    found: list[Artifact] = []
    for item in client.list_artifacts(run_id, path):
        if item.is_dir:
            found += _artifacts(client, run_id, item.path)
        else:
            found.append({"path": item.path, "size": item.file_size})
    return found


def ui_url(tracking_uri: str, experiment_id: str | None = None, run_id: str | None = None) -> str | None:
    """The MLflow UI page of a run when the store is an MLflow server, else ``None``."""
    if urlsplit(tracking_uri).scheme not in ("http", "https"):
        return None
    base = strip_credentials(tracking_uri).rstrip("/")
    if experiment_id is None:
        return base
    # MLflow 3's UI opens an experiment as a GenAI one unless told otherwise
    page = f"{base}/#/experiments/{experiment_id}" + (f"/runs/{run_id}" if run_id else "")
    return page + "?workflowType=machine_learning"


def run_detail(client: MlflowClient, run_id: str) -> RunDetail:
    run = get_run(client, run_id)
    experiment_id = run.info.experiment_id
    known = {experiment_id: client.get_experiment(experiment_id).name}  # one lookup, not every experiment
    try:
        artifacts = _artifacts(client, run_id)
    except Exception as error:  # an artifact store away is said (502), never shown as a run without any
        raise ArtifactStoreError.reading(run_id, "its artifact list", error) from None
    return {
        **run_summary(run, known),
        "params": dict(sorted(run.data.params.items())),
        "tags": dict(sorted(run.data.tags.items())),
        "artifacts": artifacts,
        "cell_source": read_artifact(
            client, run_id, f"{schema.ARTIFACT_DIR}/{schema.CELL}", run.info.artifact_uri
        ),
        "inputs": run_inputs(client, run_id, run.info.artifact_uri),
        "ui_url": ui_url(client.tracking_uri, run.info.experiment_id, run_id),
        "lifecycle": run.info.lifecycle_stage,
    }


def run_inputs(client: MlflowClient, run_id: str, artifact_uri: str | None) -> list[InputFile]:
    """The files the cell read (``inputs.json``): path, size, sha256; [] for a run without the record."""
    text = read_artifact(client, run_id, f"{schema.ARTIFACT_DIR}/{schema.INPUTS}", artifact_uri)
    try:
        document = json.loads(text) if text else []
    except ValueError:
        return []
    return [
        {"path": str(item["path"]), "size": item.get("size"), "sha256": item.get("sha256")}
        for item in document
        if isinstance(item, dict) and "path" in item
    ]
