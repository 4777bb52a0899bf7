"""A sweep as the sidebar's sweep view shows it (``GET /jupyter-exp/sweeps/<parent>``): the study's parent
run, its trials (number, state, value, params, the latest reproduction's verdict), the best trial, and
Optuna's param importance.

Everything comes from the MLflow record (docs/run-record.md#sweeps), never from the study's storage: the
storage URL on the parent is written by whoever could write the store, so it is untrusted and never
opened. The importance is computed on an in-memory Optuna study built from the trials' recorded params,
distributions and values (``create_trial`` / ``add_trials``). Framework-free: MlflowClient only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from jupyter_exp import record_schema as schema
from jupyter_exp.errors import BadRequest, one_line
from jupyter_exp.query.groups import MAX_GROUP, children
from jupyter_exp.query.listing import finite, get_run, quote_key
from jupyter_exp.tracking.experiments import experiments

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING")
DIRECTIONS = ("maximize", "minimize")
MAX_REPRODUCTIONS = 1000
IMPORTANCE_SEED = 0  # fANOVA's forest: the same trials give the same importance

Scalar = str | int | float | bool | None


class NotASweep(BadRequest):
    """The run is not a sweep's parent run (400)."""


class SweepTrial(TypedDict):
    number: int | None
    run_id: str
    run_name: str
    status: str  # the run's MLflow status
    state: str  # Optuna's: COMPLETE, PRUNED, FAIL, RUNNING (the run still running)
    value: float | None  # the objective; None unless complete
    params: dict[str, Scalar]  # the suggested values (JSON types as Optuna gave them)
    pruned_at: int | None
    verdict: str | None  # the newest reproduction's verdict
    reproduction_run_id: str | None


class SweepBest(TypedDict):
    number: int | None
    value: float | None
    run_id: str | None


class SweepDocument(TypedDict):
    run_id: str
    run_name: str
    sweep: str
    status: str
    user: str | None
    metric: str  # empty: the objective is the cell's last expression
    direction: str
    sampler: str | None
    pruner: str | None
    counts: dict[str, int]
    best: SweepBest | None
    params: list[str]
    space: dict[str, dict[str, Any]]  # each param's distribution, Optuna's JSON form
    trials: list[SweepTrial]
    importance: dict[str, float] | None  # most important first; fractions summing to 1
    importance_reason: str | None  # why there is none
    truncated: bool  # more trials than one search returns (MAX_GROUP)


def sweep_document(client: MlflowClient, run_id: str) -> SweepDocument:
    """The sweep whose parent run is ``run_id``; ``NotASweep`` for any other run (a trial names its parent)."""
    run = get_run(client, run_id)
    tags = run.data.tags
    role = tags.get(schema.SWEEP_ROLE)
    if role != "study":
        raise NotASweep(_not_a_sweep(run_id, tags))
    direction = tags.get(schema.SWEEP_DIRECTION, "")
    direction = direction if direction in DIRECTIONS else "maximize"
    metric = tags.get(schema.SWEEP_METRIC, "")
    kids = [kid for kid in children(client, run) if kid.data.tags.get(schema.SWEEP_ROLE) == "trial"]
    trials = sorted((_trial(kid, metric) for kid in kids), key=_by_number)
    best = _best(tags, trials)
    if best is not None:
        for trial in trials:  # a trial recorded before the value tag: the parent holds the best one's
            if trial["run_id"] == best["run_id"] and trial["value"] is None and trial["state"] == "COMPLETE":
                trial["value"] = best["value"]
    _add_verdicts(client, trials)
    space = _space(tags.get(schema.SWEEP_SPACE, ""))
    importance, reason = param_importance(trials, space, direction, metric)
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name or tags.get(schema.RUN_NAME) or run.info.run_id,
        "sweep": tags.get(schema.SWEEP, ""),
        "status": run.info.status,
        "user": tags.get(schema.USER) or None,
        "metric": metric,
        "direction": direction,
        "sampler": tags.get(schema.SWEEP_SAMPLER) or None,
        "pruner": tags.get(schema.SWEEP_PRUNER) or None,
        "counts": {state: sum(t["state"] == state for t in trials) for state in STATES},
        "best": best,
        "params": sorted({key for trial in trials for key in trial["params"]}),
        "space": {key: json.loads(json_text) for key, (_, json_text) in space.items()},
        "trials": trials,
        "importance": importance,
        "importance_reason": reason,
        "truncated": len(kids) >= MAX_GROUP,
    }


def _not_a_sweep(run_id: str, tags: Mapping[str, str]) -> str:
    if tags.get(schema.SWEEP_ROLE) in ("trial", "seed"):
        parent = tags.get(schema.PARENT_RUN_ID, "")
        return (
            f"run {run_id[:8]} is a trial of sweep {tags.get(schema.SWEEP, '')!r}, not its parent run: "
            f"open {parent[:8] or 'its parent'}"
        )
    return f"run {run_id[:8]} is not a sweep (a %%track --sweep parent run)"


def _by_number(trial: SweepTrial) -> tuple[int, int]:
    number = trial["number"]
    return (0, number) if number is not None else (1, 0)


def _integer(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 19 else None


def _trial(run: Run, metric: str) -> SweepTrial:
    tags = run.data.tags
    state = tags.get(schema.SWEEP_TRIAL_STATE, "")
    if state not in STATES:  # not ended through the sweep: still running, or its kernel died (Optuna FAIL)
        state = "RUNNING" if run.info.status == schema.RUNNING else "FAIL"
    value = None
    if state == "COMPLETE":
        value = _number(tags.get(schema.SWEEP_VALUE))  # the objective as the sweep told Optuna
    if value is None and state == "COMPLETE" and metric:  # recorded before the value tag
        key = f"{metric}/mean" if schema.GROUP in tags else metric  # --seeds: a trial is a group's parent
        value = finite(run.data.metrics.get(key))
    return {
        "number": _integer(tags.get(schema.SWEEP_TRIAL)),
        "run_id": run.info.run_id,
        "run_name": run.info.run_name or tags.get(schema.RUN_NAME) or run.info.run_id,
        "status": run.info.status,
        "state": state,
        "value": value,
        "params": _params(tags.get(schema.SWEEP_TRIAL_PARAMS), run.data.params),
        "pruned_at": _integer(tags.get(schema.SWEEP_PRUNED_AT)),
        "verdict": None,
        "reproduction_run_id": None,
    }


def _number(text: str | None) -> float | None:
    try:
        return finite(float(text)) if text else None
    except ValueError:
        return None


def _params(recorded: str | None, logged: Mapping[str, str]) -> dict[str, Scalar]:
    """The suggested values from the trial's JSON tag (typed), else its MLflow params (text: a trial still
    running has no tag yet). Only JSON scalars are kept (finite numbers)."""
    try:
        found = json.loads(recorded) if recorded else None
    except (ValueError, RecursionError):
        found = None
    if not isinstance(found, dict):
        return {key: value for key, value in logged.items() if key != "seed"}
    return {
        str(key): value
        for key, value in found.items()
        if isinstance(value, str | int | bool | None) or (isinstance(value, float) and math.isfinite(value))
    }


def _best(tags: Mapping[str, str], trials: list[SweepTrial]) -> SweepBest | None:
    """The parent's best trial (its tags, updated as trials end)."""
    run_id = tags.get(schema.SWEEP_BEST_RUN) or None
    number = _integer(tags.get(schema.SWEEP_BEST_TRIAL))
    if run_id is None and number is None:
        return None
    value = _number(tags.get(schema.SWEEP_BEST_VALUE))
    if run_id is None:
        run_id = next((t["run_id"] for t in trials if t["number"] == number), None)
    return {"number": number, "value": value, "run_id": run_id}


def _add_verdicts(client: MlflowClient, trials: list[SweepTrial]) -> None:
    """Each trial's newest reproduction (one search over the store's reproductions, newest first)."""
    from mlflow.entities import ViewType

    by_id = {trial["run_id"]: trial for trial in trials}
    ids = list(experiments(client))
    if not by_id or not ids:
        return
    found = client.search_runs(
        ids,
        f"tags.{quote_key(schema.REPRODUCED_FROM)} IS NOT NULL",
        ViewType.ACTIVE_ONLY,
        max_results=MAX_REPRODUCTIONS,
        order_by=["attributes.start_time DESC"],
    )
    for run in found:
        trial = by_id.get(run.data.tags.get(schema.REPRODUCED_FROM, ""))
        verdict = run.data.tags.get(schema.REPRODUCTION_VERDICT)
        if trial is not None and trial["reproduction_run_id"] is None and verdict in schema.VERDICTS:
            trial["verdict"] = verdict
            trial["reproduction_run_id"] = run.info.run_id


def _space(recorded: str) -> dict[str, tuple[Any, str]]:
    """Each param's Optuna distribution from the parent's space tag (Optuna's own JSON form; a param
    whose entry does not parse is left out): ``{key: (distribution, its JSON)}``. Empty without Optuna."""
    try:
        from optuna.distributions import distribution_to_json, json_to_distribution
    except ImportError:
        return {}
    try:
        found = json.loads(recorded) if recorded else {}
    except (ValueError, RecursionError):
        return {}
    space: dict[str, tuple[Any, str]] = {}
    for key, entry in found.items() if isinstance(found, dict) else ():
        try:
            distribution = json_to_distribution(json.dumps(entry))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        space[str(key)] = (distribution, distribution_to_json(distribution))
    return space


def param_importance(
    trials: list[SweepTrial], space: Mapping[str, tuple[Any, str]], direction: str, metric: str
) -> tuple[dict[str, float] | None, str | None]:
    """Optuna's ``get_param_importances`` (fANOVA, seeded) over the complete trials' recorded params and
    values, on an in-memory study; else None and why not (one line)."""
    try:
        import optuna
        from optuna.importance import FanovaImportanceEvaluator, get_param_importances
        from optuna.trial import create_trial
    except ImportError:
        return None, "Optuna is not installed where the server runs (pip install jupyter-exp[sweep])"
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    valued = [t for t in complete if t["value"] is not None]
    if len(complete) > len(valued) and not metric:
        return None, (
            "the objective is the cell's last expression, and these trials' runs do not record its value "
            f"(no {schema.SWEEP_VALUE} tag: recorded by an older jupyter-exp)"
        )
    frozen = []
    for trial in valued:
        params = {k: v for k, v in trial["params"].items() if k in space}
        if not params:
            continue
        try:
            frozen.append(
                create_trial(
                    params=params,
                    distributions={k: space[k][0] for k in params},
                    value=trial["value"],
                )
            )
        except (ValueError, TypeError):  # a value outside its recorded distribution
            continue
    if len(frozen) < 2:
        return (
            None,
            f"importance needs 2 or more complete trials with recorded values; there are {len(frozen)}",
        )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # in memory: the sweep's own storage is never opened
    study = optuna.create_study(direction="minimize" if direction == "minimize" else "maximize")
    study.add_trials(frozen)
    try:
        found = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=IMPORTANCE_SEED))
    except (ValueError, RuntimeError, ZeroDivisionError) as error:
        return None, f"Optuna could not compute the importance: {one_line(error)}"
    importance = {str(k): float(v) for k, v in found.items() if math.isfinite(v)}
    if not importance:
        return None, "no param varies over the complete trials"
    return importance, None
