"""The direct SQLite path of metric batches and MLflow's log_batch leave the same store behind."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from jupyter_exp.tracking.metric_sink import LogBatchSink, RestMetricSink, SqliteMetricSink, metric_sink
from jupyter_exp.tracking.metrics import MetricWriter

T0 = 1_700_000_000_000


def make_run(tmp_path: Path, name: str) -> tuple[MlflowClient, str]:
    client = MlflowClient(f"sqlite:///{tmp_path / name / 'mlflow.db'}")
    (tmp_path / name).mkdir(exist_ok=True)
    experiment = client.create_experiment("sink", artifact_location=str(tmp_path / name / "artifacts"))
    return client, client.create_run(experiment).info.run_id


def public(client: MlflowClient, run_id: str) -> LogBatchSink:
    return LogBatchSink(client, run_id)


BATCHES = [
    [("loss", 1.0, T0, 0), ("acc", 0.1, T0, 0)],
    [
        ("loss", 0.5, T0 + 1, 1),
        ("loss", float("nan"), T0 + 2, 2),
        ("acc", float("inf"), T0 + 2, 2),
    ],
    [("loss", 0.7, T0 + 3, 1), ("loss", 0.25, T0 + 4, 3), ("loss", 0.25, T0 + 4, 3)],  # dup
    [("acc", -float("inf"), T0 + 5, 1), ("grad", 2.0, T0 + 5, 7)],  # older step: not latest
]


def store_state(client: MlflowClient, run_id: str) -> tuple[dict, dict]:
    histories = {}
    for key in ("loss", "acc", "grad"):
        points = client.get_metric_history(run_id, key)
        histories[key] = sorted(
            (m.step, m.timestamp, "nan" if math.isnan(m.value) else m.value) for m in points
        )
    latest = {k: "nan" if math.isnan(v) else v for k, v in client.get_run(run_id).data.metrics.items()}
    return histories, latest


def test_the_direct_path_writes_what_log_batch_writes(tmp_path):
    mlflow_client, mlflow_run = make_run(tmp_path, "public")
    direct_client, direct_run = make_run(tmp_path, "direct")
    sink = metric_sink(direct_client, direct_run)
    assert isinstance(sink, SqliteMetricSink)
    for batch in BATCHES:
        public(mlflow_client, mlflow_run)(batch)
        sink(batch)
    sink.close()
    assert sink.direct_points == sum(len(b) for b in BATCHES)
    assert sink.accepted == {"loss", "acc", "grad"}
    expected = store_state(mlflow_client, mlflow_run)
    assert store_state(direct_client, direct_run) == expected
    histories, latest = expected
    assert len(histories["loss"]) == 5  # the duplicate point is stored once
    assert latest == {"loss": 0.25, "acc": 1.7976931348623157e308, "grad": 2.0}


@pytest.mark.parametrize("rows", [7, None])  # a statement's points: odd chunks, and as the limit gives
def test_finite_points_in_statements_of_many_rows_write_what_log_batch_writes(tmp_path, rows):
    mlflow_client, mlflow_run = make_run(tmp_path, "public")
    direct_client, direct_run = make_run(tmp_path, "direct")
    sink = metric_sink(direct_client, direct_run)
    assert isinstance(sink, SqliteMetricSink)
    sink._connect()
    if rows is not None:
        sink._rows = rows
    batch = [(key, step / 7 - 100, T0 + step // 3, step) for step in range(5000) for key in ("loss", "acc")]
    batch += [("grad", 0.5, T0, 3), ("grad", 0.5, T0, 3), ("grad", 0.25, T0 - 1, 9)]  # a duplicate; latest
    for first in range(0, len(batch), 1000):
        public(mlflow_client, mlflow_run)(batch[first : first + 1000])
    sink(batch)
    sink.close()
    assert sink.direct_points == len(batch)
    expected = store_state(mlflow_client, mlflow_run)
    assert store_state(direct_client, direct_run) == expected
    assert len(expected[0]["loss"]) == 5000 and len(expected[0]["grad"]) == 2
    assert expected[1] == {"loss": 4999 / 7 - 100, "acc": 4999 / 7 - 100, "grad": 0.25}


def test_mlflow_still_refuses_bad_names_on_the_direct_path(tmp_path):
    client, run_id = make_run(tmp_path, "refuse")
    sink = metric_sink(client, run_id)
    with pytest.raises(MlflowException) as refused:
        sink([("good", 1.0, T0, 0), ("bad key!", 2.0, T0, 0)])
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    # Through the writer, the good key's points still arrive, the bad one is reported.
    writer = MetricWriter(metric_sink(client, run_id), flush_interval_s=0.05)
    for step in range(3000):
        writer.log(step=step, good=step * 2.0, **({"bad key!": 1.0} if step == 5 else {}))
    writer.close(timeout_s=60)
    assert [k for k, _ in writer.rejected] == ["bad key!"] and writer.unsent == []
    assert sorted(m.step for m in client.get_metric_history(run_id, "good")) == list(range(3000))


def test_other_stores_use_log_batch(tmp_path):
    remote = metric_sink(MlflowClient("http://127.0.0.1:9"), "run")  # no request is made to choose
    assert isinstance(remote, RestMetricSink) and remote.parallel > 1  # an mlflow server: tests/deploy
    client, run_id = make_run(tmp_path, "changed-schema")  # a schema this code does not know
    database = tmp_path / "changed-schema" / "mlflow.db"
    with sqlite3.connect(database) as connection:
        connection.execute("ALTER TABLE latest_metrics RENAME COLUMN is_nan TO nan_flag")
    assert isinstance(metric_sink(client, run_id), LogBatchSink)
