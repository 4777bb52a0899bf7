"""A real small Optuna sweep recorded in a real MLflow store the way ``%%track --sweep`` records it (the
parent's and trials' tags from jupyter_exp/sweep/records.py, params, metrics, statuses), without a kernel:
for the sweep view's core, REST and browser tests."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import optuna
from mlflow import MlflowClient

from jupyter_exp import record_schema as schema
from jupyter_exp.sweep import records
from jupyter_exp.sweep.options import SweepOptions

METRIC = "score"


def objective_of(lr: float, hidden: int, act: str) -> float:
    """Depends mostly on lr (so fANOVA ranks it first), a little on hidden, not at all on act."""
    return -((math.log10(lr) + 2.0) ** 2) + hidden / 1000


@dataclass
class RecordedSweep:
    parent: str
    trials: dict[int, str]  # trial number -> run id
    states: dict[int, str]
    values: dict[int, float]  # complete trials only
    study: Any


def record_sweep(
    client: MlflowClient,
    experiment_id: str,
    name: str = "demo",
    trials: int = 8,
    prune: tuple[int, ...] = (2,),
) -> RecordedSweep:
    """A study of ``trials`` trials (the numbers in ``prune`` pruned, the last one failed), each a child run."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=3))
    options = SweepOptions(name, trials, METRIC, "maximize", "median", 3)
    described = {"sampler": "TPESampler", "sampler_seed": "3", "pruner": "MedianPruner"}
    parent_tags = records.parent_tags(options, f"{experiment_id}/{name}", "journal:/tmp/x.log", described)
    parent = client.create_run(
        experiment_id, run_name=f"sweep-{name}", tags={**parent_tags, schema.USER: "tester"}
    ).info.run_id
    recorded = RecordedSweep(parent, {}, {}, {}, study)
    for _ in range(trials):
        trial = study.ask()
        params = {
            "lr": trial.suggest_float("lr", 1e-4, 1.0, log=True),
            "hidden": trial.suggest_categorical("hidden", [16, 32, 64]),
            "act": trial.suggest_categorical("act", ["relu", "tanh"]),
        }
        run = client.create_run(
            experiment_id,
            run_name=f"{name}-t{trial.number}",
            tags={
                schema.PARENT_RUN_ID: parent,
                schema.SWEEP: name,
                schema.SWEEP_ROLE: "trial",
                schema.SWEEP_TRIAL: str(trial.number),
            },
        ).info.run_id
        value = objective_of(params["lr"], params["hidden"], params["act"])
        state, status, pruned_at = "COMPLETE", schema.FINISHED, None
        if trial.number in prune:
            state, status, pruned_at = "PRUNED", schema.KILLED, 1
        elif trial.number == trials - 1:
            state, status = "FAIL", schema.FAILED_STATUS
        steps = 2 if state == "PRUNED" else 4
        for step in range(steps):
            client.log_metric(run, METRIC, value * (step + 1) / 4 if step < 3 else value, step=step)
        for key, param in params.items():
            client.log_param(run, key, param)
        recorded_value = value if state == "COMPLETE" else None
        for key, tag in records.trial_tags(
            name, trial.number, params, state, pruned_at, recorded_value
        ).items():
            client.set_tag(run, key, tag)
        client.set_terminated(run, status)
        if state == "COMPLETE":
            study.tell(trial, value)
            recorded.values[trial.number] = value
        else:
            failed = optuna.trial.TrialState.PRUNED if state == "PRUNED" else optuna.trial.TrialState.FAIL
            study.tell(trial, state=failed)
        recorded.trials[trial.number] = run
        recorded.states[trial.number] = state
    done = study.get_trials(deepcopy=False)
    standing = records.standings(done, "maximize")
    best_run = recorded.trials[standing.best_number] if standing.best_number is not None else None
    tags = {**records.standings_tags(standing, best_run), schema.SWEEP_SPACE: records.search_space(done)}
    for key, tag in tags.items():
        client.set_tag(parent, key, tag)
    client.set_terminated(parent, schema.FINISHED)
    return recorded


def space_of(client: MlflowClient, parent: str) -> dict[str, Any]:
    return dict(json.loads(client.get_run(parent).data.tags[schema.SWEEP_SPACE]))
