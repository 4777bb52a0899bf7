"""Short run ids in the REST API: a unique prefix of 6+ characters is the run; an ambiguous one is a 400
naming the candidates; an unknown one the usual 404. A real server over a real SQLite store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from mlflow import MlflowClient
from tornado.httpclient import HTTPClientError

from tests.support.server import JupyterExpAPI


def shared_prefix(database: Path, run_id: str, prefix: str) -> str:
    """A run's id rewritten to start with ``prefix`` (as a collision would make it)."""
    new = prefix + run_id[len(prefix) :]
    connection = sqlite3.connect(database)
    with connection:
        for table in ("runs", "tags", "params", "latest_metrics", "metrics"):
            connection.execute(f"UPDATE {table} SET run_uuid = ? WHERE run_uuid = ?", (new, run_id))
    connection.close()
    return new


async def test_rest_takes_a_unique_prefix_and_names_the_candidates_of_an_ambiguous_one(
    jp_fetch, served_root: Path
) -> None:
    client = MlflowClient(f"sqlite:///{served_root / 'mlflow.db'}")
    experiment = client.create_experiment("short.ipynb", artifact_location=str(served_root / "mlartifacts"))
    one, two, three = (client.create_run(experiment, run_name=f"r{i}").info.run_id for i in range(3))
    for run_id in (one, two, three):
        client.log_metric(run_id, "loss", 0.5, step=0)
        client.set_terminated(run_id)
    a = shared_prefix(served_root / "mlflow.db", one, "abcdef12")
    b = shared_prefix(served_root / "mlflow.db", two, "abcdef12")
    api = JupyterExpAPI(jp_fetch)

    assert (await api(f"runs/{three[:8]}"))["run_id"] == three
    assert (await api(f"runs/{three[:6]}/metrics"))["run_id"] == three
    assert (await api.post(f"runs/{three[:8]}/rename", {"name": "renamed"})) == (
        200,
        {"run_id": three, "run_name": "renamed"},
    )
    [history] = (await api("history", {"run_ids": three[:8], "keys": "loss"}))["runs"]
    assert history["run_id"] == three
    with pytest.raises(HTTPClientError) as ambiguous:
        await api("runs/abcdef12")
    answer = json.loads(ambiguous.value.response.body)
    assert ambiguous.value.code == 400 and a in answer["message"] and b in answer["message"]
    with pytest.raises(HTTPClientError) as unknown:
        await api("runs/ffffff00")
    assert unknown.value.code == 404
    with pytest.raises(HTTPClientError) as ambiguous_side:
        await api("compare", {"run_ids": f"{three[:8]},abcdef"})
    assert ambiguous_side.value.code == 400
