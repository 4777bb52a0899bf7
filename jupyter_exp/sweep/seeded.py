"""``%%track --sweep NAME --seeds 0,1,2``: every configuration a seed group. A trial is a seed group's parent
(child of the study's parent) with one child run per seed; its objective is the mean, over the seeds, of the
metric's final value (the group's summary). Trials are not pruned (one seed's steps say little of the mean)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.sweep import records
from jupyter_exp.track.seed_group import SeedGroup, SeedPlan
from jupyter_exp.tracking.finisher import wait_for_runs


def run_seeded_trial(sweep: Any, trial: Any, plan: SeedPlan, tags: dict[str, str], name: str) -> Any:
    """One trial as a seed group; Optuna is told its mean (or FAIL). Returns the last child's value."""
    __tracebackhide__ = True
    options = replace(sweep.track_options, seed=None, tags=tags, quiet=True, name=name)
    group = SeedGroup(plan, options, sweep.make_cell, sweep.settings, sweep._probe.history)
    group.prepare()
    started: list[str] = []
    sweep._probe.shell.user_ns["trial"] = trial
    try:
        value = group.run()
    except BaseException:
        if group.recorder is not None:
            started.append(group.run_id)
            trial.set_user_attr("jupyter_exp.run_id", group.run_id)
        sweep._tell(trial, "FAIL", None, started)
        raise
    started.append(group.run_id)
    trial.set_user_attr("jupyter_exp.run_id", group.run_id)
    wait_for_runs(120)  # the children's summaries are made as their runs complete
    summary = group.summaries.get(sweep.options.metric or "")
    mean = summary.mean if summary is not None else None
    state = "COMPLETE" if mean is not None else "FAIL"
    _label(sweep, group, trial, state, mean)
    sweep._tell(trial, state, mean, started)
    return value


def _label(sweep: Any, group: SeedGroup, trial: Any, state: str, mean: float | None) -> None:
    """The suggested values on the trial's run and its seed runs (known once the first seed ran)."""
    from mlflow.entities import Param, RunTag

    params = [Param(str(k), str(v)) for k, v in trial.params.items()]
    trial_tags = records.trial_tags(sweep.options.name, trial.number, trial.params, state, None, mean)
    seed_tags = {**trial_tags, schema.SWEEP_ROLE: "seed", schema.SWEEP_TRIAL_PARAMS: json.dumps(trial.params)}
    seed_tags.pop(schema.SWEEP_VALUE, None)  # the group's mean, not a seed's value
    for run_id, tags in [(group.run_id, trial_tags), *((c.run_id, seed_tags) for c in group.children)]:
        try:
            sweep.client.log_batch(run_id, params=params, tags=[RunTag(k, v) for k, v in tags.items()])
        except Exception:  # a param already logged differently (a literal of the cell): the tags still go
            sweep.client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()])
