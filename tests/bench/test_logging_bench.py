"""jupyter_exp.log() against mlflow.log_metric (caller cost) and MlflowClient.log_batch (points to store)."""

from __future__ import annotations

import time
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric

from jupyter_exp.tracking.metric_sink import SqliteMetricSink, metric_sink
from jupyter_exp.tracking.metrics import MetricWriter

from .harness import Result, size


def new_run(folder: Path) -> tuple[MlflowClient, str]:
    folder.mkdir(parents=True)
    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.create_experiment("bench", artifact_location=str(folder / "artifacts"))
    return client, client.create_run(experiment).info.run_id


def stored_steps(client: MlflowClient, run_id: str, key: str) -> list[int]:
    return sorted(m.step for m in client.get_metric_history(run_id, key))


def test_log_call_cost_at_the_caller(bench, tmp_path):
    calls = size(200_000, 2_000)
    client, run_id = new_run(tmp_path / "ours")
    writer = MetricWriter(metric_sink(client, run_id))
    start = time.perf_counter()
    for step in range(calls):
        writer.log(step=step, loss=1.0 / (step + 1))
    ours = (time.perf_counter() - start) / calls
    writer.close()
    assert stored_steps(client, run_id, "loss") == list(range(calls))  # nothing dropped, steps kept

    baseline_calls = size(300, 10)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow-way.db'}")
    try:
        with mlflow.start_run() as run:
            start = time.perf_counter()
            for step in range(baseline_calls):
                mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
            baseline = (time.perf_counter() - start) / baseline_calls
        assert len(MlflowClient().get_metric_history(run.info.run_id, "loss")) == baseline_calls
    finally:
        mlflow.set_tracking_uri("")
    bench.record(
        "log() per call at the caller",
        Result(ours * 1e6, baseline * 1e6, "us/call", note="jupyter_exp.log vs mlflow.log_metric"),
    )


def test_points_reach_the_store(bench, tmp_path):
    steps = size(50_000, 500)  # two keys: 100,000 points
    client, run_id = new_run(tmp_path / "ours")
    sink = metric_sink(client, run_id)
    assert isinstance(sink, SqliteMetricSink)
    writer = MetricWriter(sink)
    start = time.perf_counter()
    for step in range(steps):
        writer.log(step=step, **{"train/loss": 1.0 / (step + 1), "train/acc": step / steps})
    loop_end = time.perf_counter()
    writer.close()
    end = time.perf_counter()
    points = 2 * steps
    assert writer.points_written == points and writer.unsent == [] and writer.rejected == []
    for key in ("train/loss", "train/acc"):
        assert stored_steps(client, run_id, key) == list(range(steps))  # stock MLflow reads every point
    ours_rate = points / (end - start)

    baseline_points = size(20_000, 1_000)
    client_b, run_b = new_run(tmp_path / "mlflow-way")
    metrics = [Metric("train/loss", 1.0 / (i + 1), 1_700_000_000_000 + i, i) for i in range(baseline_points)]
    # the MLflow way: Metric objects in batches of log_batch's limit
    start = time.perf_counter()
    for first in range(0, baseline_points, 1000):
        client_b.log_batch(run_b, metrics=metrics[first : first + 1000])
    baseline_rate = baseline_points / (time.perf_counter() - start)
    assert len(client_b.get_metric_history(run_b, "train/loss")) == baseline_points

    bench.record(
        "points to the store",
        Result(
            ours_rate,
            baseline_rate,
            "points/s",
            higher_is_better=True,
            note="log() loop + close vs log_batch of 1,000",
        ),
    )
    bench.record(
        f"cell returns after its loop ({points} points)",
        Result(
            end - loop_end,
            points / baseline_rate,
            "s",
            note="drain at close vs the same points through log_batch",
        ),
    )
