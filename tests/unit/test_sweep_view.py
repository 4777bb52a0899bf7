"""The sweep view's core (query/sweeps.py) on a real MLflow SQLite store holding a real small Optuna sweep
recorded as ``%%track --sweep`` records it: trials, best, Optuna's param importance from an in-memory
study, a reproduction's verdict, and untrusted tags that never reach the study's storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient
from optuna.importance import FanovaImportanceEvaluator, get_param_importances

from jupyter_exp import record_schema as schema
from jupyter_exp.query.sweeps import IMPORTANCE_SEED, NotASweep, sweep_document
from jupyter_exp.reproduce.errors import RecordNotFound
from tests.support.sweeps import METRIC, record_sweep


@pytest.fixture
def client(store_uri: str) -> MlflowClient:
    return MlflowClient(store_uri)


@pytest.fixture
def experiment(client: MlflowClient) -> str:
    return client.create_experiment("sweeps")


def test_the_trials_best_and_importance_are_the_recorded_studys(client, experiment):
    recorded = record_sweep(client, experiment, trials=16, prune=(2, 5))
    document = sweep_document(client, recorded.parent)

    assert document["sweep"] == "demo" and document["metric"] == METRIC
    assert document["direction"] == "maximize" and document["user"] == "tester"
    trials = document["trials"]
    assert [t["number"] for t in trials] == list(range(16))
    assert [t["run_id"] for t in trials] == [recorded.trials[n] for n in range(16)]
    assert [t["state"] for t in trials] == [recorded.states[n] for n in range(16)]
    assert document["counts"] == {"COMPLETE": 13, "PRUNED": 2, "FAIL": 1, "RUNNING": 0}
    frozen = {t.number: t for t in recorded.study.get_trials()}
    for trial in trials:
        assert trial["params"] == frozen[trial["number"]].params  # typed: floats, ints, strings
        assert trial["value"] == recorded.values.get(trial["number"])  # None unless complete
    assert trials[2]["pruned_at"] == 1 and trials[2]["status"] == schema.KILLED
    best = recorded.study.best_trial
    assert document["best"] == {
        "number": best.number,
        "value": best.value,
        "run_id": recorded.trials[best.number],
    }
    assert document["params"] == ["act", "hidden", "lr"]
    assert document["space"]["lr"]["attributes"]["log"] is True

    # the same computation as Optuna's own on the real study (its pruned and failed trials ignored)
    expected = get_param_importances(
        recorded.study, evaluator=FanovaImportanceEvaluator(seed=IMPORTANCE_SEED)
    )
    assert document["importance"] == pytest.approx(dict(expected))
    assert list(document["importance"]) == list(expected)
    assert next(iter(document["importance"])) == "lr"  # the objective depends mostly on lr
    assert document["importance_reason"] is None and document["truncated"] is False


def test_a_minimizing_sweep_and_a_short_id(client, experiment):
    recorded = record_sweep(client, experiment, name="mini", trials=4, prune=())
    client.set_tag(recorded.parent, schema.SWEEP_DIRECTION, "minimize")
    document = sweep_document(client, recorded.parent)
    assert document["direction"] == "minimize"
    assert document["counts"]["COMPLETE"] == 3


def test_fewer_than_two_complete_trials_give_a_reason(client, experiment):
    recorded = record_sweep(client, experiment, trials=3, prune=(0,))
    document = sweep_document(client, recorded.parent)
    assert document["counts"]["COMPLETE"] == 1
    assert document["importance"] is None
    assert document["importance_reason"] == (
        "importance needs 2 or more complete trials with recorded values; there are 1"
    )


def test_a_last_expression_objective_is_read_from_each_trials_value_tag(client, experiment):
    recorded = record_sweep(client, experiment, trials=8, prune=())
    client.set_tag(recorded.parent, schema.SWEEP_METRIC, "")  # no metric: the value tags hold it
    document = sweep_document(client, recorded.parent)
    values = {t["number"]: t["value"] for t in document["trials"] if t["value"] is not None}
    assert values == recorded.values  # every complete trial's, not the best one's only
    assert document["importance"] is not None and document["importance_reason"] is None


def test_an_older_last_expression_sweep_says_why_there_is_no_importance(client, experiment):
    recorded = record_sweep(client, experiment, trials=4, prune=())
    client.set_tag(recorded.parent, schema.SWEEP_METRIC, "")
    for number, run_id in recorded.trials.items():  # recorded before trials kept their value
        if number in recorded.values:
            client.delete_tag(run_id, schema.SWEEP_VALUE)
    document = sweep_document(client, recorded.parent)
    best = document["best"]
    assert best is not None
    valued = [t["number"] for t in document["trials"] if t["value"] is not None]
    assert valued == [best["number"]]  # the parent holds the best trial's value only
    assert schema.SWEEP_VALUE in (document["importance_reason"] or "")


def test_other_runs_are_one_line_400s_and_unknown_ids_404s(client, experiment):
    recorded = record_sweep(client, experiment, trials=3, prune=())
    plain = client.create_run(experiment, run_name="plain").info.run_id
    with pytest.raises(NotASweep) as raised:
        sweep_document(client, plain)
    assert raised.value.http_status == 400 and "\n" not in str(raised.value)
    assert str(raised.value) == f"run {plain[:8]} is not a sweep (a %%track --sweep parent run)"
    with pytest.raises(NotASweep, match=f"is a trial of sweep 'demo'.*open {recorded.parent[:8]}"):
        sweep_document(client, recorded.trials[0])
    with pytest.raises(RecordNotFound):
        sweep_document(client, "0123456789abcdef0123456789abcdef")


def test_a_trials_newest_reproduction_verdict(client, experiment):
    recorded = record_sweep(client, experiment, trials=3, prune=())
    for verdict in ("diverged", "exact"):  # the newest (exact) wins
        run = client.create_run(
            experiment,
            start_time=1_000 if verdict == "diverged" else 2_000,
            tags={schema.REPRODUCED_FROM: recorded.trials[1], schema.REPRODUCTION_VERDICT: verdict},
        ).info.run_id
        client.set_terminated(run, schema.FINISHED)
    trials = sweep_document(client, recorded.parent)["trials"]
    assert trials[1]["verdict"] == "exact" and trials[1]["reproduction_run_id"] == run
    assert trials[0]["verdict"] is None and trials[0]["reproduction_run_id"] is None


def test_untrusted_tags_never_open_the_storage_and_never_break_the_view(client, experiment, tmp_path: Path):
    recorded = record_sweep(client, experiment, trials=5, prune=())
    target = tmp_path / "not-to-be-opened" / "journal.log"
    client.set_tag(recorded.parent, schema.SWEEP_STORAGE, f"journal:{target}")
    client.set_tag(recorded.parent, schema.SWEEP_STUDY, "1/demo")
    client.set_tag(
        recorded.trials[0], schema.SWEEP_TRIAL_PARAMS, '{"lr": "__import__(\'os\')", "hidden": 1e999}'
    )
    client.set_tag(recorded.trials[1], schema.SWEEP_TRIAL_PARAMS, "[[[[")
    client.set_tag(recorded.trials[2], schema.SWEEP_TRIAL, "not a number")
    document = sweep_document(client, recorded.parent)
    assert not target.parent.exists()  # the recorded storage was never opened (nor created)
    trials = {t["run_id"]: t for t in document["trials"]}
    assert trials[recorded.trials[0]]["params"] == {"lr": "__import__('os')"}  # text, never run
    logged = recorded.study.trials[1].params  # the JSON tag broken: its MLflow params, as text
    assert trials[recorded.trials[1]]["params"] == {k: str(v) for k, v in logged.items()}
    assert trials[recorded.trials[2]]["number"] is None
    assert document["importance"] is not None  # from the trials whose params fit their distributions

    client.set_tag(recorded.parent, schema.SWEEP_SPACE, '{"lr": {"name": "eval", "attributes": {}}}')
    document = sweep_document(client, recorded.parent)
    assert document["space"] == {} and document["importance"] is None
    assert document["importance_reason"] is not None
