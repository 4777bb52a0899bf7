"""What else differs between the sides of a comparison, besides their params: code version and environment.

A gap between two groups may come from another commit, uncommitted changes, another device or library
version rather than from the configuration compared; ``%compare`` lists those. Framework-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.query.groups import Group
from jupyter_exp.reproduce.context import conditions
from jupyter_exp.reproduce.errors import RecordIncomplete
from jupyter_exp.reproduce.record import read_json

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

TAGS = (
    ("git commit", schema.GIT_COMMIT),
    ("git branch", schema.GIT_BRANCH),
    ("uncommitted changes", schema.GIT_DIRTY),
    ("kernel", schema.KERNEL_NAME),
    ("device", schema.DEVICE),
    ("str hash seed", schema.HASHSEED),
    ("deterministic", schema.DETERMINISTIC),
)


def run_context(client: MlflowClient, run: Run) -> dict[str, str]:
    """One run's code version and environment as comparable strings (what it did not record is left out);
    ``ArtifactStoreError`` when its artifact store cannot be read."""
    tags = run.data.tags
    found = {name: tags[key] for name, key in TAGS if tags.get(key)}
    if "git commit" in found:
        found["git commit"] = found["git commit"][:10]
    try:
        environment = read_json(client, run.info.run_id, schema.ENVIRONMENT, run.info.artifact_uri)
    except RecordIncomplete:  # a corrupt environment.json leaves only the tags to compare; a store that
        environment = None  # cannot be read is raised (ArtifactStoreError): never "the same environment"
    if isinstance(environment, dict):
        for name in ("python", "hostname", "platform"):
            if isinstance(environment.get(name), str):
                found[name] = environment[name]
    where = conditions(environment if isinstance(environment, dict) else None, tags)
    for name, key in (("GPU", "gpu_model"), ("GPU driver", "driver"), ("CUDA", "cuda"), ("cuDNN", "cudnn")):
        if where.get(key):
            found[name] = where[key]
    for library, version in where["libraries"].items():
        found[library] = str(version)
    return found


def context_differences(client: MlflowClient, groups: Sequence[Group]) -> list[dict[str, Any]]:
    """``[{"what": "git commit", "values": ["a1b2c3", "d4e5f6, 0f9e8d"]}]``: each side's distinct values of
    what is not the same across all runs of all sides (a side that did not record it shows ``?``)."""
    per_side = [[run_context(client, run) for run in group.runs] for group in groups]
    names = sorted({name for side in per_side for context in side for name in context})
    found = []
    for name in names:
        values = [sorted({context.get(name, "?") for context in side}) for side in per_side]
        if len({value for side in values for value in side}) > 1:
            found.append({"what": name, "values": [", ".join(side) for side in values]})
    return found
