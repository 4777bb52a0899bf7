"""Params against metrics: the runs of an experiment (or the runs asked for) as rows of params, last metric
values and tags, with the keys of each, for the sidebar's runs table, its parallel coordinates and scatter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

from jupyter_exp.query.listing import QueryError, finite, get_runs, run_summary
from jupyter_exp.tracking.experiments import experiment_names, experiments

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

MAX_ROWS = 1000
MAX_TAG_VALUE = 200  # a table cell, not the record: long values are cut


class MatrixRow(TypedDict):
    run_id: str
    run_name: str
    experiment_name: str | None
    status: str
    start_time: int | None
    params: dict[str, str]
    metrics: dict[str, float | None]
    tags: dict[str, str]


class RunsMatrix(TypedDict):
    """``GET /jupyter-exp/table`` (``IRunsMatrix``): rows and the keys found in each part."""

    runs: list[MatrixRow]
    params: list[str]
    metrics: list[str]
    tags: list[str]
    truncated: bool


def _row(run: Run, names: dict[str, str]) -> MatrixRow:
    summary = run_summary(run, names)
    return {
        "run_id": run.info.run_id,
        "run_name": summary["run_name"],
        "experiment_name": summary["experiment_name"],
        "status": run.info.status,
        "start_time": run.info.start_time,
        "params": dict(sorted(run.data.params.items())),
        "metrics": {key: finite(value) for key, value in sorted(run.data.metrics.items())},
        "tags": {key: value[:MAX_TAG_VALUE] for key, value in sorted(run.data.tags.items())},
    }


def _experiment_runs(client: MlflowClient, experiment: str, limit: int) -> tuple[list[Run], bool]:
    known = experiments(client)
    ids = [i for i, name in known.items() if experiment in (i, name)]
    if not ids:
        raise QueryError(f"no experiment named or numbered {experiment!r}")
    found: list[Run] = []
    token = None
    while len(found) < limit:
        page = client.search_runs(
            ids, "", max_results=min(limit - len(found), 1000), order_by=["start_time DESC"], page_token=token
        )
        found += list(page)
        token = page.token
        if not token:
            return found, False
    return found, bool(token)


def runs_matrix(
    client: MlflowClient, run_ids: Sequence[str], experiment: str | None, limit: int = MAX_ROWS
) -> RunsMatrix:
    """The rows of ``run_ids`` (in that order) or of ``experiment``'s active runs (newest first)."""
    if bool(run_ids) == bool(experiment):
        raise QueryError("give either run_ids or experiment")
    if not 1 <= limit <= MAX_ROWS:
        raise QueryError(f"max_results must be between 1 and {MAX_ROWS}")
    if run_ids:
        ids = list(dict.fromkeys(run_ids))
        if len(ids) > limit:
            raise QueryError(f"run_ids: at most {limit} runs")
        runs, truncated = get_runs(client, ids), False
    else:
        runs, truncated = _experiment_runs(client, str(experiment), limit)
    names = experiment_names(client, {run.info.experiment_id for run in runs})
    rows = [_row(run, names) for run in runs]

    def keys(part: str) -> list[str]:
        return sorted({key for row in rows for key in row[part]})  # type: ignore[literal-required]

    return {
        "runs": rows,
        "params": keys("params"),
        "metrics": sorted(keys("metrics"), key=lambda k: (k.startswith("system/"), k)),
        "tags": keys("tags"),
        "truncated": truncated,
    }
