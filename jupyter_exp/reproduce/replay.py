"""The replay engine: a recorded run -> a fresh kernel -> a new run -> a verdict.

Framework-free and async, in nbclient's ``NotebookClient`` shape: a ``Replayer`` takes what to replay
and how in its constructor and has one entry, ``async_run()`` (``run()`` is its blocking form, for
``%reproduce``, whose cell already runs inside an event loop); the server awaits ``async_run()`` on its
own loop with its own kernel manager. ``async_setup_kernel`` owns the replay kernel: whatever happens (a
failing cell, a dead kernel, an interrupt), it is shut down and no run is left RUNNING. What the
reproduction concluded is written by ``outcome.ReproductionOutcome``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.kernel import KERNEL_ID_ENV, KERNEL_NAME_ENV
from jupyter_exp.capture.notebook import SESSION_ENV
from jupyter_exp.config import ROOT_ENV, StoreLocation, git_toplevel
from jupyter_exp.reproduce.bisect import (
    Bisection,
    Budget,
    CellTimes,
    ProbeProgress,
    bisect,
    describe,
    first_line,
    probe_passes,
    with_cells,
)
from jupyter_exp.reproduce.conditions import replay_environment, replay_kernel_name
from jupyter_exp.reproduce.drift import (
    Drift,
    environment_drift,
    git_drift,
    hashseed_drift,
    inputs_drift,
    notebook_drift,
    replay_drift,
)
from jupyter_exp.reproduce.errors import (
    InvalidReproduction,
    KernelDied,
    KernelSpecMissing,
    ReproduceStoreFailure,
)
from jupyter_exp.reproduce.handover import deliver_handed_over, handed_over
from jupyter_exp.reproduce.observer import ReplayObserver
from jupyter_exp.reproduce.outcome import ReproductionOutcome
from jupyter_exp.reproduce.plan import ReplayPlan, ReplayStep, build_plan, vary_seed
from jupyter_exp.reproduce.provenance import check_recorder
from jupyter_exp.reproduce.record import RunRecord, StoredRun, fetch_run, load_record, read_json
from jupyter_exp.reproduce.replay_kernel import KernelLauncher, LocalKernelLauncher, ReplayKernel
from jupyter_exp.reproduce.reproduction import ReproduceOptions, Reproduction
from jupyter_exp.reproduce.worktree import recorded_worktree
from jupyter_exp.tracking.store import StoreError, StoreRefused, client_for

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = [
    "ReplayObserver",
    "Replayer",
    "ReproduceOptions",
    "Reproduction",
    "reproduce",
    "reproduce_blocking",
]

DEFAULT_KERNEL = "python3"
INKERNEL = '__import__("jupyter_exp.reproduce.inkernel", fromlist=["_"])'
DROPPED_ENV = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", SESSION_ENV, KERNEL_ID_ENV)


@dataclass
class _EarlyKernel:
    """A replay kernel started before its plan was made (``Replayer._start_early``)."""

    kernel: ReplayKernel
    starting: asyncio.Future[None]
    cwd: str
    env: dict[str, str]

    async def discard(self) -> None:
        """Shut it down, once a start in flight has finished (a failed start is nothing to report)."""
        await asyncio.wait([self.starting])
        if not self.starting.cancelled():
            self.starting.exception()
        await self.kernel.shutdown()


class Replayer:
    """One reproduction of run ``run_id``: read its record, replay its history in a fresh kernel of the
    chosen kernelspec (``launcher`` starts it), verify the new run against the original."""

    def __init__(
        self,
        run_id: str,
        location: StoreLocation,
        options: ReproduceOptions | None = None,
        launcher: KernelLauncher | None = None,
        observer: ReplayObserver | None = None,
    ) -> None:
        self.run_id = run_id
        self.location = location
        self.options = options or ReproduceOptions()
        self.launcher = launcher or LocalKernelLauncher()
        self.observer = observer or ReplayObserver()

    # -- the entries --------------------------------------------------------------------------------
    async def async_run(self) -> Reproduction:
        """Replay and verify; raises ``ReproduceError`` on bad input (before any kernel starts)."""
        started = time.perf_counter()
        try:
            client = await asyncio.to_thread(client_for, self.location)
        except StoreError as error:
            raise ReproduceStoreFailure(str(error)) from None
        workdir = Path(tempfile.mkdtemp(prefix="jupyter-exp-reproduce-"))
        early: _EarlyKernel | None = None
        try:  # store and git work runs on threads: a server's event loop must not wait on it
            stored = await asyncio.to_thread(fetch_run, client, self.run_id)
            early = await self._start_early(client, stored, workdir)
            reproduction, notebook = await asyncio.to_thread(self._prepare, client, workdir, stored)
            outcome = ReproductionOutcome(client, reproduction)
            if self.options.dry_run:  # what would run, read as data: no kernel, no checkout
                reproduction.drift += await asyncio.to_thread(
                    inputs_drift, reproduction.original, self.location.root
                )
                reproduction.drift.append(
                    Drift("packages", "recorded", "not compared: a dry run starts no kernel")
                )
                self.observer.planned(reproduction)
                reproduction.duration_s = time.perf_counter() - started
                return reproduction
            with self._replay_root(reproduction.original) as root:
                replayed_notebook = self._replayed_notebook(reproduction.original, notebook, root)
                reproduction.drift += await asyncio.to_thread(inputs_drift, reproduction.original, root)
                drift = list(reproduction.drift)
                try:  # a store that refuses what the reproducer may not do: one line, never a traceback
                    await self._replay(outcome, root, replayed_notebook, early)
                    reproduction.duration_s = time.perf_counter() - started
                    await asyncio.to_thread(outcome.write_verdict)
                    if _needs_full_replay(reproduction):
                        reproduction = await self._full_after_slice(
                            client, reproduction, drift, root, replayed_notebook, started
                        )
                except Exception as error:
                    refused = error if isinstance(error, StoreRefused) else outcome.refused(error, "a write")
                    if not isinstance(refused, StoreRefused):
                        raise
                    raise ReproduceStoreFailure(str(refused)) from None
            return reproduction
        finally:
            if early is not None:  # started and not used (bad input): shut down; else already
                await early.discard()
            shutil.rmtree(workdir, ignore_errors=True)

    async def _full_after_slice(
        self,
        client: MlflowClient,
        sliced: Reproduction,
        drift: list[Drift],
        root: Path,
        notebook: Path | None,
        started: float,
    ) -> Reproduction:
        """The slice replay was not exact/close: replay the full history, and say whether a cell the slice
        left out mattered (the full replay's verdict is the reproduction's)."""
        assert sliced.verdict is not None
        full = Reproduction(
            sliced.original, self._plan(sliced.original, sliced=False), sliced.kernel_name, sliced.options
        )
        full.drift = list(drift)
        left_out = [s.execution_count for s in sliced.plan.sliced_out]
        full.after_slice = {
            "verdict": sliced.verdict.verdict,
            "run_id": sliced.run_id,
            "cells": len(sliced.plan.steps),
            "left_out": left_out,
            "mattered": None,
        }
        outcome = ReproductionOutcome(client, full)
        timed = CellTimes(self.observer)  # what each left-out cell costs a bisection's probe
        await self._with_observer(timed)._replay(outcome, root, notebook)
        full.duration_s = time.perf_counter() - started
        await asyncio.to_thread(outcome.write_verdict)
        if full.verdict is not None:
            mattered = full.verdict.verdict in (schema.EXACT, schema.CLOSE)
            full.after_slice["mattered"] = mattered
            if mattered and len(left_out) > 1:
                budget = Budget(sliced.duration_s, timed.seconds, self.options.bisect_budget_s)
                found = await self._bisect(client, sliced, full, root, notebook, budget)
                full.after_slice["bisection"] = found.document()
                full.duration_s = time.perf_counter() - started
            full.verdict.summary += "; " + after_slice_note(full.after_slice, full.plan.history_size)
        await asyncio.to_thread(_relog_document, outcome)
        return full

    async def _bisect(
        self,
        client: MlflowClient,
        sliced: Reproduction,
        full: Reproduction,
        root: Path,
        notebook: Path | None,
        budget: Budget,
    ) -> Bisection:
        """Which left-out cells mattered (``bisect.py``): each probe replays the slice with some put back."""
        sources = {s.execution_count: first_line(s.source) for s in full.plan.steps}

        async def probe(extra: list[int]) -> bool:
            plan = with_cells(sliced.plan, full.plan, extra)
            tried = Reproduction(sliced.original, plan, sliced.kernel_name, sliced.options)
            await self._with_observer(ProbeProgress(self.observer))._replay(
                ReproductionOutcome(client, tried), root, notebook
            )
            return await asyncio.to_thread(probe_passes, client, tried, extra)

        left_out = [s.execution_count for s in sliced.plan.sliced_out]
        found = await bisect(left_out, probe, budget)
        found.sources = {c: sources.get(c, "") for c in found.found}
        return found

    def _with_observer(self, observer: ReplayObserver) -> Replayer:
        return Replayer(self.run_id, self.location, self.options, self.launcher, observer)

    def run(self) -> Reproduction:
        """``async_run`` on a thread with its own event loop (a kernel's cell already runs inside one).

        Ctrl-C / interrupting the kernel cancels the replay: its kernel is shut down and its run ended
        KILLED before ``KeyboardInterrupt`` reaches the caller.
        """
        loop = asyncio.new_event_loop()
        result: dict[str, Any] = {}

        def work() -> None:
            asyncio.set_event_loop(loop)
            task = loop.create_task(self.async_run())
            result["task"] = task
            try:
                result["value"] = loop.run_until_complete(task)
            except BaseException as error:
                result["error"] = error
            finally:
                loop.close()

        thread = threading.Thread(target=work, name="jupyter-exp-replay", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.2)
        except KeyboardInterrupt:
            while "task" not in result and thread.is_alive():
                time.sleep(0.01)
            if "task" in result:
                loop.call_soon_threadsafe(result["task"].cancel)
            thread.join()
            raise
        if "error" in result:
            raise result["error"]
        reproduction: Reproduction = result["value"]
        return reproduction

    # -- before a kernel exists ---------------------------------------------------------------------
    def _prepare(
        self, client: MlflowClient, workdir: Path, stored: StoredRun | None = None
    ) -> tuple[Reproduction, Path | None]:
        """Read the record, choose the kernel, plan the replay and list what drifted since the run."""
        options, root = self.options, self.location.root
        stored = stored or fetch_run(client, self.run_id)
        if not options.dry_run:  # a dry run reads the record as data and starts no kernel
            check_recorder(stored.run, options.confirmed)
        record = load_record(client, stored, workdir)
        kernel_name, kernel_drift = self._choose_kernel(record)
        plan = self._plan(record, options.sliced)
        reproduction = Reproduction(record, plan, kernel_name, options)
        notebook = _notebook(record, root)
        reproduction.drift = [
            *kernel_drift,
            *git_drift(record, root, options.checkout),
            *notebook_drift(record, notebook),
            *replay_drift(plan),
            *hashseed_drift(record),
        ]
        return reproduction, notebook

    def _plan(self, record: RunRecord, sliced: bool) -> ReplayPlan:
        options = self.options
        plan = build_plan(record, options.sets, sliced)
        if options.deterministic:
            plan.target.deterministic = True
        if options.seed is not None:
            vary_seed(plan, options.seed)
        return plan

    def _choose_kernel(self, record: RunRecord) -> tuple[str, list[Drift]]:
        asked, launcher = self.options.kernel_name, self.launcher
        if asked:
            launcher.check(asked)
            recorded = record.tags.get(schema.KERNEL_NAME)
            if recorded and recorded != asked:
                return asked, [Drift("kernel", recorded, asked)]
            return asked, []
        recorded = replay_kernel_name(record.tags.get(schema.KERNEL_NAME)) or DEFAULT_KERNEL
        try:
            launcher.check(recorded)
            return recorded, []
        except KernelSpecMissing:
            launcher.check(DEFAULT_KERNEL)
            return DEFAULT_KERNEL, [
                Drift("kernel", recorded, f"not installed here: {DEFAULT_KERNEL} (pass --kernel)")
            ]

    @contextlib.contextmanager
    def _replay_root(self, record: RunRecord) -> Iterator[Path]:
        """The root the replay runs in: the project's, or with ``--checkout`` a temporary worktree."""
        root = self.location.root
        if not self.options.checkout:
            yield root
            return
        repo = git_toplevel(root)
        if repo is None:
            raise InvalidReproduction(f"--checkout: {root} is not in a git work tree")
        with recorded_worktree(record, repo) as tree:
            yield tree / root.relative_to(repo)

    def _replayed_notebook(self, record: RunRecord, notebook: Path | None, replay_root: Path) -> Path | None:
        """The notebook path the replay kernel runs as; in a worktree, the recorded snapshot stands in."""
        root = self.location.root
        if notebook is None or replay_root == root:
            return notebook
        try:
            moved = replay_root / notebook.relative_to(root)
        except ValueError:
            return notebook
        snapshot = record.text(schema.NOTEBOOK)
        if not moved.exists() and snapshot is not None:
            moved.parent.mkdir(parents=True, exist_ok=True)
            moved.write_text(snapshot, encoding="utf-8")
        return moved

    # -- the kernel ---------------------------------------------------------------------------------
    def _kernel_start(
        self, record: RunRecord, deterministic: bool, kernel_name: str, root: Path, notebook: Path | None
    ) -> tuple[str, dict[str, str]]:
        """The replay kernel's working directory and environment."""
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        env.update(replay_environment(record, deterministic, self.options.tz))
        env.update(
            {
                "MLFLOW_TRACKING_URI": self.location.tracking_uri,
                ROOT_ENV: str(root),
                KERNEL_NAME_ENV: kernel_name,
            }
        )
        if notebook is not None:
            env[SESSION_ENV] = str(notebook)
        cwd = notebook.parent if notebook is not None and notebook.parent.is_dir() else root
        return str(cwd), env

    async def _start_early(
        self, client: MlflowClient, stored: StoredRun, workdir: Path
    ) -> _EarlyKernel | None:
        """The replay kernel started while the record is read and the replay planned (a fresh kernel's start
        is most of a short replay), from the run's tags and ``environment.json``: only after the recorder
        is checked, never for a dry run or ``--checkout``, and used only if the kernel the plan asks for is
        exactly this one (``async_setup_kernel``). Anything wrong here is left to ``_prepare`` to say."""
        options = self.options
        if options.dry_run or options.checkout:
            return None
        try:
            check_recorder(stored.run, options.confirmed)
            environment = await asyncio.to_thread(
                read_json, client, stored.run.info.run_id, schema.ENVIRONMENT, stored.run.info.artifact_uri
            )
            record = RunRecord(
                run=stored.run,
                history=[],
                files=workdir,
                environment=environment if isinstance(environment, dict) else {},
            )
            kernel_name, _ = await asyncio.to_thread(self._choose_kernel, record)
            deterministic = options.deterministic or record.tags.get(schema.DETERMINISTIC) == "true"
            root = self.location.root
            cwd, env = self._kernel_start(record, deterministic, kernel_name, root, _notebook(record, root))
        except Exception:
            return None
        kernel = ReplayKernel(self.launcher, kernel_name)
        return _EarlyKernel(kernel, asyncio.ensure_future(kernel.start(cwd, env)), cwd, env)

    @contextlib.asynccontextmanager
    async def async_setup_kernel(
        self,
        outcome: ReproductionOutcome,
        root: Path,
        notebook: Path | None,
        early: _EarlyKernel | None = None,
    ) -> AsyncIterator[ReplayKernel]:
        """A started replay kernel (``early``'s when it is the one asked for, else a new one; ``early`` is
        this context's to shut down either way); on the way out (a return, an error, a cancellation) it is
        shut down and no run of the reproduction is left RUNNING."""
        reproduction = outcome.reproduction
        deterministic = reproduction.plan.target.deterministic
        cwd, env = self._kernel_start(
            reproduction.original, deterministic, reproduction.kernel_name, root, notebook
        )
        if early is not None and (early.kernel.kernel_name, early.cwd, early.env) == (
            reproduction.kernel_name,
            cwd,
            env,
        ):
            kernel, starting = early.kernel, early.starting
        else:
            if early is not None:
                await early.discard()
            kernel = ReplayKernel(self.launcher, reproduction.kernel_name)
            starting = asyncio.ensure_future(kernel.start(cwd, env))
        reading = asyncio.ensure_future(asyncio.to_thread(outcome.read_ahead))  # while the kernel starts
        reading.add_done_callback(lambda done: done.cancelled() or done.exception())  # raised at the await
        try:
            await starting
            await reading
            yield kernel
        finally:
            await asyncio.wait([reading])  # a thread is not cancelled: it is not left running either
            await kernel.shutdown()
            await asyncio.to_thread(outcome.end_running, schema.KILLED)

    async def _replay(
        self,
        outcome: ReproductionOutcome,
        root: Path,
        notebook: Path | None,
        early: _EarlyKernel | None = None,
    ) -> None:
        reproduction = outcome.reproduction
        try:
            async with self.async_setup_kernel(outcome, root, notebook, early) as kernel:
                if not self._driver_delivers:  # else the replay kernel imports no MLflow (handover.py)
                    await kernel.execute(f"{INKERNEL}.warm()", silent=True)
                found = await self._probe(kernel, reproduction.kernel_name)
                reproduction.drift += environment_drift(reproduction.original, found)
                self.observer.planned(reproduction)
                await kernel.execute('get_ipython().run_line_magic("load_ext", "jupyter_exp")', silent=True)
                await self._replay_steps(outcome, kernel)
        except (KernelDied, TimeoutError) as error:
            await asyncio.to_thread(
                outcome.fail, "the replay kernel", type(error).__name__, str(error), schema.KILLED
            )

    @staticmethod
    async def _probe(kernel: ReplayKernel, kernel_name: str) -> dict[str, Any]:
        """What the replay kernel runs (python, packages, CUDA); a kernel that cannot replay says why."""
        probe = await kernel.execute(f"{INKERNEL}.probe()", silent=True)
        try:
            found = json.loads(probe.stdout()) if probe.status == "ok" else None
        except ValueError:
            found = None
        if not isinstance(found, dict):
            why = (
                f"{probe.ename}: {probe.evalue}" if probe.status != "ok" else "no answer to the replay probe"
            )
            raise InvalidReproduction(
                f"kernel {kernel_name!r} cannot run a replay ({why}); it must be a Python kernel "
                "with jupyter-exp installed"
            )
        return found

    async def _replay_steps(self, outcome: ReproductionOutcome, kernel: ReplayKernel) -> None:
        reproduction, observer = outcome.reproduction, self.observer
        steps, record = reproduction.plan.steps, reproduction.original
        for index, step in enumerate(steps):
            observer.cell_started(index, len(steps), step)
            setup = (
                f"{INKERNEL}.before_cell(states={record.rng_states(step.execution_count)!r}, "
                f"directive={await asyncio.to_thread(self._directive, outcome, step)!r}, "
                f"assign={step.assign!r})"
            )
            prepared = await kernel.execute(setup, silent=True)
            if prepared.status != "ok":
                raise InvalidReproduction(
                    f"cell [{step.execution_count}]: restoring its state failed ({prepared.ename}: {prepared.evalue})"
                )
            try:
                result = await kernel.execute(
                    step.source, cell_id=step.cell_id, timeout=self.options.cell_timeout
                )
            except (KernelDied, TimeoutError) as error:
                raise type(error)(f"{error} while running cell [{step.execution_count}]") from None
            if step.tracked:  # its run is completed after the cell returned: wait before reading it
                settled = await kernel.execute(f"{INKERNEL}.settle()", silent=True)
                if step.target:
                    kernel.close_soon()  # nothing more runs in it: it shuts down while its run is delivered
                await asyncio.to_thread(
                    deliver_handed_over,
                    outcome.client,
                    handed_over(settled.stdout()),
                    kernel.kernel_id,
                    self.location.tracking_uri,
                )
            observer.cell_finished(index, len(steps), step, result)
            if result.status != "ok":
                where = f"cell [{step.execution_count}]"
                await asyncio.to_thread(
                    outcome.fail, where, result.ename, result.evalue, schema.FAILED_STATUS
                )
                return
        reproduction.run_id = await asyncio.to_thread(outcome.find_run)
        if reproduction.run_id is None:
            await asyncio.to_thread(
                outcome.fail,
                "the tracked cell",
                "NoRun",
                "the replayed cell recorded no run",
                schema.FAILED_STATUS,
            )

    @property
    def _driver_delivers(self) -> bool:
        """The replayed run is delivered by this driver from the replay kernel's journal (``handover.py``)."""
        return bool(getattr(self.launcher, "shares_journal", False))

    def _directive(self, outcome: ReproductionOutcome, step: ReplayStep) -> dict[str, Any] | None:
        """What the next ``%%track`` in the replay kernel is asked to do (``inkernel.before_cell``)."""
        if not step.tracked:
            return None
        if not step.target:
            return {"record": False, "seed": step.seed, "deterministic": step.deterministic}
        reproduction = outcome.reproduction
        original, overrides = reproduction.original, reproduction.plan.overrides
        experiment = outcome.destination[1]  # where the reproducer may write (outcome.py)
        note = f"Reproduction of {original.name} ({original.run_id})"
        name = f"{original.name} (reproduced)"
        if overrides:
            note += " with " + "; ".join(o.describe() for o in overrides)
            name = f"{original.name} (varied: {', '.join(f'{o.name}={o.value!r}' for o in overrides)})"
        return {
            "record": True,
            "seed": step.seed,
            "deterministic": step.deterministic,
            "journal_only": self._driver_delivers and not _checkpoints(reproduction.plan.steps),
            "experiment": experiment,
            "name": name,
            "sweep_trial_params": original.tags.get(schema.SWEEP_TRIAL_PARAMS),  # a sweep's trial: FixedTrial
            "digest_algorithm": outcome.digest_algorithm(),  # the record's (an earlier version's: sha256)
            "tags": {
                schema.REPRODUCED_FROM: original.run_id,
                schema.REPRODUCTION_ID: reproduction.reproduction_id,
                schema.NOTE: note,
                **outcome.link_tags(),
            },
        }


def _needs_full_replay(reproduction: Reproduction) -> bool:
    """A slice replay that left cells out and did not come back exact/close (a ``--set`` variation's
    ``varied`` is what it was asked for, not a failed slice)."""
    verdict = reproduction.verdict.verdict if reproduction.verdict is not None else None
    return (
        reproduction.plan.sliced
        and bool(reproduction.plan.sliced_out)
        and verdict not in (None, schema.EXACT, schema.CLOSE, schema.VARIED)
    )


def after_slice_note(after: dict[str, Any], history_size: int) -> str:
    """What the slice replay before this full one found, and whether a cell it left out mattered."""
    cells = ", ".join(f"[{c}]" for c in after["left_out"][:8]) + (
        " ..." if len(after["left_out"]) > 8 else ""
    )
    head = f"the slice replay ({after['cells']} of {history_size} cells) was {after['verdict']}"
    if after["mattered"] and len(after["left_out"]) == 1:
        return f"{head}: the cell it left out, {cells}, mattered"
    if after["mattered"] and isinstance(after.get("bisection"), dict):
        return f"{head}: {describe(after['bisection'], after['left_out'])}"
    if after["mattered"]:
        return f"{head}: a cell it left out mattered (one of {cells})"
    return f"{head}; the full history did not do better: the cells it left out ({cells}) did not matter"


def _relog_document(outcome: ReproductionOutcome) -> None:
    """``reproduction.json`` again: a full replay after a slice adds what the slice found to its summary."""
    reproduction = outcome.reproduction
    if reproduction.run_id is None:
        return
    outcome.client.log_text(
        reproduction.run_id,
        json.dumps(reproduction.document(), indent=1, default=str),
        f"{schema.ARTIFACT_DIR}/{schema.REPRODUCTION}",
    )


def _notebook(record: RunRecord, root: Path) -> Path | None:
    """The recorded notebook's path, resolved under the project root; ``None`` for a path that leads
    elsewhere (absolute outside the root, or through ``..``): a record never chooses where a kernel runs."""
    name = record.tags.get(schema.SOURCE_NAME)
    if not name:
        return None
    base = root.resolve()
    path = (base / name).resolve()  # an absolute name replaces base here, and is checked like the rest
    return path if path.is_relative_to(base) and path != base else None


async def reproduce(
    run_id: str,
    location: StoreLocation,
    options: ReproduceOptions | None = None,
    launcher: KernelLauncher | None = None,
    observer: ReplayObserver | None = None,
) -> Reproduction:
    """Replay run ``run_id`` in a new kernel and verify it; raises ``ReproduceError`` on bad input."""
    return await Replayer(run_id, location, options, launcher, observer).async_run()


def reproduce_blocking(
    run_id: str,
    location: StoreLocation,
    options: ReproduceOptions | None = None,
    observer: ReplayObserver | None = None,
    launcher: KernelLauncher | None = None,
) -> Reproduction:
    """``reproduce`` from synchronous code (``%reproduce``): ``Replayer.run``."""
    return Replayer(run_id, location, options, launcher, observer).run()


def _checkpoints(steps: list[ReplayStep]) -> bool:
    """Whether a replayed cell may log a checkpoint: its LoggedModel needs the store's client in the replay
    kernel (``models/checkpoints.py``), so that run is not handed over to the driver."""
    return any("checkpoint" in step.source for step in steps)
