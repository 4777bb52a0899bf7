"""The REST metric sink against the team server: what it stores is what ``log_batch`` stores, batches go
over one kept-alive connection, parallel batches lose and double nothing, a refused key spares the rest."""

from __future__ import annotations

import math
import os
import time

import psutil
import pytest
from mlflow.entities import Metric

from jupyter_exp.tracking.metric_sink import LogBatchSink, RestMetricSink, metric_sink
from jupyter_exp.tracking.metrics import MetricWriter

T0 = 1_700_000_000_000
ODD_VALUES = [0.5, float("nan"), float("inf"), -float("inf"), 1e-300, -0.0, 12345678.125]


@pytest.fixture
def client(deployment):
    return deployment.client()


def new_run(client) -> str:
    return client.create_run(client.create_experiment(f"sink-{time.time_ns()}")).info.run_id


def history(client, run_id: str, key: str) -> list[tuple[int, int, float | None]]:
    return sorted(
        (m.step, m.timestamp, None if math.isnan(m.value) else m.value)
        for m in client.get_metric_history(run_id, key)
    )


def test_same_store_as_log_batch(client):
    points = [("odd", value, T0 + i, i) for i, value in enumerate(ODD_VALUES)]
    points += [("loss", 1.0 / (s + 1), T0 + s, s) for s in range(2500)]  # three requests
    ours, theirs = new_run(client), new_run(client)
    sink = metric_sink(client, ours)
    assert isinstance(sink, RestMetricSink)
    sink(points)
    LogBatchSink(client, theirs)(points)
    for key in ("odd", "loss"):
        assert history(client, ours, key) == history(client, theirs, key)
    assert client.get_run(ours).data.metrics == client.get_run(theirs).data.metrics
    assert len(history(client, ours, "loss")) == 2500


def server_connections(port: int) -> list[tuple[int, str]]:
    """(local port, status) of this process's TCP connections to the server."""
    return [
        (c.laddr.port, c.status)
        for c in psutil.Process(os.getpid()).net_connections("tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    ]


def test_batches_reuse_one_kept_alive_connection(client, deployment):
    run_id = new_run(client)
    sink = metric_sink(client, run_id)
    port = deployment.server.port
    seen = set()
    for batch in range(6):
        sink([("loss", 1.0, T0 + s, s) for s in range(batch * 1000, (batch + 1) * 1000)])
        seen.update(local for local, _ in server_connections(port))
    assert len(seen) == 1, f"a new connection per batch: local ports {sorted(seen)}"
    assert len(history(client, run_id, "loss")) == 6000


def test_parallel_batches_store_every_point_once(client):
    run_id = new_run(client)
    sink = metric_sink(client, run_id)
    assert sink.parallel > 1
    writer = MetricWriter(sink)
    steps = 12_345
    for step in range(steps):
        writer.log(step=step, **{"a": step * 0.5, "b": -step})
    writer.close()
    assert writer.points_written == 2 * steps and writer.unsent == [] and writer.rejected == []
    assert [s for s, _, _ in history(client, run_id, "a")] == list(range(steps))
    assert [v for _, _, v in history(client, run_id, "b")] == [-s for s in range(steps)]
    latest = client.get_run(run_id).data.metrics
    assert latest == {"a": (steps - 1) * 0.5, "b": -(steps - 1)}  # the last step, whatever came in first


def test_a_refused_key_spares_the_others(client):
    run_id = new_run(client)
    writer = MetricWriter(metric_sink(client, run_id))
    for step in range(1500):
        writer.log(step=step, **{"good": float(step), "bad//key\x00": 1.0})
    writer.close()
    assert writer.rejected and {key for key, _ in writer.rejected} == {"bad//key\x00"}  # once per batch
    assert len(history(client, run_id, "good")) == 1500
    assert set(client.get_run(run_id).data.metrics) == {"good"}


def test_log_batch_objects_are_what_by_hand_sends(client):
    """The benchmark's by-hand way stores the same run as ours (so its rate compares like with like)."""
    ours, theirs = new_run(client), new_run(client)
    metric_sink(client, ours)([("m", 0.25, T0, 3)])
    client.log_batch(theirs, metrics=[Metric("m", 0.25, T0, 3)])
    assert history(client, ours, "m") == history(client, theirs, "m") == [(3, T0, 0.25)]
