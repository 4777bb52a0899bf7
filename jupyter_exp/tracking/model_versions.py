"""The verdict a run's registered model versions carry: the best verdict of its reproductions, found by the
tags the reproduce engine writes; kept current after every reproduction (reproduce/outcome.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_exp import record_schema as schema
from jupyter_exp.tracking.experiments import experiments

if TYPE_CHECKING:
    from mlflow import MlflowClient

NO_VERDICT = "none"
MAX_REPRODUCTIONS = 200


def best_reproduction(client: MlflowClient, run_id: str) -> tuple[str, str | None]:
    """The best verdict among the run's reproductions and that reproduction's run id, else ("none", None)."""
    from mlflow.entities import ViewType

    ids = list(experiments(client))
    if not ids or "'" in run_id:
        return NO_VERDICT, None
    clause = f"tags.`{schema.REPRODUCED_FROM}` = '{run_id}'"
    found = client.search_runs(ids, clause, ViewType.ACTIVE_ONLY, max_results=MAX_REPRODUCTIONS)
    order = {verdict: rank for rank, verdict in enumerate(schema.VERDICTS)}
    verdicts = [
        (r.data.tags[schema.REPRODUCTION_VERDICT], r.info.run_id)
        for r in found
        if r.data.tags.get(schema.REPRODUCTION_VERDICT) in order
    ]
    if not verdicts:
        return NO_VERDICT, None
    verdict, reproduction = min(verdicts, key=lambda pair: order[pair[0]])
    return verdict, reproduction


def refresh_version_verdicts(client: MlflowClient, run_id: str) -> int:
    """Set the verdict tag of every model version made from ``run_id``; how many changed. Best effort:
    a store without a registry, or a user who may not write there, changes nothing."""
    try:
        versions = client.search_model_versions(f"run_id = '{run_id}'")
    except Exception:
        return 0
    if not versions:
        return 0
    try:
        verdict, reproduction = best_reproduction(client, run_id)
    except Exception:  # never in the way of recording the reproduction itself
        return 0
    changed = 0
    for version in versions:
        if version.tags.get(schema.VERSION_VERDICT) == verdict:
            continue
        try:
            client.set_model_version_tag(version.name, version.version, schema.VERSION_VERDICT, verdict)
            if reproduction:
                client.set_model_version_tag(
                    version.name, version.version, schema.VERSION_REPRODUCTION, reproduction
                )
        except Exception:
            continue
        changed += 1
    return changed
