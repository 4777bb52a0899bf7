"""The runs a run's detail links to: a seed group's parent and children, reproductions both ways, and
a ``--seeds`` parent's shared configuration and metric summaries over its children.

A parent holds no params and only ``{metric}/{statistic}`` metrics; its detail shows what the children
share instead. Framework-free: MlflowClient only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_exp import record_schema as schema
from jupyter_exp.query.comparison import summary_dict
from jupyter_exp.query.documents import RunLink, RunRelations, SampleSummary
from jupyter_exp.query.groups import SEED_PARAM, children, is_parent, seed_of
from jupyter_exp.query.listing import finite, get_run, quote_key, quote_value
from jupyter_exp.reproduce.errors import RecordNotFound
from jupyter_exp.stats.summary import summarize
from jupyter_exp.tracking.experiments import experiments

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

MAX_REPRODUCTIONS = 50
SNAPSHOT = f"{schema.ARTIFACT_DIR}/{schema.NOTEBOOK}"


def link(run: Run) -> RunLink:
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name or run.data.tags.get(schema.RUN_NAME) or run.info.run_id,
        "status": run.info.status,
        "seed": seed_of(run),
        "verdict": run.data.tags.get(schema.REPRODUCTION_VERDICT) or None,
    }


def shared_and_varying(kids: list[Run]) -> tuple[dict[str, str], list[str]]:
    """Params every child has with one value, and the params that differ (or some child lacks)."""
    keys = sorted({k for run in kids for k in run.data.params})
    shared: dict[str, str] = {}
    varying: list[str] = []
    for key in keys:
        values = {run.data.params.get(key) for run in kids}
        if len(values) == 1 and None not in values:
            shared[key] = values.pop()  # type: ignore[assignment]
        else:
            varying.append(key)
    seeds = {seed_of(run) for run in kids}
    if len(seeds) > 1 and SEED_PARAM not in varying:
        varying.insert(0, SEED_PARAM)  # told apart by the seed tag alone
    return shared, varying


def summaries(kids: list[Run]) -> dict[str, SampleSummary | None]:
    """Each metric's summary over the finished children (mean, sample sd, n), user metrics first."""
    finished = [run for run in kids if run.info.status == schema.FINISHED] or kids
    keys = sorted(
        {k for run in finished for k in run.data.metrics},
        key=lambda k: (k.startswith(schema.SYSTEM_PREFIX), k),
    )
    found: dict[str, SampleSummary | None] = {}
    for key in keys:
        values = [v for run in finished if (v := finite(run.data.metrics.get(key))) is not None]
        found[key] = summary_dict(summarize(values)) if values else None
    return found


def _reproductions(client: MlflowClient, run_id: str) -> list[Run]:
    from mlflow.entities import ViewType

    ids = list(experiments(client))
    if not ids:
        return []
    clause = f"tags.{quote_key(schema.REPRODUCED_FROM)} = {quote_value(run_id)}"
    return list(
        client.search_runs(
            ids,
            clause,
            ViewType.ACTIVE_ONLY,
            max_results=MAX_REPRODUCTIONS,
            order_by=["attributes.start_time DESC"],
        )
    )


def _optional(client: MlflowClient, run_id: str | None) -> RunLink | None:
    if not run_id:
        return None
    try:
        return link(get_run(client, run_id))
    except RecordNotFound:  # deleted, or where this user may not read: the id alone
        return {"run_id": run_id, "run_name": run_id, "status": "UNKNOWN", "seed": None, "verdict": None}


def _has_snapshot(client: MlflowClient, run_id: str) -> bool:
    return any(item.path == SNAPSHOT for item in client.list_artifacts(run_id, schema.ARTIFACT_DIR))


def run_relations(client: MlflowClient, run_id: str) -> RunRelations:
    run = get_run(client, run_id)
    tags = run.data.tags
    kids = children(client, run) if is_parent(run) else []
    shared, varying = shared_and_varying(kids) if kids else ({}, [])
    snapshot: str | None = None
    if _has_snapshot(client, run_id):
        snapshot = run_id
    elif kids and _has_snapshot(client, kids[0].info.run_id):
        snapshot = kids[0].info.run_id  # the children ran one cell of one notebook
    return {
        "run_id": run_id,
        "parent": _optional(client, tags.get(schema.PARENT_RUN_ID)),
        "children": [link(kid) for kid in kids],
        "shared_params": shared,
        "varying_params": varying,
        "summaries": summaries(kids) if kids else {},
        "reproduced_from": _optional(client, tags.get(schema.REPRODUCED_FROM)),
        "reproductions": [link(r) for r in _reproductions(client, run_id)],
        "snapshot_run_id": snapshot,
    }
