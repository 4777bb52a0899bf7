"""jupyter_exp.tracking.metrics.MetricWriter against a real MlflowClient on a SQLite store."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient

import jupyter_exp
from jupyter_exp.track import active as _active
from jupyter_exp.tracking.metric_sink import LogBatchSink
from jupyter_exp.tracking.metrics import MetricWriter


@pytest.fixture
def client(store_uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=store_uri)


@pytest.fixture
def run_id(client: MlflowClient, tmp_path: Path) -> str:
    experiment_id = client.create_experiment("metrics", artifact_location=str(tmp_path / "mlartifacts"))
    return client.create_run(experiment_id).info.run_id


def sender(client: MlflowClient, run_id: str) -> LogBatchSink:
    return LogBatchSink(client, run_id)


def history(client: MlflowClient, run_id: str, key: str) -> dict[int, float]:
    points = client.get_metric_history(run_id, key)
    by_step = {m.step: m.value for m in points}
    assert len(by_step) == len(points), "one point per step"
    return by_step


def test_auto_step_increments_per_log_call(client, run_id):
    writer = MetricWriter(sender(client, run_id), flush_interval_s=0.05)
    writer.log(loss=1.0, acc=0.1)  # step 0 for both keys of one call
    writer.log(loss=0.8, acc=0.2)  # step 1
    writer.log(step=100, loss=0.5)  # explicit: does not move the automatic step
    writer.log(loss=0.4)  # step 2
    writer.close(timeout_s=30)
    assert history(client, run_id, "loss") == {0: 1.0, 1: 0.8, 100: 0.5, 2: 0.4}
    assert history(client, run_id, "acc") == {0: 0.1, 1: 0.2}


def test_numpy_scalars_and_torch_tensors(client, run_id):
    torch = pytest.importorskip("torch")
    writer = MetricWriter(sender(client, run_id), flush_interval_s=0.05)
    weight = torch.tensor(1.5, requires_grad=True)
    writer.log(
        step=0,
        np32=np.float32(0.25),
        np64=np.float64(2.5),
        npint=np.int64(7),
        np0d=np.array(3.5),
        tensor=torch.tensor(0.75),
        grad_tensor=weight * 2,
        integer=3,
        boolean=True,
    )
    writer.close(timeout_s=30)
    assert writer.rejected == []
    metrics = client.get_run(run_id).data.metrics
    assert metrics == {
        "np32": 0.25,
        "np64": 2.5,
        "npint": 7.0,
        "np0d": 3.5,
        "tensor": 0.75,
        "grad_tensor": 3.0,
        "integer": 3.0,
        "boolean": 1.0,
    }


def test_non_numeric_value_rejected_writer_keeps_going(client, run_id):
    writer = MetricWriter(sender(client, run_id), flush_interval_s=0.05)
    writer.log(step=0, loss="high", acc=0.5)
    writer.log(step=1, loss=None, vector=np.array([1.0, 2.0]))
    deadline = time.monotonic() + 10
    while len(writer.rejected) < 3 and time.monotonic() < deadline:  # the thread handles them
        time.sleep(0.02)
    assert len(writer.rejected) == 3
    assert writer._thread.is_alive()
    writer.log(step=2, loss=0.3)  # after the bad points were handled
    writer.close(timeout_s=30)
    assert sorted(key for key, _ in writer.rejected) == ["loss", "loss", "vector"]
    assert ("loss", "'high'") in writer.rejected
    assert history(client, run_id, "loss") == {2: 0.3}
    assert history(client, run_id, "acc") == {0: 0.5}
    assert writer.points_written == 2


def test_invalid_metric_name_does_not_take_valid_points_with_it(client, run_id):
    # MLflow refuses a key with "!" for good (INVALID_PARAMETER_VALUE): retrying cannot help, and
    # the valid points sent in the same batch must still arrive.
    writer = MetricWriter(sender(client, run_id), flush_interval_s=0.05)
    writer.log(step=0, good=1.0, **{"bad key!": 2.0})
    writer.log(step=1, good=3.0)
    writer.close(timeout_s=30)
    assert history(client, run_id, "good") == {0: 1.0, 1: 3.0}
    accounted = [key for key, _ in writer.rejected] + [p[0] for p in writer.unsent]
    assert accounted == ["bad key!"]


class FlakySender:
    """The real client's log_batch, failing the first ``failures`` calls as a busy store would."""

    def __init__(self, client: MlflowClient, run_id: str, failures: int) -> None:
        self.client, self.run_id, self.failures_left = client, run_id, failures
        self.calls = 0
        self.failed = 0

    def __call__(self, batch: list) -> None:
        self.calls += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            self.failed += 1
            raise OSError("database is locked")
        LogBatchSink(self.client, self.run_id)(batch)


def test_failed_batches_are_retried_not_dropped(client, run_id):
    flaky = FlakySender(client, run_id, failures=2)
    writer = MetricWriter(flaky, flush_interval_s=0.05)
    for step in range(2500):
        writer.log(step=step, loss=step * 0.5)
    writer.close(timeout_s=60)
    assert flaky.failed == 2
    assert flaky.calls >= 2 + 3  # 2,500 points need at least three batches of 1,000
    assert writer.unsent == []
    assert writer.last_error is None
    assert history(client, run_id, "loss") == {step: step * 0.5 for step in range(2500)}


def test_on_flush_sees_latest_values_and_log_after_close_raises(client, run_id):
    seen: list[dict[str, float]] = []
    writer = MetricWriter(sender(client, run_id), on_flush=seen.append, flush_interval_s=0.05)
    writer.log(step=0, loss=2.0)
    writer.log(step=1, loss=1.0)
    writer.close(timeout_s=30)
    assert seen and seen[-1] == {"loss": 1.0}
    with pytest.raises(RuntimeError, match="%%track"):
        writer.log(loss=0.5)
    assert history(client, run_id, "loss") == {0: 2.0, 1: 1.0}


def test_log_outside_tracked_cell_warns_once_and_does_nothing(monkeypatch):
    monkeypatch.setattr(jupyter_exp, "_warned_untracked", False)
    assert _active.writer is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert jupyter_exp.log(loss=1.0) is None
        jupyter_exp.log(step=3, loss=0.5)
        jupyter_exp.log(acc=0.1)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert "outside a %%track cell" in messages[0]
    assert caught[0].filename == __file__  # points at the caller's line
    assert _active.writer is None


def test_log_inside_tracked_cell_goes_to_the_active_writer(client, run_id, monkeypatch):
    writer = MetricWriter(sender(client, run_id), flush_interval_s=0.05)
    monkeypatch.setattr(_active, "writer", writer)
    monkeypatch.setattr(jupyter_exp, "_warned_untracked", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jupyter_exp.log(step=3, **{"eval/accuracy": 0.9})
        jupyter_exp.log(**{"eval/accuracy": 0.8})
    writer.close(timeout_s=30)
    assert caught == []
    assert history(client, run_id, "eval/accuracy") == {3: 0.9, 0: 0.8}


@pytest.mark.parametrize("name", ["INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "INVALID_STATE"])
def test_the_writer_and_the_journal_agree_on_what_is_refused_for_good(name):
    """One ``send_points`` for the writer and the journal's completion: a batch refused for good is sent
    again key by key (the good keys kept); a store away is raised, or handed to ``retry_key`` for one key."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos import databricks_pb2

    from jupyter_exp.tracking.metrics import is_refused, send_points

    code = databricks_pb2.ErrorCode.Value(name)

    taken: list[str] = []

    def send(points):
        if any(p[0] == "bad" for p in points):
            raise MlflowException("Invalid metric name: 'bad'\nmore", error_code=code)
        taken.extend(p[0] for p in points)

    batch = [("good", 1.0, 0, 0), ("bad", 2.0, 0, 0), ("other", 3.0, 0, 1)]
    assert send_points(send, batch) == (2, [("bad", "Invalid metric name: 'bad'")])
    assert taken == ["good", "other"]
    assert is_refused(MlflowException("x", error_code=code))

    def away(points):
        raise MlflowException("connection refused", error_code=databricks_pb2.TEMPORARILY_UNAVAILABLE)

    assert not is_refused(MlflowException("x", error_code=databricks_pb2.TEMPORARILY_UNAVAILABLE))
    with pytest.raises(MlflowException, match="connection refused"):
        send_points(away, batch)
