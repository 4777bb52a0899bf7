"""The replay engine: a recorded run -> a fresh kernel -> a new run -> a verdict.

Framework-free and async: ``%reproduce`` runs it on a thread of its own (``reproduce_blocking``);
the server runs it on its event loop with its own kernel manager. Whatever happens (a failing cell,
a dead kernel, an interrupt), the replay kernel is shut down and no run is left RUNNING.
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
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import record_schema as schema
from ..capture.kernel import KERNEL_ID_ENV, KERNEL_NAME_ENV
from ..capture.notebook import SESSION_ENV
from ..config import ROOT_ENV, StoreLocation, git_toplevel
from .conditions import replay_environment
from .drift import (
    Drift,
    changed_inputs,
    environment_drift,
    git_drift,
    hashseed_drift,
    inputs_drift,
    notebook_drift,
    replay_drift,
)
from .errors import KernelDied, ReproduceError
from .observer import ReplayObserver
from .plan import ReplayPlan, ReplayStep, build_plan, vary_seed
from .provenance import check_recorder
from .record import ARTIFACT_DIR, RunRecord, load_record, read_produced
from .replay_kernel import KernelLauncher, LocalKernelLauncher, ReplayKernel
from .verify import Tolerance, Verdict, explain_inputs, failed_verdict, verdict_from
from .worktree import recorded_worktree

DEFAULT_KERNEL = "python3"
INKERNEL = '__import__("jupyter_exp.reproduce.inkernel", fromlist=["_"])'
DROPPED_ENV = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", SESSION_ENV, KERNEL_ID_ENV)


@dataclass
class ReproduceOptions:
    kernel_name: str | None = None
    sets: dict[str, Any] = field(default_factory=dict)
    rtol: float = 1e-5
    atol: float = 1e-8
    checkout: bool = False
    dry_run: bool = False
    deterministic: bool = False
    cell_timeout: float | None = None
    confirmed: bool = False  # the caller confirmed running code another user recorded
    seed: int | None = None  # replay with this seed instead of the recorded one (a variation, as --set)


@dataclass
class Reproduction:
    """What a reproduction planned, found and concluded; shown by the magic and the server."""

    original: RunRecord
    plan: ReplayPlan
    kernel_name: str
    options: ReproduceOptions
    reproduction_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    drift: list[Drift] = field(default_factory=list)
    run_id: str | None = None
    verdict: Verdict | None = None
    duration_s: float = 0.0

    @property
    def original_id(self) -> str:
        return self.original.run_id

    def document(self) -> dict[str, Any]:
        """``reproduction.json``."""
        verdict = self.verdict.document() if self.verdict is not None else {}
        return {
            **verdict,
            "original_run_id": self.original_id,
            "reproduction_run_id": self.run_id,
            "kernel": self.kernel_name,
            "checkout": self.options.checkout,
            "drift": [d.row() for d in self.drift],
            "skipped": [
                {"execution_count": s.execution_count, "reason": s.reason} for s in self.plan.skipped
            ],
            "replayed": [s.execution_count for s in self.plan.steps],
            "duration_s": round(self.duration_s, 3),
        }


async def reproduce(
    run_id: str,
    location: StoreLocation,
    options: ReproduceOptions | None = None,
    launcher: KernelLauncher | None = None,
    observer: ReplayObserver | None = None,
) -> Reproduction:
    """Replay run ``run_id`` in a new kernel and verify it; raises ``ReproduceError`` on bad input."""
    from ..tracking.store import StoreError, client_for

    options = options or ReproduceOptions()
    launcher = launcher or LocalKernelLauncher()
    observer = observer or ReplayObserver()
    started = time.perf_counter()
    try:
        client = await asyncio.to_thread(client_for, location)
    except StoreError as error:
        raise ReproduceError(str(error)) from None
    workdir = Path(tempfile.mkdtemp(prefix="jupyter-exp-reproduce-"))
    try:  # store and git work runs on threads: a server's event loop must not wait on it
        reproduction, notebook = await asyncio.to_thread(
            _prepare, client, run_id, location, options, launcher, workdir
        )
        with _replay_root(reproduction.original, location, options.checkout) as root:
            replayed_notebook = _replayed_notebook(reproduction.original, notebook, location.root, root)
            reproduction.drift += await asyncio.to_thread(inputs_drift, reproduction.original, root)
            await _run(reproduction, client, location, root, replayed_notebook, launcher, observer)
        reproduction.duration_s = time.perf_counter() - started
        if not options.dry_run:
            await asyncio.to_thread(_write_verdict, reproduction, client)
        return reproduction
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _prepare(
    client: Any,
    run_id: str,
    location: StoreLocation,
    options: ReproduceOptions,
    launcher: KernelLauncher,
    workdir: Path,
) -> tuple[Reproduction, Path | None]:
    """Read the record, choose the kernel, plan the replay and list what drifted since the run."""
    record = load_record(client, run_id, workdir)
    if not options.dry_run:
        check_recorder(record, options.confirmed)
    kernel_name, kernel_drift = _choose_kernel(record, options, launcher)
    plan = build_plan(record, options.sets)
    if options.deterministic:
        plan.target.deterministic = True
    if options.seed is not None:
        vary_seed(plan, options.seed)
    reproduction = Reproduction(record, plan, kernel_name, options)
    notebook = _notebook(record, location.root)
    reproduction.drift = [
        *kernel_drift,
        *git_drift(record, location.root, options.checkout),
        *notebook_drift(record, notebook),
        *replay_drift(plan),
        *hashseed_drift(record),
    ]
    return reproduction, notebook


def _choose_kernel(
    record: RunRecord, options: ReproduceOptions, launcher: KernelLauncher
) -> tuple[str, list[Drift]]:
    if options.kernel_name:
        launcher.check(options.kernel_name)
        recorded = record.tags.get(schema.KERNEL_NAME)
        if recorded and recorded != options.kernel_name:
            return options.kernel_name, [Drift("kernel", recorded, options.kernel_name)]
        return options.kernel_name, []
    recorded = record.tags.get(schema.KERNEL_NAME) or DEFAULT_KERNEL
    try:
        launcher.check(recorded)
        return recorded, []
    except ReproduceError:
        launcher.check(DEFAULT_KERNEL)
        return DEFAULT_KERNEL, [
            Drift("kernel", recorded, f"not installed here: {DEFAULT_KERNEL} (pass --kernel)")
        ]


def _notebook(record: RunRecord, root: Path) -> Path | None:
    name = record.tags.get(schema.SOURCE_NAME)
    if not name:
        return None
    path = Path(name)
    return path if path.is_absolute() else root / path


@contextlib.contextmanager
def _replay_root(record: RunRecord, location: StoreLocation, checkout: bool) -> Any:
    if not checkout:
        yield location.root
        return
    repo = git_toplevel(location.root)
    if repo is None:
        raise ReproduceError(f"--checkout: {location.root} is not in a git work tree")
    with recorded_worktree(record, repo) as tree:
        yield tree / location.root.relative_to(repo)


def _replayed_notebook(
    record: RunRecord, notebook: Path | None, root: Path, replay_root: Path
) -> Path | None:
    """The notebook path the replay kernel runs as; in a worktree, the recorded snapshot stands in."""
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


def _kernel_env(
    location: StoreLocation, root: Path, notebook: Path | None, reproduction: Reproduction
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(replay_environment(reproduction.original, reproduction.plan.target.deterministic))
    env.update(
        {
            "MLFLOW_TRACKING_URI": location.tracking_uri,
            ROOT_ENV: str(root),
            KERNEL_NAME_ENV: reproduction.kernel_name,
        }
    )
    if notebook is not None:
        env[SESSION_ENV] = str(notebook)
    return env


async def _run(
    reproduction: Reproduction,
    client: Any,
    location: StoreLocation,
    root: Path,
    notebook: Path | None,
    launcher: KernelLauncher,
    observer: ReplayObserver,
) -> None:
    cwd = notebook.parent if notebook is not None and notebook.parent.is_dir() else root
    kernel = ReplayKernel(launcher, reproduction.kernel_name)
    try:
        await kernel.start(str(cwd), _kernel_env(location, root, notebook, reproduction))
        probe = await kernel.execute(f"{INKERNEL}.probe()", silent=True)
        try:
            found = json.loads(probe.stdout()) if probe.status == "ok" else None
        except ValueError:
            found = None
        if not isinstance(found, dict):
            why = (
                f"{probe.ename}: {probe.evalue}" if probe.status != "ok" else "no answer to the replay probe"
            )
            raise ReproduceError(
                f"kernel {reproduction.kernel_name!r} cannot run a replay ({why}); it must be a Python kernel "
                "with jupyter-exp installed"
            )
        reproduction.drift += environment_drift(reproduction.original, found)
        observer.planned(reproduction)
        if reproduction.options.dry_run:
            return
        await kernel.execute('get_ipython().run_line_magic("load_ext", "jupyter_exp")', silent=True)
        await _replay_steps(reproduction, client, kernel, observer)
    except (KernelDied, TimeoutError) as error:
        await asyncio.to_thread(
            _fail, reproduction, client, "the replay kernel", type(error).__name__, str(error), "KILLED"
        )
    finally:
        await kernel.shutdown()
        if not reproduction.options.dry_run:
            await asyncio.to_thread(_end_running, reproduction, client, "KILLED")


async def _replay_steps(
    reproduction: Reproduction, client: Any, kernel: ReplayKernel, observer: ReplayObserver
) -> None:
    steps, record = reproduction.plan.steps, reproduction.original
    for index, step in enumerate(steps):
        observer.cell_started(index, len(steps), step)
        setup = (
            f"{INKERNEL}.before_cell(states={record.rng_states(step.execution_count)!r}, "
            f"directive={await asyncio.to_thread(_directive, reproduction, step, client)!r}, "
            f"assign={step.assign!r})"
        )
        prepared = await kernel.execute(setup, silent=True)
        if prepared.status != "ok":
            raise ReproduceError(
                f"cell [{step.execution_count}]: restoring its state failed ({prepared.ename}: {prepared.evalue})"
            )
        try:
            result = await kernel.execute(
                step.source, cell_id=step.cell_id, timeout=reproduction.options.cell_timeout
            )
        except (KernelDied, TimeoutError) as error:
            raise type(error)(f"{error} while running cell [{step.execution_count}]") from None
        if step.tracked:  # its run is completed after the cell returned: wait before reading it
            await kernel.execute(f"{INKERNEL}.settle()", silent=True)
        observer.cell_finished(index, len(steps), step, result)
        if result.status != "ok":
            await asyncio.to_thread(
                _fail,
                reproduction,
                client,
                f"cell [{step.execution_count}]",
                result.ename,
                result.evalue,
                "FAILED",
            )
            return
    reproduction.run_id = await asyncio.to_thread(_find_run, reproduction, client)
    if reproduction.run_id is None:
        await asyncio.to_thread(
            _fail,
            reproduction,
            client,
            "the tracked cell",
            "NoRun",
            "the replayed cell recorded no run",
            "FAILED",
        )


def _directive(reproduction: Reproduction, step: ReplayStep, client: Any) -> dict[str, Any] | None:
    if not step.tracked:
        return None
    if not step.target:
        return {"record": False, "seed": step.seed, "deterministic": step.deterministic}
    original = reproduction.original
    experiment = client.get_experiment(original.run.info.experiment_id).name
    note = f"Reproduction of {original.name} ({original.run_id})"
    name = f"{original.name} (reproduced)"
    if reproduction.plan.overrides:
        note += " with " + "; ".join(o.describe() for o in reproduction.plan.overrides)
        name = f"{original.name} (varied: {', '.join(f'{o.name}={o.value!r}' for o in reproduction.plan.overrides)})"
    return {
        "record": True,
        "seed": step.seed,
        "deterministic": step.deterministic,
        "experiment": experiment,
        "name": name,
        "tags": {
            schema.REPRODUCED_FROM: original.run_id,
            schema.REPRODUCTION_ID: reproduction.reproduction_id,
            schema.NOTE: note,
        },
    }


def _runs_of(reproduction: Reproduction, client: Any, status: str | None = None) -> list[Any]:
    query = f"tags.`{schema.REPRODUCTION_ID}` = '{reproduction.reproduction_id}'"
    if status:
        query += f" and attributes.status = '{status}'"
    return client.search_runs([reproduction.original.run.info.experiment_id], query)


def _find_run(reproduction: Reproduction, client: Any) -> str | None:
    runs = _runs_of(reproduction, client)
    return runs[0].info.run_id if runs else None


def _end_running(reproduction: Reproduction, client: Any, status: str) -> None:
    for run in _runs_of(reproduction, client, "RUNNING"):
        client.set_terminated(run.info.run_id, status)


def _fail(reproduction: Reproduction, client: Any, where: str, ename: str, evalue: str, status: str) -> None:
    """A replay that raised: the verdict goes on the reproduced run if it started, else on a new one."""
    overrides = [o.describe() for o in reproduction.plan.overrides]
    tolerance = Tolerance(reproduction.options.rtol, reproduction.options.atol)
    reproduction.verdict = failed_verdict(where, ename, evalue, tolerance, overrides)
    reproduction.run_id = _find_run(reproduction, client)
    if reproduction.run_id is not None:
        _end_running(reproduction, client, status)
        return
    original = reproduction.original
    run = client.create_run(
        original.run.info.experiment_id,
        run_name=f"{original.name} (reproduced)",
        tags={
            schema.REPRODUCED_FROM: original.run_id,
            schema.REPRODUCTION_ID: reproduction.reproduction_id,
            schema.SOURCE_TYPE: schema.SOURCE_TYPE_NOTEBOOK,
            schema.SOURCE_NAME: original.tags.get(schema.SOURCE_NAME, ""),
            schema.KERNEL_NAME: reproduction.kernel_name,
        },
    )
    client.set_terminated(run.info.run_id, "FAILED")
    reproduction.run_id = run.info.run_id


def _write_verdict(reproduction: Reproduction, client: Any) -> None:
    if reproduction.run_id is None:
        return  # the replay recorded no run: nothing to compare, nothing to write on
    if reproduction.verdict is None:
        tolerance = Tolerance(reproduction.options.rtol, reproduction.options.atol)
        reproduction.verdict = verdict_from(
            read_produced(client, reproduction.original_id),
            read_produced(client, reproduction.run_id),
            tolerance,
            [o.describe() for o in reproduction.plan.overrides],
        )
    explain_inputs(reproduction.verdict, changed_inputs(reproduction.drift))
    if reproduction.run_id is None:
        return
    client.log_text(
        reproduction.run_id,
        json.dumps(reproduction.document(), indent=1, default=str),
        f"{ARTIFACT_DIR}/{schema.REPRODUCTION}",
    )
    client.set_tag(reproduction.run_id, schema.REPRODUCTION_VERDICT, reproduction.verdict.verdict)


def reproduce_blocking(
    run_id: str,
    location: StoreLocation,
    options: ReproduceOptions | None = None,
    observer: ReplayObserver | None = None,
    launcher: KernelLauncher | None = None,
) -> Reproduction:
    """Run ``reproduce`` on a thread with its own event loop (a kernel's cell already runs inside one).

    Ctrl-C / interrupting the kernel cancels the replay: its kernel is shut down and its run ended
    KILLED before ``KeyboardInterrupt`` reaches the caller.
    """
    loop = asyncio.new_event_loop()
    outcome: dict[str, Any] = {}

    def work() -> None:
        asyncio.set_event_loop(loop)
        task = loop.create_task(reproduce(run_id, location, options, launcher, observer))
        outcome["task"] = task
        try:
            outcome["value"] = loop.run_until_complete(task)
        except BaseException as error:
            outcome["error"] = error
        finally:
            loop.close()

    thread = threading.Thread(target=work, name="jupyter-exp-replay", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        while "task" not in outcome and thread.is_alive():
            time.sleep(0.01)
        if "task" in outcome:
            loop.call_soon_threadsafe(outcome["task"].cancel)
        thread.join()
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
