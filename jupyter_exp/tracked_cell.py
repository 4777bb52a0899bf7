"""One execution of a ``%%track`` cell, from capture to the end of its run.

Framework-free apart from the IPython shell it is handed (for the namespace, the compiler and the
display formatter). Everything that can fail on user input fails in ``prepare()``, before a run
exists and before the cell runs; slow capture runs on a thread while the user's code runs.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import pickle
import re
import resource
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from . import _active
from . import record_schema as schema
from ._version import __version__
from .capture import cell as cell_capture
from .capture import environment, kernel, seeds
from .capture.entropy import EntropyWatch
from .capture.git import capture_git
from .capture.hidden_state import hidden_state
from .capture.inputs import InputWatch, with_hashes
from .capture.notebook import (
    ExecutionHistory,
    notebook_path,
    relative_to_root,
    snapshot,
)
from .capture.outputs import OutputRecorder
from .capture.state import snapshot as snapshot_bound
from .cell_code import compile_body, run_compiled
from .config import JupyterExp, StoreLocation, resolve_store
from .errors import BadRequest
from .tracking.finisher import FINISHER

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FIELD = re.compile(r"\{([A-Za-z_][\w.]*)(?::([^{}]*))?\}")


_said_no_notebook = False  # the card says once per kernel that no notebook path is known


class TrackingError(BadRequest):
    """A user mistake or an unusable store, found before anything was written or run."""


@dataclass
class TrackOptions:
    name: str | None = None
    experiment: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    no_seed: bool = False
    deterministic: bool = False
    config_names: list[str] = field(default_factory=list)
    quiet: bool = False


@dataclass
class Outcome:
    status: str = "FINISHED"
    value: Any = None
    error: BaseException | None = None
    traceback_text: str = ""


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


class _DiscardingWriter:
    def log(self, step: int | None = None, **metrics: float) -> None:
        pass


def run_unrecorded(shell: Any, body: str, execution_count: int, seed: int | None, deterministic: bool) -> Any:
    """An earlier ``%%track`` cell inside a replay: the same seed and code, but no run (only the
    reproduced cell records one); its ``jupyter_exp.log`` calls are discarded silently."""
    __tracebackhide__ = True
    compiled = compile_body(shell, body, execution_count)
    if seed is not None:
        seeds.apply_seed(seed, body)
    _active.writer = _DiscardingWriter()
    try:
        with seeds.deterministic_algorithms(deterministic), EntropyWatch(seed):
            return run_compiled(shell, compiled)
    finally:
        _active.writer = None


def apply_replay_directive(options: TrackOptions, directive: dict[str, Any]) -> TrackOptions:
    """The options a replay driver asked for: the recorded seed, its tags, the original's experiment."""
    seed = directive.get("seed")
    return replace(
        options,
        seed=seed,
        no_seed=seed is None,
        deterministic=bool(directive.get("deterministic", options.deterministic)),
        tags={**options.tags, **directive.get("tags", {})},
        experiment=directive.get("experiment") or options.experiment,
        name=directive.get("name") or options.name,
        quiet=True,
    )


class PeakMemory:
    """Peak resident memory during the cell (Linux: VmHWM reset through /proc/self/clear_refs)."""

    def __init__(self) -> None:
        self._reset = False
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            self._reset = True
        except OSError:
            pass

    def peak_mb(self) -> float:
        if self._reset:
            try:
                with open("/proc/self/status") as handle:
                    for line in handle:
                        if line.startswith("VmHWM:"):
                            return round(int(line.split()[1]) / 1024, 1)
            except OSError:
                pass
        scale = 1 if sys.platform == "darwin" else 1024
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / scale / 2**20, 1)


class TrackedCell:
    def __init__(
        self,
        shell: Any,
        raw_cell: str,
        body: str,
        options: TrackOptions,
        settings: JupyterExp,
        history: ExecutionHistory | None,
        display_card: Any = None,
    ) -> None:
        self.shell = shell
        self.raw_cell = raw_cell
        self.body = body
        self.options = options
        self.settings = settings
        self.history = history
        self._make_card = display_card
        self.card: Any = None
        self.warnings: list[str] = []

    # -- before the run exists -------------------------------------------------------------
    def prepare(self) -> None:
        """Everything that can fail on user input or an unusable store. Writes nothing."""
        options, namespace = self.options, self.shell.user_ns
        for name in options.config_names:
            if name not in namespace:
                raise TrackingError(f"--config {name}: no variable named {name!r} in the namespace")
            if cell_capture.object_to_mapping(namespace[name]) is None:
                kind = type(namespace[name]).__name__
                raise TrackingError(
                    f"--config {name}: a {kind} is not a config object (dict, dataclass, Namespace, pydantic, OmegaConf)"
                )
        current = self.history.current if self.history is not None else None
        self.cell_id = current.cell_id if current is not None else None
        # IPython counts the cell up before running it; shell.execution_count is already the next one
        self.execution_count = (
            current.execution_count if current is not None else self.shell.execution_count - 1
        )
        self.compiled = compile_body(self.shell, self.body, self.execution_count)  # SyntaxError as untracked
        self.location: StoreLocation = resolve_store(self.settings)
        self.notebook = notebook_path(namespace, self.settings.notebook_path)
        self.notebook_rel = relative_to_root(self.notebook, self.location.root)
        global _said_no_notebook
        if self.notebook is None and self.settings.snapshot and not _said_no_notebook:
            _said_no_notebook = True  # once per kernel
            self.warnings.append(
                "no notebook file is known here (a terminal, Colab): runs have no snapshot; "
                "%config JupyterExp.notebook_path = 'path.ipynb' names it"
            )
        self.seed = (
            None if options.no_seed else (options.seed if options.seed is not None else seeds.draw_seed())
        )
        self.config = cell_capture.capture_config(self.body, namespace, options.config_names, options.params)
        self.params = cell_capture.config_to_params(self.config)
        self.params["seed"] = str(self.seed)
        stem = Path(self.notebook_rel).stem if self.notebook_rel else "ipython"
        template = options.name or f"{stem}-{self.execution_count}"
        values = {k: cell_capture.mask_secrets(e.value, k) for k, e in self.config.items()}
        values.update({k: v for k, v in self.params.items() if k not in values})
        values["seed"] = self.seed
        self.run_name = render_run_name(template, values)
        self.experiment = (
            options.experiment or self.settings.default_experiment or self.notebook_rel or "Default"
        )
        from mlflow.exceptions import MlflowException

        from .tracking.probe import store_reachable
        from .tracking.store import StoreError, client_for, remembered_experiment_id

        self.client, self.experiment_id = None, None
        if not store_reachable(self.location.tracking_uri):
            return  # offline: the cell runs at once, its run is journaled under a local id
        try:
            self.client = client_for(self.location)
            self.experiment_id = remembered_experiment_id(self.client, self.location, self.experiment)
        except StoreError as error:
            raise TrackingError(str(error)) from None
        except MlflowException as error:  # e.g. a store whose schema is older than this MLflow
            reason = error.message.strip().splitlines()[0] if error.message else type(error).__name__
            raise TrackingError(
                f"Cannot use the MLflow store {self.location.tracking_uri}: {reason}"
            ) from None

    def _start_tags(self) -> dict[str, Any]:
        options = self.options
        tags: dict[str, Any] = {
            schema.SOURCE_TYPE: schema.SOURCE_TYPE_NOTEBOOK,
            schema.SOURCE_NAME: self.notebook_rel,
            schema.USER: _user(),
            schema.NOTE: options.note,
            schema.VERSION: __version__,
            schema.CELL_ID: self.cell_id,
            schema.CELL_EXECUTION_COUNT: self.execution_count,
            schema.CELL_SHA256: cell_capture.cell_sha256(self.raw_cell),
            **kernel.identity(),
            schema.HASHSEED: kernel.hash_seed(),
            schema.SEED: self.seed,
            schema.DETERMINISTIC: "true" if options.deterministic else None,
        }
        tags.update(options.tags)
        return tags

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> Any:
        __tracebackhide__ = True
        from mlflow.exceptions import MlflowException

        from .tracking.fluent import ActiveRunScope
        from .tracking.metric_sink import metric_sink
        from .tracking.metrics import MetricWriter
        from .tracking.store import forget_experiment, remembered_experiment_id

        wall_start, cpu_start = time.perf_counter(), time.process_time()
        peak_memory = PeakMemory()
        cuda = seeds.cuda_torch()
        if cuda is not None:
            cuda.cuda.reset_peak_memory_stats()
        try:
            self.recorder = recorder = self._start_recorder()
        except MlflowException:  # the remembered experiment was deleted meanwhile: look it up again
            assert self.client is not None
            forget_experiment(self.location, self.experiment)
            self.experiment_id = remembered_experiment_id(self.client, self.location, self.experiment)
            self.recorder = recorder = self._start_recorder()
        current = self.history.current if self.history is not None else None
        if current is not None and current.execution_count == self.execution_count:
            current.seed, current.deterministic = (
                self.seed,
                self.options.deterministic,
            )  # for replays
        if self._make_card is not None and not (self.options.quiet or self.settings.quiet):
            self.card = self._make_card(self)
        if self.seed is not None:
            seeds.apply_seed(self.seed, self.body)
        self._journal_replay_essentials(seeds.global_rng_states())
        background = threading.Thread(
            target=self._capture_in_background, name="jupyter-exp-capture", daemon=True
        )
        background.start()
        writer = MetricWriter(
            None if self.client is None else metric_sink(self.client, recorder.run_id),
            on_flush=self.card.show_metrics if self.card is not None else None,
            spool=recorder.entry,
        )
        _active.writer = writer
        outputs = OutputRecorder(self.shell, self.settings.max_output_bytes)
        scope: Any = (
            contextlib.nullcontext()  # offline: mlflow.log_* in the cell would wait for the store
            if recorder.offline
            else ActiveRunScope(self.client, self.location.tracking_uri, recorder.run)
        )
        outcome = Outcome()
        self.entropy = EntropyWatch(self.seed)
        self.inputs = InputWatch(self.location.root, [recorder.entry.path.parent])
        self._determinism: dict[str, str] = {}
        try:
            with (
                scope,
                seeds.deterministic_algorithms(self.options.deterministic),
                outputs,
                self.entropy,
                self.inputs,
            ):
                outcome = self._execute(outputs)
                self._determinism = seeds.determinism_settings()  # as the cell left them
                if not recorder.offline:
                    scope.end_children(outcome.status)
        finally:
            _active.writer = None
            self._finish(outcome, writer, background, outputs, peak_memory, wall_start, cpu_start)
        if outcome.error is not None:
            raise outcome.error
        return outcome.value

    def _start_recorder(self) -> Any:
        from .tracking.journal import journal_root
        from .tracking.recorder import RunRecorder

        expected = [
            schema.CELL,
            schema.CONFIG,
            schema.HISTORY,
            schema.OUTPUTS,
            schema.ENVIRONMENT,
        ]
        if self.settings.snapshot and self.notebook is not None:
            expected.append(schema.NOTEBOOK)
        return RunRecorder.start(
            self.client,
            (self.experiment_id, self.experiment),
            self.run_name,
            self._start_tags(),
            journal_root(self.location, self.settings.journal_dir),
            self.location.tracking_uri,
            tuple(expected),
        )

    def _journal_replay_essentials(self, rng_state: dict[str, Any]) -> None:
        """What a replay cannot do without goes to the journal before the cell runs (a few ms), so it
        survives a kernel that dies during or right after the cell; uploads follow in the background."""
        recorder = self.recorder
        recorder.entry.merge("params.json", self.params)
        recorder.stage_text(schema.CELL, self.raw_cell)
        recorder.stage_json(schema.CONFIG, cell_capture.config_document(self.config))
        recorder.stage_bytes(schema.RNG_STATE, pickle.dumps(rng_state))
        if self.history is not None:
            recorder.stage_bytes(schema.RNG_HISTORY, pickle.dumps(self.history.rng_by_execution_count()))

    def _execute(self, outputs: OutputRecorder) -> Outcome:
        __tracebackhide__ = True
        try:
            run_compiled(self.shell, self.compiled)
        except BaseException as error:  # the user's exception, re-raised unchanged after recording
            status = "KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED"
            return Outcome(
                status=status,
                error=error,
                traceback_text=self._traceback_text(error, self.compiled[2]),
            )
        return Outcome()  # what the cell displays went through IPython's display hook

    def _traceback_text(self, error: BaseException, filename: str) -> str:
        """The traceback as the user sees it: from the cell's own frame down."""
        tb: TracebackType | None = error.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != filename:
            tb = tb.tb_next
        tb = tb or error.__traceback__
        try:
            formatter = self.shell.InteractiveTB
            text = formatter.stb2text(formatter.structured_traceback(type(error), error, tb, tb_offset=0))
            return ANSI.sub("", text)
        except Exception:
            return "".join(traceback.format_exception(type(error), error, tb))

    # -- after the cell ---------------------------------------------------------------------
    def _finish(
        self,
        outcome: Outcome,
        writer: Any,
        background: threading.Thread,
        outputs: OutputRecorder,
        peak_memory: PeakMemory,
        wall_start: float,
        cpu_start: float,
    ) -> None:
        """What needs the cell's state is taken now and, with the true outcome, put in the run's journal
        entry before the cell returns; the rest of the record is written after the cell returned
        (``FINISHER``), unless ``finish_in_background`` is off."""
        from .tracking.recorder import now_ms

        end_time_ms = now_ms()
        wall = time.perf_counter() - wall_start
        cpu = time.process_time() - cpu_start
        try:
            late = cell_capture.config_objects_bound_by_cell(
                self.body, self.shell.user_ns, self.config, self.options.config_names
            )
        except Exception as error:  # an odd object in the namespace: the rest of the record goes on
            late = {}
            self.warnings.append(f"config objects bound by the cell could not be recorded: {error}")
        system = {
            schema.WALL_TIME: wall,
            schema.CPU_TIME: cpu,
            schema.PEAK_RSS: peak_memory.peak_mb(),
        }
        cuda = seeds.cuda_torch()
        if cuda is not None:
            system[schema.GPU_PEAK_MEMORY] = cuda.cuda.max_memory_allocated() / 2**20
        recorder = self.recorder
        entry = recorder.entry
        journaled = self._journaled
        journaled("buffered metric points", writer.seal)
        journaled(
            "system metrics",
            lambda: entry.spool_points([(k, float(v), end_time_ms, 0) for k, v in system.items()]),
        )
        if late:
            self.config.update(late)
            journaled(
                "late params",
                lambda: entry.merge("params.json", cell_capture.config_to_params(late)),
            )
            journaled(
                schema.CONFIG,
                lambda: recorder.stage_json(schema.CONFIG, cell_capture.config_document(self.config)),
            )
        journaled(
            schema.OUTPUTS,
            lambda: recorder.stage_json(schema.OUTPUTS, outputs.document()),
        )
        for name, data in outputs.figures().items():  # figures/figure-1.png ...
            journaled(name, lambda: recorder.stage_bytes(name, data))  # noqa: B023 (called at once)
        self._bound = snapshot_bound(self.body, self.shell.user_ns)  # copies now, hashed in _complete
        self._inputs = self.inputs.document()  # stat now, hashed in _complete
        journaled(
            schema.HISTORY,
            lambda: recorder.stage_json(schema.HISTORY, self._history_document(outcome)),
        )
        if outcome.error is not None:
            journaled(
                schema.TRACEBACK,
                lambda: recorder.stage_text(schema.TRACEBACK, outcome.traceback_text),
            )
        determinism = seeds.format_settings(self._determinism)
        journaled(
            "determinism",
            lambda: entry.merge("tags.json", {schema.DETERMINISM: determinism}),
        )
        if self.entropy.unreplayable:
            self.warnings.append(
                f"the cell read entropy a replay cannot reproduce: {self.entropy.describe()}"
            )
            journaled(
                "entropy",
                lambda: entry.merge("tags.json", {schema.ENTROPY_UNREPLAYABLE: self.entropy.describe()}),
            )
        journaled("the end status", lambda: entry.write_end(outcome.status, end_time_ms))
        _active.last_run_id = recorder.run_id
        if recorder.offline:
            self.warnings.append(
                f"offline: the store cannot be reached; {writer.kept_locally + writer.pending} points kept "
                "locally, delivered when it is back (or by `jupyter-exp sync`)"
            )
        if self.card is not None:
            self.card.show_end(outcome.status, self.warnings)

        def complete() -> None:
            self._complete(writer, background)

        if self.settings.finish_in_background:
            FINISHER.submit(complete)
        else:
            complete()

    def _journaled(self, what: str, write: Callable[[], Any]) -> None:
        """One part of the record to the journal: a part that fails (odd text, a full disk) is named on the
        card, and neither stops the others nor reaches the user's cell."""
        try:
            write()
        except Exception as error:
            lines = str(error).strip().splitlines()
            self.warnings.append(
                f"{what} could not be recorded: {lines[0] if lines else type(error).__name__}"
            )

    def _complete(
        self,
        writer: Any,
        background: threading.Thread,
    ) -> None:
        """Deliver the run from its journal entry (what this process holds in memory is there too, so
        the kernel and whoever completes a run it left behind go the same way)."""
        from .tracking.completion import deliver_entry, one_line
        from .tracking.finisher import FINISHER

        recorder = self.recorder
        try:
            writer.close()
            if writer.unsent:
                self.warnings.append(
                    f"{len(writer.unsent)} metric points are kept in the local journal until the store "
                    f"takes them: {writer.last_error}"
                )
            if writer.rejected:
                names = ", ".join(sorted({k for k, _ in writer.rejected}))
                self.warnings.append(f"non-numeric metric values were not logged ({names})")
            background.join()
            recorder.stage_json(schema.STATE, self._bound.document())  # off the cell's path
            if self._inputs:
                recorder.stage_json(schema.INPUTS, with_hashes(self._inputs, self.location.root))
            recorder.entry.merge("tags.json", {schema.DEVICE: environment.device_label()})
            recorder.stop_heartbeat()
            if self.client is None:
                self._deliver_offline()
                return
            delivered = deliver_entry(self.client, recorder.entry)
            if delivered.refused:
                self.warnings.append("the store refused part of the record: " + "; ".join(delivered.refused))
            if delivered.kept:
                recorder.entry.release()
                self.warnings.append(
                    f"{len(delivered.kept)} artifacts could not be stored; kept locally until "
                    "`jupyter-exp sync` or a later try delivers them"
                )
                FINISHER.retry_journal_later(self.location, self.settings.journal_dir)
        except Exception as error:  # the store failed us: the journal keeps the rest for later
            recorder.entry.release()
            self.warnings.append(
                f"the run is kept in the local journal until the store is back: {one_line(error)}"
            )
            FINISHER.retry_journal_later(self.location, self.settings.journal_dir)
        if self.card is not None and len(self.warnings) > len(self.card.warnings):
            self.card.show_late_warnings(self.warnings)

    def _deliver_offline(self) -> None:
        """Hand an offline run's entry to the finisher's retries; the card shows the store's id once the
        run is there."""
        from .tracking.finisher import FINISHER

        local_id = self.recorder.run_id
        self.recorder.entry.release()

        def delivered(run_id: str) -> None:
            if _active.last_run_id == local_id:
                _active.last_run_id = run_id
            if self.card is not None:
                self.card.show_delivered(run_id)

        FINISHER.retry_journal_later(
            self.location,
            self.settings.journal_dir,
            on_delivered={local_id: delivered},
            at_once=True,
        )

    def _history_document(self, outcome: Outcome) -> list[dict[str, Any]]:
        entries = self.history.public() if self.history is not None else []
        if entries and entries[-1]["execution_count"] == self.execution_count:
            entries[-1]["success"] = outcome.error is None
        else:
            entries.append(
                {
                    "execution_count": self.execution_count,
                    "cell_id": self.cell_id,
                    "source": self.raw_cell,
                    "success": outcome.error is None,
                    "seed": self.seed,
                }
            )
        return entries

    def _capture_in_background(self) -> None:
        """The slow part of the record, overlapping the user's code."""
        recorder = self.recorder
        try:
            try:
                recorder.log_params(self.params)
            except Exception as error:  # refused items: sent one by one (the rest kept) on delivery
                from .tracking.completion import is_refused

                if not is_refused(error):
                    raise
            tags: dict[str, Any] = {schema.KERNEL_NAME: kernel.kernelspec_name()}
            env = environment.capture_environment()
            git = capture_git(
                self.location.root if self.notebook is None else self.notebook.parent,
                self.settings.max_diff_bytes,
            )
            if git is not None:
                tags.update(
                    {
                        schema.GIT_COMMIT: git.commit,
                        schema.GIT_BRANCH: git.branch,
                        schema.GIT_REPO_URL: git.remote_url,
                        schema.GIT_DIRTY: "true" if git.dirty else "false",
                        schema.GIT_STATE: git.state,
                    }
                )
                if git.state is not None:
                    from .widgets import git_state_note

                    self.warnings.append(git_state_note(git.state))
                env["git"] = {
                    "root": git.root,
                    "diff_bytes": git.diff_bytes,
                    "diff_truncated": git.diff_truncated,
                    "diff_cap_bytes": self.settings.max_diff_bytes,
                    "untracked": git.untracked,
                }
                recorder.stage_text(schema.GIT_DIFF, git.diff)
            recorder.set_tags(tags)
            recorder.stage_json(schema.ENVIRONMENT, env)
            if self.settings.snapshot and self.notebook is not None:
                taken = snapshot(self.notebook, self.raw_cell, self.cell_id)
                if taken is not None:
                    recorder.stage_bytes(schema.NOTEBOOK, taken[0])
                    if taken[1]:  # the file on disk is current enough to judge where names came from
                        self._record_hidden_state(json.loads(taken[0]))
            with contextlib.suppress(OSError):  # a full artifact disk: the finisher retries and says so
                recorder.upload_staged()  # early, so that the store has the record while the cell runs
            if self.settings.requirements:
                recorder.stage_text(schema.REQUIREMENTS, environment.requirements_txt())
        except Exception as error:  # an incomplete record is better than a broken cell
            self.warnings.append(f"part of the record could not be captured: {error}")

    def _record_hidden_state(self, document: dict[str, Any]) -> None:
        entries = self.history.entries if self.history is not None else []
        earlier = [e for e in entries if e.execution_count < self.execution_count]
        names = hidden_state(self.body, earlier, document)
        if names:
            self.recorder.set_tags({schema.HIDDEN_STATE: ", ".join(names)})
            self.warnings.append("hidden state: " + ", ".join(names))


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None
