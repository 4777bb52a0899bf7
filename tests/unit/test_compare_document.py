"""Downsampling and the series cache of run_compare.py, against a real SQLite store."""

from __future__ import annotations

import math
import sqlite3

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

from jupyter_exp.query.compare_document import SeriesCache, lttb, metric_history, series
from jupyter_exp.tracking.sqlite_store import forget_database, mlflow_sqlite_database


def test_lttb_keeps_the_ends_the_count_and_the_spikes():
    steps = list(range(10_000))
    values = [math.sin(s / 500) for s in steps]
    values[4321] = 50.0  # one spike in a smooth curve
    kept_steps, kept_values = lttb(steps, values, 200)
    assert len(kept_steps) == len(kept_values) == 200
    assert kept_steps[0] == 0 and kept_steps[-1] == 9_999
    assert kept_steps == sorted(kept_steps)
    assert 4321 in kept_steps and 50.0 in kept_values
    assert all(values[s] == v for s, v in zip(kept_steps, kept_values, strict=True))


def test_lttb_leaves_short_series_alone():
    assert lttb([0, 1, 2], [3.0, 1.0, 2.0], 10) == ([0, 1, 2], [3.0, 1.0, 2.0])
    assert lttb([0, 1, 2], [3.0, 1.0, 2.0], 2) == ([0, 1, 2], [3.0, 1.0, 2.0])  # below 3: nothing to choose


def test_series_cache_drops_the_least_recently_used():
    cache = SeriesCache(size=2)
    cache.put(("a",), {"v": 1})
    cache.put(("b",), {"v": 2})
    assert cache.get(("a",)) == {"v": 1}  # a is now the most recent
    cache.put(("c",), {"v": 3})
    assert cache.get(("b",)) is None and cache.get(("a",)) == {"v": 1} and cache.get(("c",)) == {"v": 3}


def _log(client: MlflowClient, run_id: str, steps: range) -> None:
    metrics = [Metric("train/loss", 1.0 / (1 + s), 1_700_000_000_000 + s, s) for s in steps]
    client.log_batch(run_id, metrics=metrics)


def test_series_of_ended_runs_are_cached_and_running_ones_are_read_afresh(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("cache", artifact_location=str(tmp_path / "artifacts"))
    ended = client.create_run(experiment).info.run_id
    running = client.create_run(experiment).info.run_id
    for run_id in (ended, running):
        _log(client, run_id, range(100))
    client.set_terminated(ended)

    first = {r: series(client, client.get_run(r), "train/loss", 10) for r in (ended, running)}
    assert all(
        f["total_points"] == 100 and len(f["steps"]) == 10 and f["downsampled"] for f in first.values()
    )
    for run_id in (ended, running):
        _log(client, run_id, range(100, 150))
    again = {r: series(client, client.get_run(r), "train/loss", 10) for r in (ended, running)}
    assert again[ended] == first[ended]  # from the cache: no history read
    assert again[running]["total_points"] == 150 and again[running]["steps"][-1] == 149


def test_history_read_from_sqlite_equals_mlflows_own(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("read", artifact_location=str(tmp_path / "artifacts"))
    run_id = client.create_run(experiment).info.run_id
    values = [0.5, float("nan"), float("inf"), -2.0, 0.25]
    client.log_batch(
        run_id, metrics=[Metric("m", v, 1_700_000_000_000 + s, 4 - s) for s, v in enumerate(values)]
    )
    assert mlflow_sqlite_database(client.tracking_uri) is not None
    steps, direct = metric_history(client, run_id, "m")
    by_mlflow = sorted((m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, "m"))
    assert list(steps) == [s for s, _, _ in by_mlflow] == [0, 1, 2, 3, 4]
    assert [v if v is not None else float("nan") for v in direct] == pytest.approx(
        [v for _, _, v in by_mlflow], nan_ok=True
    )  # NaN where MLflow says NaN; its stand-in for infinity as it stores it
    # The schema changes under a running process (a migration): once a direct access failed and the
    # database was forgotten, the schema is checked again and MLflow answers.
    with sqlite3.connect(tmp_path / "mlflow.db") as connection:
        connection.execute("ALTER TABLE latest_metrics RENAME COLUMN is_nan TO nan_flag")
    assert mlflow_sqlite_database(client.tracking_uri) is not None  # remembered per file
    forget_database(tmp_path / "mlflow.db")
    assert mlflow_sqlite_database(client.tracking_uri) is None
    assert list(metric_history(client, run_id, "m")[0]) == [0, 1, 2, 3, 4]
