"""The run record of one tracked cell execution, built around the cell.

What a replay cannot do without goes to the journal before the cell runs; the slow parts (params, git,
environment, the notebook snapshot, requirements) are captured on a thread while the user's code runs;
what needs the cell's state is taken as it returns and, with the true outcome, put in the run's journal
entry before the cell returns; the rest is delivered after it returned (``FINISHER``). A part that fails
is named on the card and never reaches the user's cell.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp._version import __version__
from jupyter_exp.capture import cell as cell_capture
from jupyter_exp.capture import environment, kernel, rng_codec, seeds
from jupyter_exp.capture.git import capture_git, git_state_note
from jupyter_exp.capture.hidden_state import hidden_state
from jupyter_exp.capture.inputs import with_hashes
from jupyter_exp.capture.notebook import snapshot
from jupyter_exp.capture.slicing import generator_names, slice_history
from jupyter_exp.capture.state import StateSnapshot
from jupyter_exp.capture.state import snapshot as snapshot_bound
from jupyter_exp.errors import one_line
from jupyter_exp.track import active as _active
from jupyter_exp.tracking.completion import deliver_entry
from jupyter_exp.tracking.finisher import FINISHER
from jupyter_exp.tracking.identity import store_user
from jupyter_exp.tracking.journal import journal_root
from jupyter_exp.tracking.metrics import is_refused
from jupyter_exp.tracking.priority import lower_this_thread, pace
from jupyter_exp.tracking.recorder import RunRecorder
from jupyter_exp.tracking.store import forget_experiment, remembered_experiment_id

if TYPE_CHECKING:
    from jupyter_exp.capture.entropy import EntropyWatch
    from jupyter_exp.capture.inputs import InputWatch
    from jupyter_exp.capture.notebook import HistoryEntry
    from jupyter_exp.capture.outputs import OutputRecorder
    from jupyter_exp.track.execution import Outcome
    from jupyter_exp.track.prepared import PreparedCell
    from jupyter_exp.tracking.metrics import MetricWriter
    from jupyter_exp.tracking.recorder import RunRecorder

# journal entries of ``TrackOptions.journal_only`` runs, complete and released for the replay driver that
# delivers them (``reproduce.inkernel.settle`` hands their paths over)
HANDED_OVER: list[str] = []


def start_run(cell: PreparedCell) -> tuple[RunRecorder, str | None]:
    """Create the run and its journal entry; returns the recorder and the experiment id it went to
    (an experiment deleted since this process remembered it is looked up again)."""
    try:
        return _start_recorder(cell, cell.experiment_id), cell.experiment_id
    except Exception as error:  # MLflow imported only here: a run created directly needs none of it
        from mlflow.exceptions import MlflowException

        if not isinstance(error, MlflowException):
            raise
        # the remembered experiment was deleted meanwhile: look it up again
        assert cell.client is not None
        forget_experiment(cell.location, cell.experiment)
        experiment_id = remembered_experiment_id(cell.client, cell.location, cell.experiment)
        return _start_recorder(cell, experiment_id), experiment_id


def _start_recorder(cell: PreparedCell, experiment_id: str | None) -> RunRecorder:
    expected = [schema.CELL, schema.CONFIG, schema.HISTORY, schema.OUTPUTS, schema.ENVIRONMENT]
    if cell.settings.snapshot and cell.notebook is not None:
        expected.append(schema.NOTEBOOK)
    return RunRecorder.start(
        cell.client,
        (experiment_id, cell.experiment),
        cell.run_name,
        start_tags(cell),
        journal_root(cell.location, cell.settings.journal_dir),
        cell.location.tracking_uri,
        tuple(expected),
        direct=cell.direct if experiment_id == cell.experiment_id else None,
    )


def start_tags(cell: PreparedCell) -> dict[str, Any]:
    """The tags a run is created with (``None`` values are left out); ``--tag`` ones last."""
    options = cell.options
    tags: dict[str, Any] = {
        schema.SOURCE_TYPE: schema.SOURCE_TYPE_NOTEBOOK,
        schema.SOURCE_NAME: cell.notebook_rel,
        schema.USER: store_user(),  # who the store knows: the sidebar's "mine"
        schema.NOTE: options.note,
        schema.VERSION: __version__,
        schema.CELL_ID: cell.cell_id,
        schema.CELL_EXECUTION_COUNT: cell.execution_count,
        schema.CELL_SHA256: cell_capture.cell_sha256(cell.raw_cell),
        **kernel.identity(),
        schema.HASHSEED: kernel.hash_seed(),
        schema.SEED: cell.seed,
        schema.DETERMINISTIC: "true" if options.deterministic else None,
    }
    tags.update(options.tags)
    return tags


@dataclass(frozen=True)
class CellEnd:
    """How the cell ended, taken on its path as it returned."""

    outcome: Outcome
    end_time_ms: int
    system: dict[str, float]  # system/* metrics
    determinism: dict[str, str]  # the determinism settings as the cell left them
    outputs: OutputRecorder
    entropy: EntropyWatch
    inputs: InputWatch


class CellRecord:
    """The record of one run of a prepared cell: its recorder, its card (``None`` when quiet) and the
    warnings the card shows. Built once the run exists; everything it writes goes through the journal."""

    def __init__(self, cell: PreparedCell, recorder: RunRecorder, card: Any = None) -> None:
        self.cell = cell
        self.recorder = recorder
        self.card = card
        self.config = dict(cell.config)  # grows by the config objects the cell binds
        self.warnings: list[str] = list(cell.warnings)
        self._history: list[HistoryEntry] | None = None  # the execution history as the cell started

    # -- before the cell ----------------------------------------------------------------------
    def journal_replay_essentials(self, rng_state: dict[str, Any]) -> None:
        """What a replay cannot do without goes to the journal before the cell runs (a few ms), so it
        survives a kernel that dies during or right after the cell; uploads follow in the background."""
        cell, recorder = self.cell, self.recorder
        recorder.entry.merge("params.json", cell.params)
        recorder.stage_text(schema.CELL, cell.raw_cell)
        recorder.stage_json(schema.CONFIG, cell_capture.config_document(self.config))
        recorder.stage_text(schema.RNG_STATE, rng_codec.dumps(rng_state))
        # the history grows with the session: journaled by the background capture, first thing
        self._history = cell.history.frozen() if cell.history is not None else None

    def capture_in_background(self) -> threading.Thread:
        """Start the slow part of the record on a thread of its own, overlapping the user's code."""
        background = threading.Thread(target=self._capture, name="jupyter-exp-capture", daemon=True)
        background.start()
        return background

    def _capture(self) -> None:
        lower_this_thread()  # beside the user's code: it gets the CPU first
        cell, recorder, settings = self.cell, self.recorder, self.cell.settings
        try:
            if cell.history is not None and self._history is not None:
                recorder.stage_chunks(schema.RNG_HISTORY, cell.history.rng_history_chunks(self._history))
                # provisional (the cell's success unknown yet): a kernel killed right after the cell still
                # leaves a history.json a replay can use; complete() stages the final one over it
                self._stage_history(self._history, None)
            try:
                recorder.log_params(cell.params)
            except Exception as error:  # refused items: sent one by one (the rest kept) on delivery
                if not is_refused(error):
                    raise
            pace()  # the rest yields to a user's cell: the one tracked here, or the next
            tags: dict[str, Any] = {schema.KERNEL_NAME: kernel.kernelspec_name()}
            env = environment.capture_environment()
            git = capture_git(
                cell.location.root if cell.notebook is None else cell.notebook.parent, settings.max_diff_bytes
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
                    self.warnings.append(git_state_note(git.state))
                env["git"] = {
                    "root": git.root,
                    "diff_bytes": git.diff_bytes,
                    "diff_truncated": git.diff_truncated,
                    "diff_cap_bytes": settings.max_diff_bytes,
                    "untracked": git.untracked,
                }
                recorder.stage_text(schema.GIT_DIFF, git.diff)
            recorder.set_tags(tags)
            recorder.stage_json(schema.ENVIRONMENT, env)
            if settings.snapshot and cell.notebook is not None:
                pace()
                taken = snapshot(cell.notebook, cell.raw_cell, cell.cell_id)
                if taken is not None:
                    recorder.stage_bytes(schema.NOTEBOOK, taken[0])
                    if taken[1]:  # the file on disk is current enough to judge where names came from
                        self._record_hidden_state(json.loads(taken[0]))
            pace()
            with contextlib.suppress(OSError):  # a full artifact disk: the finisher retries and says so
                recorder.upload_staged()  # early, so that the store has the record while the cell runs
            if settings.requirements:
                recorder.stage_text(schema.REQUIREMENTS, environment.requirements_txt())
        except Exception as error:  # an incomplete record is better than a broken cell
            self.warnings.append(f"part of the record could not be captured: {error}")

    def _record_hidden_state(self, document: dict[str, Any]) -> None:
        cell = self.cell
        entries = cell.history.entries if cell.history is not None else []
        earlier = [e for e in entries if e.execution_count < cell.execution_count]
        names = hidden_state(cell.body, earlier, document)
        if names:
            self.recorder.set_tags({schema.HIDDEN_STATE: ", ".join(names)})
            self.warnings.append("hidden state: " + ", ".join(names))

    # -- as the cell returns ------------------------------------------------------------------
    def finish(self, end: CellEnd, writer: MetricWriter, background: threading.Thread) -> None:
        """What needs the cell's state is taken now and, with the true outcome, put in the run's journal
        entry before the cell returns; the rest of the record is written after the cell returned
        (``FINISHER``), unless ``finish_in_background`` is off."""
        cell, recorder = self.cell, self.recorder
        entry, journaled, outcome = recorder.entry, self._journaled, end.outcome
        try:
            late = cell_capture.config_objects_bound_by_cell(
                cell.body, cell.shell.user_ns, self.config, cell.options.config_names
            )
        except Exception as error:  # an odd object in the namespace: the rest of the record goes on
            late = {}
            self.warnings.append(f"config objects bound by the cell could not be recorded: {error}")
        journaled("buffered metric points", writer.seal)
        journaled(
            "system metrics",
            lambda: entry.spool_points([(k, float(v), end.end_time_ms, 0) for k, v in end.system.items()]),
        )
        if late:
            self.config.update(late)
            journaled("late params", lambda: entry.merge("params.json", cell_capture.config_to_params(late)))
            journaled(
                schema.CONFIG,
                lambda: recorder.stage_json(schema.CONFIG, cell_capture.config_document(self.config)),
            )
        journaled(schema.OUTPUTS, lambda: recorder.stage_json(schema.OUTPUTS, end.outputs.document()))
        for name, data in end.outputs.figures().items():  # figures/figure-1.png ...
            journaled(name, lambda: recorder.stage_bytes(name, data))  # noqa: B023 (called at once)
        bound = snapshot_bound(cell.body, cell.shell.user_ns)  # copies now, hashed in complete()
        inputs = end.inputs.document()  # stat now, hashed in complete()
        history = list(cell.history.entries) if cell.history is not None else []  # staged in complete()
        if outcome.error is not None:
            journaled(schema.TRACEBACK, lambda: recorder.stage_text(schema.TRACEBACK, outcome.traceback_text))
        determinism = seeds.format_settings(end.determinism)
        journaled("determinism", lambda: entry.merge("tags.json", {schema.DETERMINISM: determinism}))
        if end.entropy.unreplayable:
            unreplayable = end.entropy.describe()
            self.warnings.append(f"the cell read entropy a replay cannot reproduce: {unreplayable}")
            journaled(
                "entropy", lambda: entry.merge("tags.json", {schema.ENTROPY_UNREPLAYABLE: unreplayable})
            )
        journaled("the end status", lambda: entry.write_end(outcome.status, end.end_time_ms))
        _active.last_run_id = recorder.run_id
        if recorder.offline and not cell.options.journal_only:
            self.warnings.append(
                f"offline: the store cannot be reached; {writer.kept_locally + writer.pending} points kept "
                "locally, delivered when it is back (or by `jupyter-exp sync`)"
            )
        if self.card is not None:
            self.card.show_end(outcome.status, self.warnings)

        def complete() -> None:
            self._journaled(schema.HISTORY, lambda: self._stage_history(history, outcome.error is None))
            slice_document = functools.partial(self._slice_document, history, outcome, inputs)
            self.complete(writer, background, bound, inputs, slice_document)

        if cell.settings.finish_in_background:
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

    def _history_split(
        self, history: list[HistoryEntry], success: bool | None
    ) -> tuple[list[HistoryEntry], dict[str, Any]]:
        """The entries before the tracked cell, and its own ``history.json`` entry with ``success`` (None
        while it runs)."""
        cell = self.cell
        if history and history[-1].execution_count == cell.execution_count:
            return history[:-1], {**history[-1].public(), "success": success}
        last = {
            "execution_count": cell.execution_count,
            "cell_id": cell.cell_id,
            "source": cell.raw_cell,
            "success": success,
            "seed": cell.seed,
        }
        return history, last

    def _stage_history(self, history: list[HistoryEntry], success: bool | None) -> None:
        """``history.json``, off the cell's path: its size grows with the session, so the earlier entries
        come masked and encoded from the history, each once across the session's tracked cells."""
        earlier, last = self._history_split(history, success)
        if self.cell.history is None:
            self.recorder.stage_json(schema.HISTORY, [*(entry.public() for entry in earlier), last])
            return
        public_chunks = self.cell.history.public_chunks
        self.recorder.stage_masked_chunks(
            schema.HISTORY, lambda redactor: public_chunks(earlier, [last], redactor)
        )

    def _history_document(self, history: list[HistoryEntry], success: bool | None) -> list[dict[str, Any]]:
        """``history.json``'s entries as data (the slice reads them)."""
        earlier, last = self._history_split(history, success)
        return [*(entry.public() for entry in earlier), last]

    def _slice_document(
        self, history: list[HistoryEntry], outcome: Outcome, inputs: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """``slice.json``: the cells of the history the tracked cell depends on (``%reproduce --slice``),
        from their ASTs, the files the cell read and the generators whose states are put back before it."""
        last = history[-1] if history and history[-1].execution_count == self.cell.execution_count else None
        generators = generator_names(last.rng_states if last is not None else None)
        entries = self._history_document(history, outcome.error is None)
        return slice_history(entries, [str(i["path"]) for i in inputs], generators).document()

    # -- after the cell returned ----------------------------------------------------------------
    def complete(
        self,
        writer: MetricWriter,
        background: threading.Thread,
        bound: StateSnapshot,
        inputs: list[dict[str, Any]],
        slice_document: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        """Deliver the run from its journal entry (what this process holds in memory is there too, so
        the kernel and whoever completes a run it left behind go the same way). ``slice.json`` (its work
        grows with the history) is computed once the capture is done, at a paced step: not beside the
        kernel's reply to the cell nor the user's next cell."""
        cell, recorder = self.cell, self.recorder
        try:
            writer.close()
            pace()
            if writer.unsent:
                self.warnings.append(
                    f"{len(writer.unsent)} metric points are kept in the local journal until the store "
                    f"takes them: {writer.last_error}"
                )
            if writer.rejected:
                names = ", ".join(sorted({k for k, _ in writer.rejected}))
                self.warnings.append(f"non-numeric metric values were not logged ({names})")
            background.join()
            pace()
            if slice_document is not None:
                self._journaled(schema.SLICE, lambda: recorder.stage_json(schema.SLICE, slice_document()))
                pace()
            recorder.stage_json(schema.STATE, bound.document())  # off the cell's path
            if inputs:
                recorder.stage_json(schema.INPUTS, with_hashes(inputs, cell.location.root))
            recorder.entry.merge("tags.json", {schema.DEVICE: environment.device_label()})
            recorder.stop_heartbeat()
            if cell.client is None and cell.options.journal_only:  # its replay's driver delivers it
                recorder.entry.release()
                HANDED_OVER.append(str(recorder.entry.path))
                return
            if cell.client is None:
                self._deliver_offline()
                return
            pace()
            delivered = deliver_entry(cell.client, recorder.entry)
            if delivered.refused:
                self.warnings.append("the store refused part of the record: " + "; ".join(delivered.refused))
            if delivered.kept:
                recorder.entry.release()
                self.warnings.append(
                    f"{len(delivered.kept)} artifacts could not be stored; kept locally until "
                    "`jupyter-exp sync` or a later try delivers them"
                )
                FINISHER.retry_journal_later(cell.location, cell.settings.journal_dir)
        except Exception as error:  # the store failed us: the journal keeps the rest for later
            recorder.entry.release()
            self.warnings.append(
                f"the run is kept in the local journal until the store is back: {one_line(error)}"
            )
            FINISHER.retry_journal_later(cell.location, cell.settings.journal_dir)
        if self.card is not None and len(self.warnings) > len(self.card.warnings):
            self.card.show_late_warnings(self.warnings)

    def _deliver_offline(self) -> None:
        """Hand an offline run's entry to the finisher's retries; the card shows the store's id once the
        run is there."""
        local_id = self.recorder.run_id
        self.recorder.entry.release()

        def delivered(run_id: str) -> None:
            if _active.last_run_id == local_id:
                _active.last_run_id = run_id
            if self.card is not None:
                self.card.show_delivered(run_id)

        FINISHER.retry_journal_later(
            self.cell.location,
            self.cell.settings.journal_dir,
            on_delivered={local_id: delivered},
            at_once=True,
        )
