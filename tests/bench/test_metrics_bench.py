"""jupyter_exp.tracking.metrics.MetricWriter under load, through both sinks (tracking/metric_sink.py) into
a real SQLite store: every point arrives, in step order, at the same size in ``make bench`` and at smoke
size (these assert correctness, not a ratio; the timings are test_logging_bench.py's)."""

from __future__ import annotations

from pathlib import Path

from mlflow import MlflowClient

from jupyter_exp.tracking.metric_sink import LogBatchSink, metric_sink
from jupyter_exp.tracking.metrics import MetricWriter


def make_run(tmp_path: Path, name: str) -> tuple[MlflowClient, str]:
    (tmp_path / name).mkdir()
    client = MlflowClient(f"sqlite:///{tmp_path / name / 'mlflow.db'}")
    experiment = client.create_experiment("load", artifact_location=str(tmp_path / name / "artifacts"))
    return client, client.create_run(experiment).info.run_id


def test_25000_points_through_log_batch_all_arrive_after_close(tmp_path):
    client, run_id = make_run(tmp_path, "log-batch")
    steps = 12_500  # two keys: 25,000 points
    writer = MetricWriter(LogBatchSink(client, run_id), flush_interval_s=0.05)
    for step in range(steps):
        writer.log(step=step, **{"train/loss": 1.0 / (step + 1), "train/acc": step / steps})
    writer.close(timeout_s=60)
    assert not writer._thread.is_alive()
    assert writer.points_written == 2 * steps
    assert writer.unsent == [] and writer.rejected == []
    assert writer.latest == {"train/loss": 1.0 / steps, "train/acc": (steps - 1) / steps}
    for key, expected in (("train/loss", lambda s: 1.0 / (s + 1)), ("train/acc", lambda s: s / steps)):
        points = sorted(client.get_metric_history(run_id, key), key=lambda m: (m.step, m.timestamp))
        assert [m.step for m in points] == list(range(steps))
        assert [m.value for m in points] == [expected(s) for s in range(steps)]
        timestamps = [m.timestamp for m in points]
        assert timestamps == sorted(timestamps)  # logged in step order
    latest = client.get_run(run_id).data.metrics
    assert latest["train/loss"] == 1.0 / steps


def test_100000_points_through_the_writer_all_arrive_in_order(tmp_path):
    client, run_id = make_run(tmp_path, "many")
    sink = metric_sink(client, run_id)
    writer = MetricWriter(sink, flush_interval_s=0.05)
    for step in range(50_000):
        writer.log(step=step, **{"train/loss": 1.0 / (step + 1), "train/acc": step / 50_000})
    writer.close(timeout_s=120)
    assert writer.points_written == 100_000 and sink.direct_points >= 100_000 - 2
    points = sorted(client.get_metric_history(run_id, "train/loss"), key=lambda m: m.step)
    assert [m.step for m in points] == list(range(50_000))
    assert [m.value for m in points] == [1.0 / (s + 1) for s in range(50_000)]
    assert client.get_run(run_id).data.metrics == {"train/loss": 1.0 / 50_000, "train/acc": 49_999 / 50_000}
