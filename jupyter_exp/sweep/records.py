"""What a sweep writes about its study and trials: the parent run's tags, a trial run's tags, the standings
(counts, best, top trials) that the parent and the card show. Pure functions over Optuna's FrozenTrials."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.sweep.objective import PRUNED_REASON
from jupyter_exp.sweep.options import SweepOptions
from jupyter_exp.sweep.storage import without_credentials
from jupyter_exp.text_table import number_text, text_table

TOP = 5


@dataclass(frozen=True)
class Standings:
    complete: int
    pruned: int
    failed: int
    best_number: int | None
    best_value: float | None
    top: list[tuple[int, float, dict[str, Any]]]  # (number, value, params), best first

    def counts(self) -> str:
        return f"complete={self.complete} pruned={self.pruned} failed={self.failed}"

    def text(self, name: str) -> str:
        """The card's plain text: counts, best so far, the top trials."""
        best = (
            f"best so far: trial {self.best_number} = {number_text(self.best_value)}"
            if self.best_number is not None
            else "no trial complete yet"
        )
        lines = [f"sweep {name}: {self.counts()}; {best}"]
        if self.top:
            keys = sorted({k for _, _, params in self.top for k in params})
            rows = [[str(n), number_text(v), *(str(p.get(k, "")) for k in keys)] for n, v, p in self.top]
            lines.append(text_table(rows, ["trial", "value", *keys]))
        return "\n".join(lines)


def standings(trials: list[Any], direction: str) -> Standings:
    """Counts by state, the best complete trial and the top five, from the study's trials."""
    from optuna.trial import TrialState

    done = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    done.sort(key=lambda t: t.value, reverse=direction == "maximize")
    best = done[0] if done else None
    return Standings(
        complete=len(done),
        pruned=sum(t.state == TrialState.PRUNED for t in trials),
        failed=sum(t.state == TrialState.FAIL for t in trials),
        best_number=best.number if best is not None else None,
        best_value=best.value if best is not None else None,
        top=[(t.number, float(t.value), dict(t.params)) for t in done[:TOP]],
    )


def parent_tags(
    options: SweepOptions, study_name: str, storage_url: str, described: dict[str, str]
) -> dict[str, str]:
    return {
        schema.SWEEP: options.name,
        schema.SWEEP_ROLE: "study",
        schema.SWEEP_STUDY: study_name,
        schema.SWEEP_STORAGE: without_credentials(storage_url),
        schema.SWEEP_METRIC: options.metric or "",
        schema.SWEEP_DIRECTION: options.direction,
        schema.SWEEP_SAMPLER: f"{described['sampler']} seed={described['sampler_seed']}",
        schema.SWEEP_PRUNER: described["pruner"],
    }


def standings_tags(result: Standings, best_run: str | None) -> dict[str, str]:
    tags = {schema.SWEEP_COUNTS: result.counts()}
    if result.best_number is not None:
        tags[schema.SWEEP_BEST_TRIAL] = str(result.best_number)
        tags[schema.SWEEP_BEST_VALUE] = repr(result.best_value)
        if best_run:
            tags[schema.SWEEP_BEST_RUN] = best_run
    return tags


def search_space(trials: list[Any]) -> str:
    """Each param's distribution as trials suggested it (JSON, Optuna's own serialization)."""
    from optuna.distributions import distribution_to_json

    space: dict[str, Any] = {}
    for trial in trials:
        for key, distribution in trial.distributions.items():
            space.setdefault(key, json.loads(distribution_to_json(distribution)))
    return json.dumps(space, sort_keys=True)


def trial_tags(
    name: str,
    number: int,
    params: dict[str, Any],
    state: str,
    pruned_at: int | None,
    value: float | None = None,
) -> dict[str, str]:
    """A trial run's sweep tags; ``value`` (a complete trial's objective) is kept whatever the objective
    is: with the cell's last expression as objective, no metric of the run holds it."""
    tags = {
        schema.SWEEP: name,
        schema.SWEEP_ROLE: "trial",
        schema.SWEEP_TRIAL: str(number),
        schema.SWEEP_TRIAL_STATE: state,
        schema.SWEEP_TRIAL_PARAMS: json.dumps(params, sort_keys=True),
    }
    if state == "PRUNED":
        tags[schema.END_REASON] = PRUNED_REASON
        tags[schema.SWEEP_PRUNED_AT] = str(pruned_at)
    if state == "COMPLETE" and value is not None:
        tags[schema.SWEEP_VALUE] = repr(float(value))
    return tags


def best_trial_run(tags: dict[str, str]) -> tuple[str, str] | None:
    """A study's parent run (by its tags): its best trial's (number, run id); None for any other run.
    ValueError when the study has no complete trial yet."""
    if tags.get(schema.SWEEP_ROLE) != "study":
        return None
    best = tags.get(schema.SWEEP_BEST_RUN)
    if not best:
        raise ValueError(
            f"sweep {tags.get(schema.SWEEP, '')}: no trial is complete yet, nothing to reproduce"
        )
    return tags.get(schema.SWEEP_BEST_TRIAL, "?"), best
