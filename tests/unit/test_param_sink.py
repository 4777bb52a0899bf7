"""Params straight into a SQLite store (issue 24, many params): one transaction instead of log_batch's
100 a call (MLflow's SQL store reads all the run's params on each), MLflow's refusals kept."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from jupyter_exp.tracking.metrics import is_refused
from jupyter_exp.tracking.recorder import send_params


class CountingClient(MlflowClient):
    """A real client that counts its log_batch calls."""

    batches = 0

    def log_batch(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingClient.batches += 1
        return super().log_batch(*args, **kwargs)


@pytest.fixture
def run(store_uri, tmp_path) -> tuple[CountingClient, str]:
    client = CountingClient(store_uri)
    experiment = client.create_experiment("params", artifact_location=str(tmp_path / "artifacts"))
    return client, client.create_run(experiment).info.run_id


def test_many_params_in_one_transaction_all_readable_by_mlflow(run) -> None:
    client, run_id = run
    params = {f"p{i}": str(i) for i in range(1_000)}
    send_params(client, run_id, params)
    assert CountingClient.batches == 0  # 10 log_batch calls of 100 before, each reading the run's params
    assert client.get_run(run_id).data.params == params
    send_params(client, run_id, {"p1": "1", "p1000": "x" * 7000})  # the same value again: nothing to do
    stored = client.get_run(run_id).data.params
    assert stored["p1"] == "1" and len(stored["p1000"]) == 6000  # MLflow's own truncation


def test_what_mlflow_refuses_is_refused_the_same_way(run) -> None:
    client, run_id = run
    send_params(client, run_id, {"lr": "0.1"})
    with pytest.raises(MlflowException, match="Changing param values is not allowed") as changed:
        send_params(client, run_id, {"lr": "0.2", "other": "1"})
    assert is_refused(changed.value)
    assert "other" not in client.get_run(run_id).data.params  # nothing half-written
    with pytest.raises(MlflowException) as bad_name:
        send_params(client, run_id, {"../bad": "1"})
    assert is_refused(bad_name.value)
    client.set_terminated(run_id)
    client.delete_run(run_id)
    with pytest.raises(MlflowException):  # a deleted run: log_batch says so, in MLflow's words
        send_params(client, run_id, {"late": "1"})
