"""The REST compare with seed groups: group statistics and verdicts, with the server's lower-is-better setting."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

ACC = [0.90, 0.91, 0.89, 0.92, 0.90, 0.91]


@pytest.fixture
def jp_server_config():  # the conftest's, with a lower-is-better pattern that claims accuracy
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_exp": True, "jupyter_server_terminals": False},
            "allow_unauthenticated_access": False,
        },
        "JupyterExp": {"lower_is_better": "loss|acc"},
    }


def _groups(root) -> list[str]:
    client = MlflowClient(f"sqlite:///{root / 'mlflow.db'}")
    experiment = client.create_experiment("nb.ipynb", artifact_location=str(root / "mlartifacts"))
    ids = []
    for lr, gain in (("0.05", 0.0), ("0.2", 0.05)):
        for seed, acc in enumerate(ACC):
            run_id = client.create_run(experiment, tags={"jupyter_exp.seed": str(seed)}).info.run_id
            points = [
                Metric("eval/acc", (acc + gain) * (s + 1) / 10, 1_700_000_000_000 + s, s) for s in range(10)
            ]
            client.log_batch(
                run_id,
                metrics=points,
                params=[Param("lr", lr), Param("seed", str(seed))],
                tags=[RunTag("x", "1")],
            )
            client.set_terminated(run_id)
            ids.append(run_id)
    return ids


async def test_ticked_seed_groups_get_statistics_and_a_verdict(jp_fetch, served_root):
    ids = _groups(served_root)
    response = await jp_fetch("jupyter-exp", "compare", params={"run_ids": ",".join(ids), "max_points": 5})
    groups = json.loads(response.body)["groups"]
    assert [g["label"] for g in groups["groups"]] == ["lr=0.05", "lr=0.2"]
    assert groups["groups"][1]["summaries"]["eval/acc"]["mean"] == pytest.approx(sum(ACC) / 6 + 0.05)
    [row] = groups["statistics"]
    assert row["paired"] and row["test"] == "paired permutation" and row["p_value"] == pytest.approx(2 / 64)
    assert (
        row["lower_is_better"] and row["outcome"] == "worse"
    )  # higher accuracy, but the server says lower wins
    assert [len(band["steps"]) for band in groups["series"]["eval/acc"]] == [5, 5]
    response = await jp_fetch("jupyter-exp", "compare", params={"run_ids": f"{ids[0]},{ids[-1]}"})
    assert json.loads(response.body)["groups"] is None  # one run of each configuration: no groups
