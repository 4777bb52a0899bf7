"""One ``%%track --sweep`` execution: trials one after another in this kernel, on an Optuna study.

Each trial is the cell run as ``%%track`` runs it (``make_cell(options)`` -> ``prepare()``, ``run()``): a
complete child run whose record ``%reproduce`` reruns, with ``trial`` (Optuna's) bound in the namespace.
Optuna is asked for the trial and told how it ended (ask/tell); the study lives in its own storage (a
JournalStorage file beside the run journal), and its user attribute names the parent run, so running the
cell again with the same name resumes the study under the same parent. The parent run (the study) is kept
through MlflowClient and journaled (``parent_entry.py``): its tags hold the search space, sampler, pruner
and storage; best trial and value are updated as each trial ends. An interrupt stops at the current trial (its run KILLED, Optuna told FAIL)
and keeps what finished; a trial whose cell raises is FAILED and stops the sweep, as the error would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp._version import __version__
from jupyter_exp.capture import kernel
from jupyter_exp.capture.notebook import cell_rng_states
from jupyter_exp.config import JupyterExp
from jupyter_exp.sweep import parent_entry, records
from jupyter_exp.sweep.objective import TrialReporter, shown_values
from jupyter_exp.sweep.options import SweepOptions
from jupyter_exp.sweep.seeded import run_seeded_trial
from jupyter_exp.sweep.storage import configured_url, journal_file, sampler_and_pruner, study_storage
from jupyter_exp.track import active as _active
from jupyter_exp.track.execution import Outcome
from jupyter_exp.track.prepared import TrackingError, TrackOptions
from jupyter_exp.track.seed_group import SeedPlan
from jupyter_exp.tracking.identity import store_user
from jupyter_exp.tracking.journal import JournalEntry, journal_root
from jupyter_exp.tracking.recorder import HEARTBEAT_INTERVAL_S, HEARTBEAT_TAG, now_ms, utc_now_iso
from jupyter_exp.tracking.store import client_for

PARENT_ATTR = "jupyter_exp.parent_run_id"  # the study's user attribute: its parent run
RUN_ATTR = "jupyter_exp.run_id"  # a trial's user attribute: its run


class SweepObserver:
    """What the live card hears (the base shows nothing), on the cell's thread."""

    def started(self, sweep: Sweep) -> None: ...

    def trial_ended(self, sweep: Sweep, standings: records.Standings) -> None: ...

    def workers(self, sweep: Sweep, standings: records.Standings, lines: list[str]) -> None:
        """With ``--workers``: as trials start and end, one line a worker (``workers.worker_lines``)."""

    def ended(self, status: str) -> None: ...


@dataclass
class TrialEnd:
    number: int
    run_id: str | None
    state: str  # COMPLETE, PRUNED, FAIL
    value: float | None


class Sweep:
    def __init__(
        self,
        options: SweepOptions,
        track_options: TrackOptions,
        make_cell: Callable[[TrackOptions], Any],
        settings: JupyterExp,
        observer: Callable[[Sweep], SweepObserver] | None = None,
        seeds: SeedPlan | None = None,
    ) -> None:
        if track_options.seed is not None or track_options.no_seed:
            raise TrackingError("--sweep: give the sweep's seed with --seed S (trial k's cell gets S + k)")
        self.options = options
        self.track_options = track_options
        self.make_cell = make_cell
        self.settings = settings
        self._make_observer = observer
        self.observer = SweepObserver()
        self.ended: list[TrialEnd] = []
        self.run_id: str = ""
        self.resumed = False
        self.seeds = seeds  # --seeds: each trial a seed group (seeded.py)
        self.trial_tags: dict[str, str] = {}  # on every trial's run from its start (a worker's: workers.py)

    def prepare(self) -> None:
        """The store (it must be reachable: the parent lives there) and the study's storage; writes no run."""
        name = self.track_options.name and self.track_options.name.replace("{trial}", "0")
        probe = self.make_cell(replace(self.track_options, seed=0, quiet=True, name=name)).prepare()
        if probe.client is None or probe.experiment_id is None:
            raise TrackingError(
                f"--sweep needs the store {probe.location.tracking_uri}, which cannot be reached now"
            )
        self._probe = probe
        self.location = probe.location
        self.experiment_id: str = probe.experiment_id
        self.study_name = f"{self.experiment_id}/{self.options.name}"
        self.journal_dir = journal_root(self.location, self.settings.journal_dir)
        self.journal_path = journal_file(self.journal_dir)
        self.entry: JournalEntry | None = None  # the parent's (parent_entry.py)

    def run(self) -> Any:
        __tracebackhide__ = True
        described = self._open_study(self.options.seed)
        self.run_id = self._open_parent(described)
        self.abandoned = self._fail_abandoned() if self.resumed else []
        if self._make_observer is not None and not (self.track_options.quiet or self.settings.quiet):
            self.observer = self._make_observer(self)
        self.observer.started(self)
        status, value = schema.FINISHED, None
        beating = _heartbeat(self.client, self.run_id)
        try:
            value = self._trials()
        except KeyboardInterrupt:
            status = schema.KILLED
            raise
        except BaseException:
            status = schema.FAILED_STATUS
            raise
        finally:
            beating.set()
            _active.on_log = None
            self._update_parent()
            parent_entry.end_parent(self.client, self.entry, self.run_id, status)
            _active.last_run_id = self.run_id
            self.observer.ended(status)
        return value

    def _trials(self) -> Any:
        """This execution's trials, one after another in this kernel; the last one's value."""
        __tracebackhide__ = True
        import optuna

        value = None
        for _ in range(self.options.trials):
            value = self._run_trial(optuna, self.study.ask())
        return value

    def _open_study(self, sampler_seed: int | None) -> dict[str, str]:
        """The study (created, or loaded by its name) and the store's client; how the record describes the
        sampler and pruner."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage, self.storage_url = study_storage(
            configured_url(self.settings.sweep_storage), self.journal_path
        )
        sampler, pruner, described = sampler_and_pruner(self.options.prune, sampler_seed)
        self.study = optuna.create_study(
            storage=storage,
            sampler=sampler,
            pruner=pruner,
            study_name=self.study_name,
            direction="maximize" if self.options.direction == "maximize" else "minimize",
            load_if_exists=True,
        )
        if self.study.direction.name.lower() != self.options.direction:
            raise TrackingError(
                f"--sweep {self.options.name}: the study was created to {self.study.direction.name.lower()}, "
                f"not {self.options.direction}"
            )
        self.client = client_for(self.location)
        return described

    # -- one trial ---------------------------------------------------------------------------------
    def _run_trial(self, optuna: Any, trial: Any) -> Any:
        __tracebackhide__ = True
        if self.ended:
            self._states_before_this_trial()
        reporter = TrialReporter(trial, self.options.metric)
        seed = None if self.options.seed is None else self.options.seed + trial.number
        tags = {
            **self.track_options.tags,
            schema.PARENT_RUN_ID: self.run_id,
            schema.SWEEP: self.options.name,  # from its start: a running trial is known as one
            schema.SWEEP_ROLE: "trial",
            schema.SWEEP_TRIAL: str(trial.number),
            **self.trial_tags,
        }
        name = self.track_options.name or f"{self.options.name}-t{{trial}}"
        if self.seeds is not None:
            label = name.replace("{trial}", str(trial.number))
            return run_seeded_trial(self, trial, self.seeds, tags, label)
        options = replace(
            self.track_options,
            seed=seed,
            tags=tags,
            quiet=True,
            name=name.replace("{trial}", str(trial.number)),
        )
        child = self.make_cell(options)
        state: dict[str, Any] = {"value": None, "state": "FAIL"}
        shown: list[Any] = []  # the cell's last expression, when it shows one

        def on_end(recorder: Any, outcome: Outcome) -> Outcome:
            last = shown[-1] if shown else None
            objective = reporter.objective(last) if outcome.error is None else None
            if isinstance(outcome.error, optuna.TrialPruned):
                state["state"] = "PRUNED"
                outcome = replace(outcome, status=schema.KILLED)
            elif outcome.error is None and objective is None:
                what = (
                    f"--metric {self.options.metric} was never logged"
                    if self.options.metric
                    else "the cell's last expression is not a number"
                )
                recorder.set_tags({schema.END_REASON: f"no objective: {what}"})
                outcome = replace(outcome, status=schema.FAILED_STATUS)
            elif outcome.error is None:
                state["state"], state["value"] = "COMPLETE", objective
            recorder.log_params({str(k): v for k, v in trial.params.items()})
            recorder.set_tags(
                records.trial_tags(
                    self.options.name,
                    trial.number,
                    trial.params,
                    state["state"],
                    reporter.pruned_at,
                    state["value"],
                )
            )
            return outcome

        prepared = child.prepare()
        started: list[str] = []
        self._probe.shell.user_ns["trial"] = trial
        _active.on_log = reporter
        try:
            with shown_values(shown):
                value = child.run(
                    prepared, started=lambda run_id: self._started(trial, run_id, started), on_end=on_end
                )
        except optuna.TrialPruned:
            value = None
        except BaseException:
            self._tell(trial, "FAIL", None, started)
            raise
        finally:
            _active.on_log = None
        self._tell(trial, state["state"], state["value"], started)
        return value

    def _states_before_this_trial(self) -> None:
        """A trial's record holds the generator states it started from (earlier trials advanced the
        generators bound to names), so that its replay starts where it did (as a seed group's child)."""
        history = self._probe.history
        current = history.current if history is not None else None
        if current is not None:
            current.rng_states = {**(current.rng_states or {}), **cell_rng_states(self._probe.shell.user_ns)}

    @staticmethod
    def _started(trial: Any, run_id: str, started: list[str]) -> None:
        started.append(run_id)
        trial.set_user_attr(RUN_ATTR, run_id)  # before the cell: a trial left RUNNING names its run

    def _fail_abandoned(self) -> list[int]:
        """Trials left RUNNING by a kernel that died (its run ended KILLED by the reaper or the stale-run
        sweep, or never created) are told FAIL, so that the sampler and pruner stop counting on them."""
        from mlflow.exceptions import MlflowException
        from optuna.trial import TrialState

        failed = []
        for frozen in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            run_id = str(frozen.user_attrs.get(RUN_ATTR) or "")
            try:
                alive = bool(run_id) and self.client.get_run(run_id).info.status == schema.RUNNING
            except MlflowException:
                alive = False
            if not alive:
                self.study.tell(frozen.number, state=TrialState.FAIL, skip_if_finished=True)
                failed.append(frozen.number)
        return failed

    def _tell(self, trial: Any, state: str, value: float | None, started: list[str]) -> None:
        from optuna.trial import TrialState

        run_id = started[0] if started else None
        if state == "COMPLETE":
            self.study.tell(trial, value)
        else:
            self.study.tell(trial, state=TrialState.PRUNED if state == "PRUNED" else TrialState.FAIL)
        self.ended.append(TrialEnd(trial.number, run_id, state, value))
        result = self._update_parent()
        self.observer.trial_ended(self, result)

    # -- the parent run ----------------------------------------------------------------------------
    def _open_parent(self, described: dict[str, str]) -> str:
        """The study's parent run: the one its user attribute names (resumed: RUNNING again), else a new one."""
        from mlflow.exceptions import MlflowException

        known = self.study.user_attrs.get(PARENT_ATTR)
        if known:
            try:
                for key, value in kernel.identity().items():  # this kernel's now: the reaper watches it
                    self.client.set_tag(known, key, value)
                self._journal_parent(str(known), f"sweep-{self.options.name}")  # before RUNNING again
                if schema.END_REASON in self.client.get_run(known).data.tags:  # how an earlier one ended
                    self.client.delete_tag(known, schema.END_REASON)
                self.client.update_run(known, status=schema.RUNNING)
                self.resumed = True
                return str(known)
            except MlflowException:
                pass  # deleted from the store: a new parent
        probe = self._probe
        tags: dict[str, Any] = {
            schema.SOURCE_TYPE: schema.SOURCE_TYPE_NOTEBOOK,
            schema.SOURCE_NAME: probe.notebook_rel,
            schema.USER: store_user(),
            schema.NOTE: self.track_options.note,
            schema.VERSION: __version__,
            schema.CELL_ID: probe.cell_id,
            schema.CELL_EXECUTION_COUNT: probe.execution_count,
            **kernel.identity(),
            **records.parent_tags(self.options, self.study_name, self.storage_url, described),
            **self.track_options.tags,
        }
        clean = {k: str(v) for k, v in tags.items() if v is not None}
        run = self.client.create_run(self.experiment_id, run_name=f"sweep-{self.options.name}", tags=clean)
        self._journal_parent(run.info.run_id, run.info.run_name)
        self.study.set_user_attr(PARENT_ATTR, run.info.run_id)
        return str(run.info.run_id)

    def _journal_parent(self, run_id: str, run_name: str) -> None:
        self.entry = parent_entry.hold_parent(
            self.journal_dir, run_id, self.experiment_id, run_name, self.location.tracking_uri
        )

    def _update_parent(self) -> records.Standings:
        from mlflow.entities import Metric, RunTag

        trials = self.study.get_trials(deepcopy=False)
        result = records.standings(trials, self.options.direction)
        best_run = None
        if result.best_number is not None:
            best = next(t for t in trials if t.number == result.best_number)
            best_run = best.user_attrs.get(RUN_ATTR)
        tags = {**records.standings_tags(result, best_run), schema.SWEEP_SPACE: records.search_space(trials)}
        tags = {key: value[:8000] for key, value in tags.items()}
        parent_entry.note(self.entry, tags)
        metrics = []
        if result.best_value is not None:
            metrics.append(Metric(schema.SWEEP_BEST_METRIC, result.best_value, now_ms(), len(trials)))
        try:
            self.client.log_batch(self.run_id, metrics=metrics, tags=[RunTag(k, v) for k, v in tags.items()])
        except Exception:  # the next trial's update sends them again
            pass
        return result


def _heartbeat(client: Any, run_id: str) -> threading.Event:
    """The parent's heartbeat tag, now and every HEARTBEAT_INTERVAL_S until the event is set: a kernel that
    dies mid-sweep leaves a parent the reaper and the stale-run sweep end KILLED, as any run of it."""

    def beat() -> None:
        try:
            client.set_tag(run_id, HEARTBEAT_TAG, utc_now_iso())
        except Exception:
            pass

    stop = threading.Event()
    beat()

    def loop() -> None:
        while not stop.wait(HEARTBEAT_INTERVAL_S):
            beat()

    threading.Thread(target=loop, name="jupyter-exp-sweep-heartbeat", daemon=True).start()
    return stop
