"""Groups of runs over seeds: what one side of a comparison is.

A group is a set of runs of one configuration, told apart only by their seed (docs/run-record.md: the
``seed`` param, the ``jupyter_exp.seed`` tag). It comes from a ``%%track --seeds`` parent (its children),
from existing runs whose params minus the seed are equal, or from a list the caller names.
Framework-free: MlflowClient only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.query.listing import QueryError, get_run, quote_key, quote_value
from jupyter_exp.reproduce.errors import RecordNotFound
from jupyter_exp.tracking.experiments import experiments
from jupyter_exp.tracking.run_ids import resolve_run_id

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

SEED_PARAM = "seed"
GROUP_TAG = schema.GROUP  # on a --seeds parent and its children: the parent's run id
MAX_GROUP = 1000


@dataclass
class Group:
    """Runs of one configuration over seeds (or whatever runs the caller put together)."""

    runs: list[Run]
    label: str
    notes: list[str] = field(default_factory=list)

    @property
    def run_ids(self) -> list[str]:
        return [run.info.run_id for run in self.runs]

    @property
    def seeds(self) -> list[str | None]:
        return [seed_of(run) for run in self.runs]

    @property
    def config(self) -> dict[str, str | None]:
        """Params minus the seed; a param whose value differs between the runs is ``None`` (mixed)."""
        keys = sorted({k for run in self.runs for k in configuration(run)})
        found: dict[str, str | None] = {}
        for key in keys:
            values = {configuration(run).get(key) for run in self.runs}
            found[key] = values.pop() if len(values) == 1 else None
        return found

    def __len__(self) -> int:
        return len(self.runs)

    def __repr__(self) -> str:
        seeds = ", ".join(s or "?" for s in self.seeds)
        return f"Group({self.label!r}: {len(self.runs)} runs, seeds {seeds})"


def seed_of(run: Run) -> str | None:
    return run.data.tags.get(schema.SEED) or run.data.params.get(SEED_PARAM)


def configuration(run: Run) -> dict[str, str]:
    """What makes a run's configuration: its params minus the seed."""
    return {k: v for k, v in run.data.params.items() if k != SEED_PARAM}


def _config_key(run: Run) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(configuration(run).items()))


def _name(run: Run) -> str:
    return run.info.run_name or run.data.tags.get(schema.RUN_NAME) or run.info.run_id[:8]


def _search(client: MlflowClient, experiment_ids: list[str], filter_string: str) -> list[Run]:
    from mlflow.entities import ViewType

    if not experiment_ids:
        return []
    return list(
        client.search_runs(
            experiment_ids,
            filter_string,
            ViewType.ACTIVE_ONLY,
            max_results=MAX_GROUP,
            order_by=["attributes.start_time DESC"],
        )
    )


def children(client: MlflowClient, parent: Run) -> list[Run]:
    """The child runs of ``parent`` (``mlflow.parentRunId``), oldest first."""
    found = _search(
        client,
        [parent.info.experiment_id],
        f"tags.{quote_key(schema.PARENT_RUN_ID)} = {quote_value(parent.info.run_id)}",
    )
    return found[::-1]


def is_parent(run: Run) -> bool:
    """A ``--seeds`` parent: it carries the group tag but has no parent of its own."""
    return GROUP_TAG in run.data.tags and schema.PARENT_RUN_ID not in run.data.tags


def latest_per_seed(runs: Sequence[Run]) -> tuple[list[Run], list[str]]:
    """One run per seed, the newest (a seed run twice is the same experiment twice, not a new sample);
    runs in start order; and a note when some were left out."""
    kept: dict[str, Run] = {}
    unseeded = []
    for run in sorted(runs, key=lambda r: r.info.start_time or 0):
        seed = seed_of(run)
        if seed is None:
            unseeded.append(run)
        else:
            kept.pop(seed, None)
            kept[seed] = run
    chosen = sorted([*kept.values(), *unseeded], key=lambda r: r.info.start_time or 0)
    dropped = len(runs) - len(chosen)
    notes = [f"{dropped} earlier run(s) of a seed run again left out"] if dropped else []
    return chosen, notes


def _comparable(runs: Iterable[Run]) -> tuple[list[Run], list[str]]:
    """Finished runs that are samples of their configuration: no parents, no reproductions."""
    runs = list(runs)
    kept = [
        r
        for r in runs
        if r.info.status == schema.FINISHED and not is_parent(r) and schema.REPRODUCED_FROM not in r.data.tags
    ]
    left = len(runs) - len(kept)
    return kept, [f"{left} run(s) not finished, reproductions or parents left out"] if left else []


def group_of_run(client: MlflowClient, run_id: str) -> Group:
    """A parent's children; else the finished runs of the same experiment with the same params minus seed.
    ``run_id`` may be a unique prefix of 6+ characters."""
    run = get_run(client, resolve_run_id(client, run_id))
    kids = children(client, run)
    if kids:
        return Group(kids, label=_name(run))
    same = [
        r
        for r in _search(client, [run.info.experiment_id], _params_clause(run))
        if _config_key(r) == _config_key(run)
    ]
    kept, notes = _comparable(same)
    if all(r.info.run_id != run.info.run_id for r in kept):
        kept.append(run)  # the run asked for is in its own group, whatever its status
    chosen, more = latest_per_seed(kept)
    return Group(chosen, label=_label(run), notes=notes + more)


def _params_clause(run: Run) -> str:
    """An MLflow filter for the run's params (the store narrows the search; equality is checked after);
    empty when a value cannot be quoted."""
    try:
        return " and ".join(
            f"params.{quote_key(k)} = {quote_value(v)}" for k, v in sorted(configuration(run).items())
        )
    except QueryError:
        return ""


def _label(run: Run) -> str:
    config = configuration(run)
    shown = ", ".join(f"{k}={v}" for k, v in sorted(config.items())[:4])
    return shown or _name(run)


def group_by_params(client: MlflowClient, params: Mapping[str, Any], experiment: str | None = None) -> Group:
    """The finished runs whose params include ``params``; they must share one configuration."""
    if not params:
        raise QueryError("group(): name at least one param, e.g. group({'lr': 0.05})")
    if SEED_PARAM in params:
        raise QueryError("group(): the seed is what tells a group's runs apart; leave it out")
    known = experiments(client)
    ids = [i for i, n in known.items() if experiment is None or experiment in (i, n)]
    if experiment is not None and not ids:
        raise RecordNotFound(f"no experiment named or numbered {experiment!r}")
    clause = " and ".join(f"params.{quote_key(k)} = {quote_value(str(v))}" for k, v in params.items())
    kept, notes = _comparable(_search(client, ids, clause))
    if not kept:
        shown = ", ".join(f"{k}={v}" for k, v in params.items())
        raise RecordNotFound(f"no finished run with {shown}")
    configs = {_config_key(r) for r in kept}
    if len(configs) > 1:
        keys = sorted({k for r in kept for k in configuration(r)})
        differing = [k for k in keys if len({configuration(r).get(k) for r in kept}) > 1]
        raise QueryError(
            f"the runs with these params differ in {', '.join(differing)}: name those too to pick one group"
        )
    chosen, more = latest_per_seed(kept)
    label = ", ".join(f"{k}={v}" for k, v in params.items())
    return Group(chosen, label=label, notes=notes + more)


def resolve(client: MlflowClient, side: Any) -> Group:
    """One side of a comparison: a ``Group``, a run id (a parent: its children; a group id: its runs),
    or a list of run ids / runs; an id may be a unique prefix of 6+ characters."""
    if isinstance(side, Group):
        return side
    if isinstance(side, str):
        return _resolve_id(client, resolve_run_id(client, side))
    if hasattr(side, "info") and hasattr(side, "data"):
        return Group([side], label=_name(side))
    if isinstance(side, (list, tuple)) and side:
        runs = [
            get_run(client, resolve_run_id(client, item)) if isinstance(item, str) else item for item in side
        ]
        if not all(hasattr(r, "info") for r in runs):
            raise QueryError("a list side holds run ids or MLflow runs")
        names = [_name(r) for r in runs]
        return Group(runs, label=f"{names[0]} +{len(runs) - 1}" if len(runs) > 1 else names[0])
    raise QueryError(
        f"cannot compare {type(side).__name__} {side!r}: give a run id, a group or a list of runs"
    )


def _resolve_id(client: MlflowClient, run_id: str) -> Group:
    if not run_id:
        raise QueryError("an empty run id")
    try:
        run = get_run(client, run_id)
    except RecordNotFound:
        tagged = _search(
            client, list(experiments(client)), f"tags.{quote_key(GROUP_TAG)} = {quote_value(run_id)}"
        )
        members = [r for r in tagged if not is_parent(r)]
        if not members:
            raise RecordNotFound(f"no run or group with id {run_id!r}") from None
        return Group(members[::-1], label=run_id[:12])
    kids = children(client, run)
    return Group(kids, label=_name(run)) if kids else Group([run], label=_name(run))


def partition(runs: Sequence[Run]) -> list[Group]:
    """Runs split by configuration (params minus seed), in order of first appearance."""
    found: dict[tuple[tuple[str, str], ...], list[Run]] = {}
    for run in runs:
        found.setdefault(_config_key(run), []).append(run)
    return [Group(members, label=_label(members[0])) for members in found.values()]
