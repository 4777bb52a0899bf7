"""``%%track --seeds 0,1,2`` / ``--repeat N``: one cell run once per seed, as child runs of one parent run.

A layer around the tracked cell's public entry (``prepare()`` then ``run()``, as ``%%track`` calls it): each
child is an ordinary, complete run record (``%reproduce`` reruns it) with ``mlflow.parentRunId`` and
``jupyter_exp.group`` tags; the parent holds the seeds and, for each final metric of the finished children,
``{metric}/mean``, ``/std``, ``/n``, ``/ci_low`` and ``/ci_high`` (logged again, at step = n, as each child
finishes). The parent is an ordinary ``RunRecorder`` run (heartbeat, journal entry), so a kernel that dies mid
group leaves it to the same sweeps as any run.

An interrupt stops at the current child: that child ends KILLED as any interrupted run, the finished ones are
kept, the parent ends KILLED with their statistics. A child that raises stops the group the same way (FAILED).
Children run one after another in the same namespace, as if the cell were executed once per seed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp._version import __version__
from jupyter_exp.capture import kernel, seeds
from jupyter_exp.capture.notebook import ExecutionHistory, cell_rng_states
from jupyter_exp.config import JupyterExp
from jupyter_exp.errors import one_line
from jupyter_exp.stats.summary import Summary, summarize
from jupyter_exp.track import active as _active
from jupyter_exp.track.prepared import TrackingError, TrackOptions
from jupyter_exp.tracking.completion import deliver_entry
from jupyter_exp.tracking.finisher import FINISHER
from jupyter_exp.tracking.identity import store_user
from jupyter_exp.tracking.journal import journal_root
from jupyter_exp.tracking.recorder import RunRecorder, now_ms

MAX_GROUP_SIZE = 1000
SEED_LIMIT = 2**32
_SEED_FIELD = re.compile(r"\{seed(?::[^{}]*)?\}")


@dataclass(frozen=True)
class SeedPlan:
    seeds: tuple[int, ...]
    drawn: bool = False  # --repeat: drawn here, recorded on the parent and each child

    def describe(self) -> str:
        return ",".join(str(s) for s in self.seeds)


def plan_seeds(seeds_text: str | None, repeat: int | None) -> SeedPlan | None:
    """The seeds ``--seeds``/``--repeat`` ask for, or None for a plain run; ValueError with a one-line reason."""
    if seeds_text is None and repeat is None:
        return None
    if seeds_text is not None and repeat is not None:
        raise ValueError("--seeds and --repeat cannot be used together (--repeat N draws N seeds)")
    if repeat is not None:
        if not 1 <= repeat <= MAX_GROUP_SIZE:
            raise ValueError(f"--repeat must be between 1 and {MAX_GROUP_SIZE}, got {repeat}")
        drawn: list[int] = []
        while len(drawn) < repeat:
            seed = seeds.draw_seed()
            if seed not in drawn:
                drawn.append(seed)
        return SeedPlan(tuple(drawn), drawn=True)
    assert seeds_text is not None
    values: list[int] = []
    for item in seeds_text.split(","):
        try:
            seed = int(item.strip())
        except ValueError:
            raise ValueError(
                f"--seeds {seeds_text}: {item.strip()!r} is not an integer (write --seeds 0,1,2)"
            ) from None
        if not 0 <= seed < SEED_LIMIT:
            raise ValueError(f"--seeds: each seed must be between 0 and 2**32 - 1, got {seed}")
        if seed in values:
            raise ValueError(f"--seeds {seeds_text}: seed {seed} is given twice")
        values.append(seed)
    if len(values) > MAX_GROUP_SIZE:
        raise ValueError(f"--seeds: at most {MAX_GROUP_SIZE} seeds, got {len(values)}")
    return SeedPlan(tuple(values))


def summary_metrics(summaries: dict[str, Summary]) -> dict[str, float]:
    """The parent's metrics, ``{metric}/{statistic}``; std and the interval only where there is spread."""
    metrics: dict[str, float] = {}
    for key, summary in summaries.items():
        values = {
            "mean": summary.mean,
            "std": summary.std,
            "n": float(summary.n),
            "ci_low": summary.ci_low,
            "ci_high": summary.ci_high,
        }
        metrics.update(
            {f"{key}/{stat}": v for stat in schema.GROUP_STATISTICS if (v := values[stat]) is not None}
        )
    return metrics


def summarize_children(finished: list[dict[str, float]]) -> dict[str, Summary]:
    """Per metric key, the summary over the finished children's final values (keys in sorted order)."""
    keys = sorted({key for metrics in finished for key in metrics})
    summaries = {}
    for key in keys:
        values = [metrics[key] for metrics in finished if key in metrics]
        try:
            summaries[key] = summarize(values)
        except ValueError:  # only non-finite values (every child diverged to NaN): nothing to summarize
            continue
    return summaries


class GroupObserver:
    """What the inline card hears (the base class shows nothing): called on the cell's thread for starts and
    on the finisher's thread once a child's run is completely recorded."""

    def started(self, group: SeedGroup) -> None: ...

    def child_started(self, index: int, seed: int) -> None: ...

    def child_recorded(self, child: ChildResult, summaries: dict[str, Summary]) -> None: ...

    def ended(self, status: str, warnings: list[str]) -> None: ...


@dataclass(frozen=True)
class ChildResult:
    seed: int
    run_id: str
    status: str
    metrics: dict[str, float]


class SeedGroup:
    """One ``%%track --seeds``/``--repeat`` execution. ``make_cell(options)`` builds the tracked cell that
    ``%%track`` would run for those options (``prepare()``, ``run()``)."""

    def __init__(
        self,
        plan: SeedPlan,
        options: TrackOptions,
        make_cell: Callable[[TrackOptions], Any],
        settings: JupyterExp,
        history: ExecutionHistory | None,
        observer: Callable[[SeedGroup], GroupObserver] | None = None,
    ) -> None:
        if options.seed is not None or options.no_seed:
            raise TrackingError("--seeds/--repeat choose the seeds: drop --seed and --no-seed")
        self.plan = plan
        self.options = options
        self.make_cell = make_cell
        self.settings = settings
        self.history = history
        self._make_observer = observer
        self.observer = GroupObserver()
        self.children: list[ChildResult] = []  # in seed order, as recorded (finisher thread)
        self.summaries: dict[str, Summary] = {}
        self.warnings: list[str] = []
        self.recorder: Any = None

    # -- before anything exists -----------------------------------------------------------------
    def prepare(self) -> None:
        """Everything a child's ``prepare()`` checks (config names, name template, store), for the parent's
        name; writes nothing. A store that cannot be reached is refused: the parent lives there."""
        template = self.options.name
        parent_template = _SEED_FIELD.sub("*", template) if template else None
        probe = self.make_cell(
            replace(self.options, seed=self.plan.seeds[0], name=parent_template, quiet=True)
        ).prepare()
        if probe.client is None or probe.experiment_id is None:
            raise TrackingError(
                f"--seeds/--repeat need the store {probe.location.tracking_uri}, which cannot be reached now "
                "(a single %%track run is recorded offline)"
            )
        self._probe = probe
        self.name: str = probe.run_name
        self.location = probe.location
        self.experiment_id: str = probe.experiment_id
        if template is None:
            self._child_template = f"{self.name}-s{{seed}}"
        else:
            self._child_template = template if _SEED_FIELD.search(template) else f"{template}-s{{seed}}"

    # -- the group ------------------------------------------------------------------------------
    def run(self) -> Any:
        __tracebackhide__ = True

        self.recorder = self._start_parent()
        self.run_id: str = self.recorder.run_id
        if self._make_observer is not None and not (self.options.quiet or self.settings.quiet):
            self.observer = self._make_observer(self)
        self.observer.started(self)
        status, value = schema.FINISHED, None
        try:
            for index, seed in enumerate(self.plan.seeds):
                self.observer.child_started(index, seed)
                if index:
                    self._states_before_this_child()
                value = self._run_child(seed)
        except KeyboardInterrupt:
            status = schema.KILLED
            raise
        except BaseException:
            status = schema.FAILED_STATUS
            raise
        finally:
            self.recorder.entry.write_end(status, now_ms())  # the true status, before the cell returns
            _active.last_run_id = self.run_id  # %reproduce last reruns the group
            FINISHER.submit(lambda: self._complete(status))
        return value

    def _run_child(self, seed: int) -> Any:
        __tracebackhide__ = True

        tags = {**self.options.tags, schema.PARENT_RUN_ID: self.run_id, schema.GROUP: self.run_id}
        options = replace(self.options, seed=seed, name=self._child_template, tags=tags, quiet=True)
        child = self.make_cell(options)
        prepared = child.prepare()
        started: list[str] = []  # the child's run id, once its run exists
        try:
            return child.run(prepared, started=started.append)
        finally:
            if started:  # after the child's own completion, which the finisher runs first
                run_id = started[0]
                FINISHER.submit(lambda: self._child_recorded(seed, run_id))

    def _states_before_this_child(self) -> None:
        """A child's record holds the generator states it started from (the earlier children advanced the
        generators bound to names), so that its replay starts where it did."""
        current = self.history.current if self.history is not None else None
        if current is not None:
            shell_ns = self._probe.shell.user_ns
            current.rng_states = {**(current.rng_states or {}), **cell_rng_states(shell_ns)}

    def _start_parent(self) -> Any:
        probe = self._probe
        tags: dict[str, Any] = {
            schema.SOURCE_TYPE: schema.SOURCE_TYPE_NOTEBOOK,
            schema.SOURCE_NAME: probe.notebook_rel,
            schema.USER: store_user(),  # as a child's: the sidebar's "mine"
            schema.NOTE: self.options.note,
            schema.VERSION: __version__,
            schema.CELL_ID: probe.cell_id,
            schema.CELL_EXECUTION_COUNT: probe.execution_count,
            **kernel.identity(),
            schema.GROUP_SEEDS: self.plan.describe(),
            schema.GROUP_SEEDS_DRAWN: "true" if self.plan.drawn else None,
            **self.options.tags,
        }
        recorder = RunRecorder.start(
            probe.client,
            (self.experiment_id, probe.experiment),
            self.name,
            tags,
            journal_root(self.location, self.settings.journal_dir),
            self.location.tracking_uri,
        )
        recorder.set_tags({schema.GROUP: recorder.run_id})
        return recorder

    # -- on the finisher's thread -------------------------------------------------------------
    def _child_recorded(self, seed: int, run_id: str) -> None:
        client = self._probe.client
        try:
            run = client.get_run(run_id)
            child = ChildResult(seed, run_id, run.info.status, dict(run.data.metrics))
        except Exception as error:
            self.warnings.append(f"seed {seed}: its run {run_id} could not be read back: {error}")
            child = ChildResult(seed, run_id, "UNKNOWN", {})
        self.children.append(child)
        finished = [c.metrics for c in self.children if c.status == schema.FINISHED]
        self.summaries = summarize_children(finished)
        if child.status == schema.FINISHED:
            self._log_summaries(len(finished))
        self.observer.child_recorded(child, self.summaries)

    def _log_summaries(self, step: int) -> None:
        from mlflow.entities import Metric

        stamp = now_ms()
        points = [(key, value, stamp, step) for key, value in summary_metrics(self.summaries).items()]
        try:
            metrics = [Metric(key, value, stamp, step) for key, value, stamp, step in points]
            for start in range(0, len(metrics), 1000):
                self._probe.client.log_batch(self.run_id, metrics=metrics[start : start + 1000])
        except Exception:  # the store is away now: the journal delivers them with the parent
            self.recorder.entry.spool_points(points)

    def _complete(self, status: str) -> None:
        recorder = self.recorder
        finished = sum(c.status == schema.FINISHED for c in self.children)
        recorder.entry.merge("tags.json", {schema.GROUP_FINISHED: str(finished)})
        recorder.stop_heartbeat()
        try:
            delivered = deliver_entry(self._probe.client, recorder.entry)
            if delivered.refused:
                self.warnings.append(
                    "the store refused part of the parent run: " + "; ".join(delivered.refused)
                )
        except Exception as error:  # the journal keeps it; the finisher's retries deliver it
            recorder.entry.release()
            self.warnings.append(
                f"the parent run is kept in the local journal until the store is back: {one_line(error)}"
            )
            FINISHER.retry_journal_later(self.location, self.settings.journal_dir)
        self.observer.ended(status, self.warnings)
