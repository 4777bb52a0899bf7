"""Metric series for charts and comparisons of runs: downsampling, parameter diffs, cell diffs.

Framework-free; used by the server (and by anything else that compares runs).
"""

from __future__ import annotations

import difflib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from jupyter_exp import record_schema as schema
from jupyter_exp.query.comparison import compare_groups, default_metrics, summary_dict
from jupyter_exp.query.documents import (
    Band,
    CellDiff,
    ComparedGroup,
    CompareGroups,
    CompareSeries,
    Comparison,
    MetricSeries,
    SampleSummary,
)
from jupyter_exp.query.groups import Group, is_parent, partition, resolve
from jupyter_exp.query.listing import QueryError, finite, get_run, get_runs, run_summary
from jupyter_exp.query.reads import read_all
from jupyter_exp.stats.summary import summarize
from jupyter_exp.tracking.artifacts import read_artifact
from jupyter_exp.tracking.experiments import experiment_names
from jupyter_exp.tracking.sqlite_store import forget_database, mlflow_sqlite_database, read_metric_history

if TYPE_CHECKING:
    import numpy as np
    from mlflow import MlflowClient
    from mlflow.entities import Run

MAX_COMPARED = 20
MAX_POINTS_LIMIT = 10_000
ENDED = (schema.FINISHED, schema.FAILED_STATUS, schema.KILLED)
CELL_ARTIFACT = f"{schema.ARTIFACT_DIR}/{schema.CELL}"


class SeriesCache:
    """Downsampled series of ended runs (they no longer grow), least recently used dropped first."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, ...], Mapping[str, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Mapping[str, object] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, ...], value: Mapping[str, object]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


SERIES_CACHE = SeriesCache()


def lttb(
    steps: Sequence[int] | np.ndarray, values: Sequence[float] | np.ndarray, threshold: int
) -> tuple[list[int], list[float]]:
    """Largest-triangle-three-buckets: ``threshold`` points that keep the shape of the curve.

    The first and last points stay; from each bucket in between, the point forming the largest
    triangle with the previously kept point and the mean of the next bucket is kept. The bucket means
    are computed at once (numpy); only the choice of each bucket's point is a loop.
    """
    import numpy as np

    step_array = np.asarray(steps, dtype=np.int64)
    y = np.asarray(values, dtype=float)
    count = len(y)
    if threshold >= count or threshold < 3:
        return step_array.tolist(), y.tolist()
    x = step_array.astype(float)
    bucket = (count - 2) / (threshold - 2)
    starts = (np.arange(threshold - 2) * bucket).astype(int) + 1
    ends = (np.arange(1, threshold - 1) * bucket).astype(int) + 1
    next_starts, next_ends = ends, np.minimum((np.arange(2, threshold) * bucket).astype(int) + 1, count)
    sizes = np.maximum(next_ends - next_starts, 1)
    cumulative_x = np.concatenate(([0.0], np.cumsum(x)))
    cumulative_y = np.concatenate(([0.0], np.cumsum(y)))
    mean_x = np.where(
        next_ends > next_starts, (cumulative_x[next_ends] - cumulative_x[next_starts]) / sizes, x[-1]
    ).tolist()
    mean_y = np.where(
        next_ends > next_starts, (cumulative_y[next_ends] - cumulative_y[next_starts]) / sizes, y[-1]
    ).tolist()
    kept = [0]
    previous = 0
    xs, ys = x.tolist(), y.tolist()  # buckets are small: plain floats beat numpy calls here
    for i, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        end = min(end, count - 1)
        if end > start:
            ax, ay = xs[previous], ys[previous]
            # twice the triangle's area, linear in the candidate point: |a*y + b*x + c|
            a, b, c = ax - mean_x[i], mean_y[i] - ay, mean_x[i] * ay - ax * mean_y[i]
            areas = [abs(a * yj + b * xj + c) for xj, yj in zip(xs[start:end], ys[start:end], strict=True)]
            previous = start + areas.index(max(areas))
        else:
            previous = start
        kept.append(previous)
    kept.append(count - 1)
    chosen = np.asarray(kept)
    return step_array[chosen].tolist(), y[chosen].tolist()


def check_max_points(max_points: int) -> int:
    if not 2 <= max_points <= MAX_POINTS_LIMIT:
        raise QueryError(f"max_points must be between 2 and {MAX_POINTS_LIMIT}")
    return max_points


def metric_history(
    client: MlflowClient, run_id: str, key: str
) -> tuple[Sequence[int], Sequence[float | None]]:
    """Steps and values in step order (``None`` or NaN where not a number): straight from a SQLite
    store's table (MLflow's ORM takes ~40 ms per 1,000 points), else through ``get_metric_history``."""
    database = mlflow_sqlite_database(client.tracking_uri)
    if database is not None:
        try:
            return read_metric_history(database, run_id, key)
        except sqlite3.Error:  # the schema changed under us: MLflow reads it
            forget_database(database)
    history = sorted((m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, key))
    return [step for step, _, _ in history], [value for _, _, value in history]


History = Callable[[str, str], tuple[Sequence[int], Sequence[float | None]]]


class HistoryMemo:
    """``metric_history`` reading each (run, key) at most once: a comparison's per-run curves and its
    group bands need the same histories. ``prefetch`` reads many at once (side by side on a server)."""

    def __init__(self, client: MlflowClient) -> None:
        self.client = client
        self._found: dict[tuple[str, str], tuple[Sequence[int], Sequence[float | None]]] = {}

    def __call__(self, run_id: str, key: str) -> tuple[Sequence[int], Sequence[float | None]]:
        if (run_id, key) not in self._found:
            self._found[run_id, key] = metric_history(self.client, run_id, key)
        return self._found[run_id, key]

    def prefetch(self, pairs: Sequence[tuple[str, str]]) -> None:
        missing = [pair for pair in dict.fromkeys(pairs) if pair not in self._found]
        read = read_all(self.client, lambda pair: metric_history(self.client, *pair), missing)
        self._found.update(zip(missing, read, strict=True))


def _series_key(client: MlflowClient, run_id: str, key: str, max_points: int) -> tuple[str, ...]:
    return (client.tracking_uri, run_id, key, str(max_points))


def _kept(run: Run, cache_key: tuple[str, ...]) -> Mapping[str, object] | None:
    """What the cache holds for an ended run (a running one's series and record may still change)."""
    return SERIES_CACHE.get(cache_key) if run.info.status in ENDED else None


def series(
    client: MlflowClient, run: Run, key: str, max_points: int, history: History | None = None
) -> MetricSeries:
    """One metric's points in step order, downsampled to ``max_points``; NaN and infinities are left out.

    Series of ended runs are cached: a comparison reopened, or polled, reads no history again.
    """
    import numpy as np

    run_id = run.info.run_id
    cache_key = _series_key(client, run_id, key, max_points)
    if (cached := _kept(run, cache_key)) is not None:
        return cast("MetricSeries", cached)
    steps, values = (history or HistoryMemo(client))(run_id, key)
    step_array, value_array = np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=float)  # None: NaN
    usable = np.isfinite(value_array)
    if not usable.all():
        step_array, value_array = step_array[usable], value_array[usable]
    kept_steps, kept_values = lttb(step_array, value_array, max_points)
    found: MetricSeries = {
        "steps": kept_steps,
        "values": kept_values,
        "total_points": len(steps),
        "downsampled": len(kept_steps) < len(step_array),
    }
    if run.info.status in ENDED:
        SERIES_CACHE.put(cache_key, found)
    return found


def run_series(
    client: MlflowClient, run_id: str, keys: list[str] | None, max_points: int
) -> dict[str, MetricSeries]:
    check_max_points(max_points)
    run = get_run(client, run_id)
    wanted = keys if keys else sorted(run.data.metrics)
    unknown = [k for k in wanted if k not in run.data.metrics]
    if unknown:
        raise QueryError(f"run {run_id} has no metric {', '.join(repr(k) for k in unknown)}")
    return {key: series(client, run, key, max_points) for key in wanted}


def _ordered_keys(keys: set[str]) -> list[str]:
    """The user's metrics first, ``system/`` ones last."""
    return sorted(keys, key=lambda k: (k.startswith(schema.SYSTEM_PREFIX), k))


def cell_diffs(sources: list[tuple[str, str | None]]) -> list[CellDiff]:
    """Each run's tracked cell and its unified diff against the first run's."""
    first_id, first = sources[0]
    cells: list[CellDiff] = [{"run_id": first_id, "source": first, "diff": None}]
    for run_id, source in sources[1:]:
        diff = None
        if first is not None and source is not None:
            diff = "".join(
                difflib.unified_diff(
                    first.splitlines(keepends=True),
                    source.splitlines(keepends=True),
                    fromfile=f"{first_id[:8]}/{schema.CELL}",
                    tofile=f"{run_id[:8]}/{schema.CELL}",
                )
            )
        cells.append({"run_id": run_id, "source": source, "diff": diff})
    return cells


def cell_sources(client: MlflowClient, runs: Sequence[Run]) -> list[str | None]:
    """Each run's tracked cell (``None`` when it has none); an ended run's is kept with its series (a run's
    record does not change once it ended)."""

    def read(run: Run) -> str | None:
        cache_key = (client.tracking_uri, run.info.run_id, CELL_ARTIFACT)
        if (cached := _kept(run, cache_key)) is not None:
            return str(cached["source"])
        source = read_artifact(client, run.info.run_id, CELL_ARTIFACT, run.info.artifact_uri)
        if run.info.status in ENDED and source is not None:
            SERIES_CACHE.put(cache_key, {"source": source})
        return source

    return read_all(client, read, runs)


def run_cells(client: MlflowClient, runs: Sequence[Run]) -> list[CellDiff]:
    """``cell_diffs`` of the runs' tracked cells (``cell_sources``: an ended run's kept); ``ArtifactStoreError``
    when an artifact store cannot be read."""
    cells = cell_sources(client, runs)
    return cell_diffs([(r.info.run_id, cell) for r, cell in zip(runs, cells, strict=True)])


def compare_runs(
    client: MlflowClient, run_ids: list[str], max_points: int = 500, lower_is_better: str | None = None
) -> Comparison:
    """Parameters (and which differ), final metrics, overlaid curves and cell diffs of 2..20 runs; and when
    some of them share a configuration, the group statistics (``group_statistics``)."""
    check_max_points(max_points)
    ids = list(dict.fromkeys(i.strip() for i in run_ids if i.strip()))
    if not 2 <= len(ids) <= MAX_COMPARED:
        raise QueryError(f"compare takes 2 to {MAX_COMPARED} distinct run ids, got {len(ids)}")
    runs = get_runs(client, ids)
    known = experiment_names(client, {r.info.experiment_id for r in runs})
    if any(is_parent(run) for run in runs):
        return compare_sides(client, runs, known, max_points, lower_is_better)

    param_keys = sorted(set().union(*(r.data.params for r in runs)))
    param_values = {k: [r.data.params.get(k) for r in runs] for k in param_keys}
    differing = [k for k, vs in param_values.items() if len(set(vs)) > 1]

    metric_keys = _ordered_keys(set().union(*(r.data.metrics for r in runs)))
    final = {k: [finite(r.data.metrics.get(k)) for r in runs] for k in metric_keys}
    history = HistoryMemo(client)
    history.prefetch(  # what no cached curve holds yet (a reopened comparison reads nothing)
        [
            (run.info.run_id, key)
            for run in runs
            for key in run.data.metrics
            if not key.startswith(schema.SYSTEM_PREFIX)
            and _kept(run, _series_key(client, run.info.run_id, key, max_points)) is None
        ]
    )
    curves: dict[str, list[CompareSeries]] = {
        key: [
            {"run_id": run.info.run_id, **series(client, run, key, max_points, history)}
            for run in runs
            if key in run.data.metrics
        ]
        for key in metric_keys
        if not key.startswith(schema.SYSTEM_PREFIX)
    }
    return {
        "runs": [run_summary(r, known) for r in runs],
        "params": {"keys": param_keys, "differing": differing, "values": param_values},
        "metrics": {"keys": metric_keys, "final": final},
        "series": curves,
        "cells": run_cells(client, runs),
        "groups": group_statistics(client, runs, max_points, history, lower_is_better),
        "sides": "runs",
    }


def compare_sides(
    client: MlflowClient,
    runs: Sequence[Run],
    known: Mapping[str, str],
    max_points: int = 500,
    lower_is_better: str | None = None,
) -> Comparison:
    """The comparison when some of the runs are ``--seeds`` parents: each run is a side as ``%compare``
    resolves it (``groups.resolve``: a parent its children, another run itself), compared by the same
    ``compare_groups``, so the sidebar and ``%compare`` give one verdict. Per side: its shared
    configuration, each metric's mean, its first run's cell; the curves are the sides' mean ± sd bands."""
    groups = [resolve(client, run.info.run_id) for run in runs]
    configs = [group.config for group in groups]
    param_keys = sorted(set().union(*configs))
    param_values = {k: [config.get(k) for config in configs] for k in param_keys}
    differing = [k for k, vs in param_values.items() if len(set(vs)) > 1]
    metric_keys = _ordered_keys({k for g in groups for run in g.runs for k in run.data.metrics})
    final = {
        key: [
            summary["mean"] if (summary := _side_summary(group, key)) is not None else None
            for group in groups
        ]
        for key in metric_keys
    }
    cells = run_cells(client, [group.runs[0] for group in groups])
    for cell, run in zip(cells, runs, strict=True):
        cell["run_id"] = run.info.run_id  # labelled by the side asked for, not its first child
    return {
        "runs": [run_summary(r, dict(known)) for r in runs],
        "params": {"keys": param_keys, "differing": differing, "values": param_values},
        "metrics": {"keys": metric_keys, "final": final},
        "series": {},
        "cells": cells,
        "groups": groups_document(client, groups, max_points, HistoryMemo(client), lower_is_better),
        "sides": "groups",
    }


def _side_summary(group: Group, key: str) -> SampleSummary | None:
    return _summary_json([run.data.metrics[key] for run in group.runs if key in run.data.metrics])


def _history_arrays(history: History, run_id: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    steps, values = history(run_id, key)
    step_array, value_array = np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=float)
    usable = np.isfinite(value_array)
    return step_array[usable], value_array[usable]


def band(
    client: MlflowClient, runs: Sequence[Run], key: str, max_points: int, history: History | None = None
) -> Band:
    """A group's curve: at each step the mean over its runs and mean ± one standard deviation (the seed
    noise), downsampled to ``max_points`` by LTTB on the mean (the band keeps the same steps). Cached once
    every run has ended."""
    import numpy as np

    ids = sorted(run.info.run_id for run in runs)
    cache_key = (client.tracking_uri, "band", key, str(max_points), *ids)
    ended = all(run.info.status in ENDED for run in runs)
    if ended and (cached := SERIES_CACHE.get(cache_key)) is not None:
        return cast("Band", cached)
    history = history or HistoryMemo(client)
    read = [_history_arrays(history, run.info.run_id, key) for run in runs if key in run.data.metrics]
    if read and len(read) > 1 and all(np.array_equal(s, read[0][0]) for s, _ in read):
        unique, stacked = read[0][0], np.vstack([v for _, v in read])  # the usual case: the same steps
        mean, std = stacked.mean(axis=0), stacked.std(axis=0, ddof=1)
    else:  # ragged: each step averages the runs that logged it
        steps = np.concatenate([s for s, _ in read]) if read else np.zeros(0, dtype=np.int64)
        values = np.concatenate([v for _, v in read]) if read else np.zeros(0)
        unique, where = np.unique(steps, return_inverse=True)
        counts = np.bincount(where, minlength=len(unique))
        mean = np.bincount(where, weights=values, minlength=len(unique)) / np.maximum(counts, 1)
        squares = np.bincount(where, weights=(values - mean[where]) ** 2, minlength=len(unique))
        std = np.sqrt(np.where(counts > 1, squares / np.maximum(counts - 1, 1), 0.0))
    kept_steps, kept_mean = lttb(unique, mean, max_points)
    index = np.searchsorted(unique, kept_steps)
    found: Band = {
        "steps": kept_steps,
        "mean": kept_mean,
        "low": (mean - std)[index].tolist(),
        "high": (mean + std)[index].tolist(),
        "runs": len(read),
        "downsampled": len(kept_steps) < len(unique),
    }
    if ended:
        SERIES_CACHE.put(cache_key, found)
    return found


def _summary_json(values: list[float]) -> SampleSummary | None:
    finite_values = [v for v in values if finite(v) is not None]
    return summary_dict(summarize(finite_values)) if finite_values else None


def group_statistics(
    client: MlflowClient,
    runs: Sequence[Run],
    max_points: int,
    history: History | None = None,
    lower_is_better: str | None = None,
) -> CompareGroups | None:
    """When the runs form groups (some share a configuration, params minus the seed): each group's summary
    per metric, each group against the first (``jupyter_exp.compare``'s statistics) and mean ± sd curves.
    ``None`` when every run has a configuration of its own (or the only runs sharing one are parents)."""
    groups = partition([run for run in runs if not is_parent(run)])
    if not any(len(g) > 1 for g in groups):
        return None
    return groups_document(client, groups, max_points, history, lower_is_better)


def groups_document(
    client: MlflowClient,
    groups: Sequence[Group],
    max_points: int,
    history: History | None = None,
    lower_is_better: str | None = None,
) -> CompareGroups:
    """The ``groups`` part of a comparison: each group's summaries, each against the first
    (``compare_groups``, ``%compare``'s statistics) and each group's mean ± sd curves."""
    metric_keys = _ordered_keys({k for g in groups for run in g.runs for k in run.data.metrics})
    comparison = compare_groups(groups, lower_is_better=lower_is_better) if len(groups) > 1 else None
    return {
        "groups": [_group_json(g, metric_keys) for g in groups],
        "metrics": default_metrics(groups),
        "statistics": comparison.rows() if comparison else [],
        "notes": comparison.notes if comparison else [],
        "series": {
            key: [
                {"group": i, **curve} for i, curve in group_curves(client, groups, key, max_points, history)
            ]
            for key in metric_keys
            if not key.startswith(schema.SYSTEM_PREFIX)
        },
    }


def group_curves(
    client: MlflowClient, groups: Sequence[Group], key: str, max_points: int, history: History | None = None
) -> list[tuple[int, Band]]:
    """A curve per group: ``(index, band)`` of each group that logged ``key``, its runs' mean ± sd (a group
    of one run: its own series, a band of no width). The sidebar's and ``%compare``'s curves."""
    history = history or HistoryMemo(client)
    return [
        (index, band(client, runs, key, max_points, history))
        for index, group in enumerate(groups)
        if (runs := [run for run in group.runs if key in run.data.metrics])
    ]


def _group_json(group: Group, metric_keys: list[str]) -> ComparedGroup:
    return {
        "label": group.label,
        "run_ids": group.run_ids,
        "seeds": group.seeds,
        "summaries": {
            key: _summary_json([run.data.metrics[key] for run in group.runs if key in run.data.metrics])
            for key in metric_keys
        },
    }


def side_curves(
    client: MlflowClient, groups: Sequence[Group], keys: Sequence[str], max_points: int = 500
) -> dict[str, list[dict[str, Any]]]:
    """Each side's curve per metric (``group_curves``): a group's mean ± sd band, a single run's own series
    (no band drawn: ``low``/``high`` None)."""
    check_max_points(max_points)
    history = HistoryMemo(client)
    return {
        key: [
            {
                "side": index,
                "label": groups[index].label,
                **curve,
                **({"low": None, "high": None} if curve["runs"] == 1 else {}),
            }
            for index, curve in group_curves(client, groups, key, max_points, history)
        ]
        for key in keys
    }
