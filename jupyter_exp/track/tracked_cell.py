"""One execution of a ``%%track`` cell, from capture to the end of its run.

Framework-free apart from the IPython shell it is handed (for the namespace, the compiler and the
display formatter). ``TrackedCell.prepare()`` does everything that can fail on user input or an unusable
store, before a run exists and before the cell runs, and returns a frozen ``PreparedCell``;
``TrackedCell.run(prepared)`` starts the run, executes the cell exactly as untracked and leaves the
record to ``track.cell_record`` (slow capture on a thread while the user's code runs).
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from jupyter_exp import record_schema as schema
from jupyter_exp.capture import cell as cell_capture
from jupyter_exp.capture import seeds
from jupyter_exp.capture.entropy import EntropyWatch
from jupyter_exp.capture.inputs import InputWatch
from jupyter_exp.capture.notebook import ExecutionHistory, notebook_path, relative_to_root
from jupyter_exp.capture.outputs import OutputRecorder
from jupyter_exp.capture.secrets import assigned_secrets, secret_values_in
from jupyter_exp.config import JupyterExp, StoreLocation, resolve_store
from jupyter_exp.track import active as _active
from jupyter_exp.track.cell_code import compile_body
from jupyter_exp.track.cell_record import CellEnd, CellRecord, start_run
from jupyter_exp.track.execution import Outcome, execute
from jupyter_exp.track.prepared import PreparedCell, TrackingError, TrackOptions
from jupyter_exp.tracking.direct_run import DirectStore, deferred_client, direct_experiment, mlflow_importing
from jupyter_exp.tracking.fluent import ActiveRunScope
from jupyter_exp.tracking.metric_sink import metric_sink
from jupyter_exp.tracking.metrics import MetricWriter
from jupyter_exp.tracking.probe import store_reachable
from jupyter_exp.tracking.recorder import now_ms
from jupyter_exp.tracking.store import StoreError, client_for, refusal, remembered_experiment_id
from jupyter_exp.tracking.system_metrics import SystemMeter

if TYPE_CHECKING:
    from mlflow import MlflowClient

_FIELD = re.compile(r"\{([A-Za-z_][\w.]*)(?::([^{}]*))?\}")


_said_no_notebook = False  # the card says once per kernel that no notebook path is known


def render_run_name(template: str, values: dict[str, Any]) -> str:
    """``mlp-lr{lr}-s{seed}`` with captured values; ``{lr:.0e}`` format specs work too."""

    def replace(match: re.Match[str]) -> str:
        key, spec = match.group(1), match.group(2) or ""
        if key not in values:
            known = ", ".join(sorted(values)) or "none"
            raise TrackingError(
                f"--name refers to {{{key}}}, which is not a captured parameter (known: {known})"
            )
        try:
            return format(values[key], spec)
        except (ValueError, TypeError) as error:
            raise TrackingError(f"--name: cannot format {{{key}:{spec}}}: {error}") from None

    return _FIELD.sub(replace, template)


CardFactory = Callable[[PreparedCell, str, "str | None"], Any]  # (cell, run id, experiment id) -> card


class TrackedCell:
    """One ``%%track`` execution: ``prepare()``, then ``run(prepared)``."""

    def __init__(
        self,
        shell: Any,
        raw_cell: str,
        body: str,
        options: TrackOptions,
        settings: JupyterExp,
        history: ExecutionHistory | None,
        display_card: CardFactory | None = None,
    ) -> None:
        self.shell = shell
        self.raw_cell = raw_cell
        self.body = body
        self.options = options
        self.settings = settings
        self.history = history
        self._make_card = display_card

    # -- before the run exists -------------------------------------------------------------
    def prepare(self) -> PreparedCell:
        """Everything that can fail on user input or an unusable store. Writes nothing."""
        options, settings, namespace = self.options, self.settings, self.shell.user_ns
        for name in options.config_names:
            if name not in namespace:
                raise TrackingError(f"--config {name}: no variable named {name!r} in the namespace")
            if cell_capture.object_to_mapping(namespace[name]) is None:
                kind = type(namespace[name]).__name__
                raise TrackingError(
                    f"--config {name}: a {kind} is not a config object (dict, dataclass, Namespace, pydantic, OmegaConf)"
                )
        current = self.history.current if self.history is not None else None
        # IPython counts the cell up before running it; shell.execution_count is already the next one
        execution_count = current.execution_count if current is not None else self.shell.execution_count - 1
        compiled = compile_body(self.shell, self.body, execution_count)  # SyntaxError as untracked
        location = resolve_store(settings)
        notebook = notebook_path(namespace, settings.notebook_path)
        notebook_rel = relative_to_root(notebook, location.root)
        warnings = []
        global _said_no_notebook
        if notebook is None and settings.snapshot and not _said_no_notebook:
            _said_no_notebook = True  # once per kernel
            warnings.append(
                "no notebook file is known here (a terminal, Colab): runs have no snapshot; "
                "%config JupyterExp.notebook_path = 'path.ipynb' names it"
            )
        seed = None if options.no_seed else (options.seed if options.seed is not None else seeds.draw_seed())
        config = cell_capture.capture_config(self.body, namespace, options.config_names, options.params)
        params = cell_capture.config_to_params(config)
        params["seed"] = str(seed)
        explicit = [k for k in params if k.split(".", 1)[0] in options.params]
        params, params_cut = cell_capture.cap_params(params, settings.max_params, ["seed", *explicit])
        if params_cut:
            warnings.append(params_cut)
        stem = Path(notebook_rel).stem if notebook_rel else "ipython"
        redactor = cell_capture.config_redactor(config)
        values = {k: cell_capture.mask_secrets(e.value, k, redactor) for k, e in config.items()}
        values.update({k: v for k, v in params.items() if k not in values})
        values["seed"] = seed
        run_name = render_run_name(options.name or f"{stem}-{execution_count}", values)
        experiment = options.experiment or settings.default_experiment or notebook_rel or "Default"
        journal_only = options.journal_only and not _may_use_mlflow(self.body, mlflow_importing())
        client, experiment_id, direct = _open_store(location, experiment, journal_only)
        return PreparedCell(
            shell=self.shell,
            raw_cell=self.raw_cell,
            body=self.body,
            options=options,
            settings=settings,
            history=self.history,
            cell_id=current.cell_id if current is not None else None,
            execution_count=execution_count,
            compiled=compiled,
            location=location,
            notebook=notebook,
            notebook_rel=notebook_rel,
            seed=seed,
            config=config,
            params=params,
            run_name=run_name,
            experiment=experiment,
            client=client,
            experiment_id=experiment_id,
            warnings=tuple(warnings),
            secrets=(*redactor.values, *assigned_secrets(self.raw_cell)),
            params_cut=params_cut,
            direct=direct,
        )

    # -- the run ----------------------------------------------------------------------------
    def run(
        self,
        cell: PreparedCell,
        started: Callable[[str], None] | None = None,
        on_end: Callable[[Any, Outcome], Outcome] | None = None,
    ) -> Any:
        """Start the run, execute the cell as untracked, record it; the cell's value or exception.
        ``started`` hears the run's id as soon as the run exists (before the cell runs); ``on_end`` (a
        sweep's trial) adds to the record with the run's recorder and may restate the outcome, before the
        end is journaled."""
        __tracebackhide__ = True

        meter = SystemMeter()
        recorder, experiment_id = start_run(cell)
        recorder.add_secrets([*cell.secrets, *_secrets_around(cell)])
        if cell.params_cut:
            recorder.set_tags({schema.RECORD_INCOMPLETE: cell.params_cut})
        if started is not None:
            started(recorder.run_id)
        current = cell.history.current if cell.history is not None else None
        if current is not None and current.execution_count == cell.execution_count:
            current.seed, current.deterministic = cell.seed, cell.options.deterministic  # for replays
        card = None
        if self._make_card is not None and not (cell.options.quiet or cell.settings.quiet):
            card = self._make_card(cell, recorder.run_id, experiment_id)
        record = CellRecord(cell, recorder, card)
        if cell.seed is not None:
            seeds.apply_seed(cell.seed, cell.body)
        record.journal_replay_essentials(seeds.global_rng_states())
        background = record.capture_in_background()
        writer = MetricWriter(
            None if cell.client is None else metric_sink(cell.client, recorder.run_id),
            on_flush=card.show_metrics if card is not None else None,
            spool=recorder.entry,
        )
        _active.use_writer(writer)
        _active.cell, _active.recorder, _active.started_s = cell, recorder, time.perf_counter()
        outputs = OutputRecorder(cell.shell, cell.settings.max_output_bytes)
        scope: Any = contextlib.nullcontext()  # offline: mlflow.log_* in the cell would wait for the store
        if not recorder.offline and _may_use_mlflow(cell.body, mlflow_importing()):
            store_run = recorder.store_run()  # waits for MLflow's import when the run was created directly
            if recorder.client is not None and store_run is not None:
                scope = ActiveRunScope(recorder.client, cell.location.tracking_uri, store_run)
        entropy = EntropyWatch(cell.seed)
        inputs = InputWatch(cell.location.root, [recorder.entry.path.parent])
        outcome, determinism = Outcome(), {}
        try:
            with scope, seeds.deterministic_algorithms(cell.options.deterministic), outputs, entropy, inputs:
                outcome = execute(cell.shell, cell.compiled)
                determinism = seeds.determinism_settings()  # as the cell left them
                if isinstance(scope, ActiveRunScope):
                    scope.end_children(outcome.status)
        finally:
            _active.use_writer(None)
            _active.cell = _active.recorder = None
            end_time_ms = now_ms()
            recorder.add_secrets(_secrets_around(cell))  # and those the cell bound
            if on_end is not None:
                outcome = on_end(recorder, outcome)
            end = CellEnd(outcome, end_time_ms, meter.read(), determinism, outputs, entropy, inputs)
            record.finish(end, writer, background)
        if outcome.error is not None:
            raise outcome.error
        return outcome.value


_MLFLOW_WORD = re.compile(r"\bmlflow\b")


def _may_use_mlflow(body: str, importing: bool) -> bool:
    """Whether MLflow's fluent API may be used during the cell, so that the run must be MLflow's active
    run: the cell names MLflow, or MLflow is imported (by the user, an autologging library, or our
    thread once done: then making the scope costs nothing). While our thread is still importing it, no
    earlier cell can have used it and the cell need not wait (a module the cell imports that imports
    MLflow itself waits for our import, and is the exception the docs name)."""
    return _MLFLOW_WORD.search(body) is not None or ("mlflow" in sys.modules and not importing)


def _secrets_around(cell: PreparedCell) -> list[str]:
    """Strings bound to secret names in the namespace, and secret literals of the history's sources."""
    try:
        if cell.history is None:
            return secret_values_in(cell.shell.user_ns)
        return [*cell.history.namespace_secrets(cell.shell.user_ns), *cell.history.assigned_secrets()]
    except Exception:  # an odd namespace: the environment's secrets and token shapes are masked anyway
        return []


def _mlflow_ready() -> bool:
    return "mlflow" in sys.modules and not mlflow_importing()


def _open_store(
    location: StoreLocation, experiment: str, journal_only: bool = False
) -> tuple[MlflowClient | None, str | None, DirectStore | None]:
    """The store's client, the experiment's id and, for a SQLite store whose experiment exists, where to
    create the run directly (the client is then made on a thread: MLflow's import stays off the cell's
    path); ``(None, None, None)`` when the store cannot be reached (the cell runs at once, its run is
    journaled under a local id). ``journal_only`` (a replay whose driver delivers the run): no client at
    all where the run can be created directly."""
    if not store_reachable(location.tracking_uri):
        return None, None, None
    if journal_only and (direct := direct_experiment(location, experiment)) is not None:
        return None, direct.experiment_id, direct
    # only while MLflow is not imported yet: once it is, its create_run returns the Run the scope needs
    direct = None if _mlflow_ready() else direct_experiment(location, experiment)
    if direct is not None:
        return cast("MlflowClient", deferred_client(location)), direct.experiment_id, direct
    from mlflow.exceptions import MlflowException

    try:
        client = client_for(location)
        return client, remembered_experiment_id(client, location, experiment), None
    except StoreError as error:
        raise TrackingError(str(error)) from None
    except MlflowException as error:  # e.g. a store whose schema is older than this MLflow
        refused = refusal(error, location.tracking_uri, f"the experiment {experiment!r}")
        if refused is not None:
            raise TrackingError(str(refused)) from None
        reason = error.message.strip().splitlines()[0] if error.message else type(error).__name__
        raise TrackingError(f"Cannot use the MLflow store {location.tracking_uri}: {reason}") from None
