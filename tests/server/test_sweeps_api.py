"""GET /jupyter-exp/sweeps/<parent>: a real Optuna sweep recorded in the server's real SQLite store (as
``%%track --sweep`` records it): trials, best and importance; short ids; a trial or plain run a one-line
400, an unknown id 404 (authentication and authorization: test_hardening.py, which covers every route)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.kernels import store
from tests.support.server import JupyterExpAPI
from tests.support.sweeps import RecordedSweep, record_sweep


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RecordedSweep, str]:
    root = tmp_path_factory.mktemp("sweeps") / "project"
    root.mkdir()
    client = store(root)
    experiment = client.create_experiment("sweep-api")
    sweep = record_sweep(client, experiment, trials=6, prune=(1,))
    plain = client.create_run(experiment, run_name="plain").info.run_id
    return root, sweep, plain


@pytest.fixture
def api(jp_fetch, recorded, monkeypatch) -> JupyterExpAPI:
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(recorded[0]))
    return JupyterExpAPI(jp_fetch)


async def failure(api: JupyterExpAPI, path: str) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as raised:
        await api(path)
    assert raised.value.response is not None
    return raised.value.code, json.loads(raised.value.response.body)["message"]


async def test_a_sweep_by_full_and_short_id(api, recorded):
    _, sweep, _ = recorded
    answer = await api(f"sweeps/{sweep.parent}")
    assert [t["run_id"] for t in answer["trials"]] == [sweep.trials[n] for n in range(6)]
    assert [t["state"] for t in answer["trials"]] == [sweep.states[n] for n in range(6)]
    assert answer["best"]["number"] == sweep.study.best_trial.number
    assert answer["best"]["value"] == sweep.study.best_value
    assert set(answer["importance"]) == {"lr", "hidden", "act"}
    assert sum(answer["importance"].values()) == pytest.approx(1.0)
    assert answer["importance_reason"] is None
    assert await api(f"sweeps/{sweep.parent[:8]}") == answer


async def test_a_trial_or_a_plain_run_is_a_one_line_400_and_an_unknown_id_a_404(api, recorded):
    _, sweep, plain = recorded
    code, message = await failure(api, f"sweeps/{sweep.trials[0]}")
    assert code == 400 and message.startswith(f"run {sweep.trials[0][:8]} is a trial of sweep 'demo'")
    assert "\n" not in message
    code, message = await failure(api, f"sweeps/{plain}")
    assert (code, message) == (400, f"run {plain[:8]} is not a sweep (a %%track --sweep parent run)")
    code, message = await failure(api, "sweeps/0123456789abcdef0123456789abcdef")
    assert code == 404 and "no run with id" in message


async def test_the_run_list_names_a_sweeps_parent(api, recorded):
    _, sweep, plain = recorded
    page = await api("runs", {"experiment": "sweep-api", "max_results": "100"})
    by_id = {run["run_id"]: run for run in page["runs"]}
    assert by_id[sweep.parent]["sweep"] == "demo"
    assert by_id[sweep.trials[0]]["sweep"] is None and by_id[plain]["sweep"] is None
