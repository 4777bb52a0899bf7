"""Reproduction jobs started from the sidebar: ``reproduce()`` on the server's loop, polled by the browser."""

from __future__ import annotations

import asyncio
import logging
import math
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_exp.capture.cell import parse_key_value
from jupyter_exp.config import JupyterExp, StoreLocation
from jupyter_exp.errors import BadRequest, Conflict, NotFound
from jupyter_exp.query.documents import JobDocument
from jupyter_exp.reproduce.conditions import known_zone
from jupyter_exp.reproduce.errors import ReproduceError
from jupyter_exp.reproduce.group import GroupPlan, plan_group
from jupyter_exp.reproduce.plan import build_plan
from jupyter_exp.reproduce.provenance import check_recorder
from jupyter_exp.reproduce.record import fetch_run, load_record
from jupyter_exp.reproduce.replay import ReplayObserver, ReproduceOptions, reproduce
from jupyter_exp.reproduce.replay_kernel import CellResult, KernelLauncher
from jupyter_exp.tracking.run_ids import resolve_run_id
from jupyter_exp.tracking.store import client_for

MAX_KEPT_JOBS = 100
ENDED = ("finished", "failed", "cancelled")


class JobRequestError(BadRequest):
    """A request body that cannot start a job."""


class JobConflict(Conflict):
    """The job has ended: nothing to cancel."""


class JobNotFound(NotFound):
    """No job with that id on this server."""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _number(body: dict[str, Any], name: str, default: float) -> float:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise JobRequestError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


def options_from(body: Any) -> tuple[str, ReproduceOptions, dict[str, str]]:
    """The run id, replay options and override texts of a ``POST /reproductions`` body."""
    if not isinstance(body, dict):
        raise JobRequestError("the body must be a JSON object")
    run_id = body.get("run_id")
    if not isinstance(run_id, str) or not run_id.strip():
        raise JobRequestError("run_id is required")
    kernel = body.get("kernel")
    if kernel is not None and (not isinstance(kernel, str) or not kernel.strip()):
        raise JobRequestError("kernel must be a kernelspec name or null")
    overrides = body.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise JobRequestError('overrides must be an object, e.g. {"lr": "0.05"}')
    texts = {str(k).strip(): str(v) for k, v in overrides.items()}
    try:
        sets = dict(parse_key_value(f"{k}={v}", "an override") for k, v in texts.items())
    except ValueError as error:
        raise JobRequestError(str(error)) from None
    sliced = body.get("slice")
    if sliced is not None and not isinstance(sliced, bool):
        raise JobRequestError(
            "slice must be true (the tracked cell's slice), false (the full history) or null"
        )
    tz = body.get("tz")
    if tz is not None and (not isinstance(tz, str) or not known_zone(tz)):
        raise JobRequestError(
            f"tz must be a time zone name such as Europe/Paris, 'current' or null, got {str(tz)[:60]!r}"
        )
    options = ReproduceOptions(
        slice=sliced,
        kernel_name=kernel.strip() if kernel else None,
        sets=sets,
        rtol=_number(body, "rtol", 1e-5),
        atol=_number(body, "atol", 1e-8),
        checkout=bool(body.get("checkout", False)),
        deterministic=bool(body.get("deterministic", False)),
        confirmed=body.get("confirm_foreign") is True,  # explicit: the run may be another user's
        tz=tz,
    )
    return run_id.strip(), options, texts


@dataclass
class ReproductionJob:
    run_id: str
    kernel: str | None
    overrides: dict[str, str]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "running"
    done: int = 0
    total: int = 0
    current: str | None = None
    reproduction_run_id: str | None = None
    verdict: str | None = None
    summary: str | None = None
    error: str | None = None
    created: int = field(default_factory=_now_ms)
    ended: int | None = None
    task: asyncio.Task[Any] | None = None

    def document(self) -> JobDocument:
        return {
            "id": self.id,
            "run_id": self.run_id,
            "kernel": self.kernel,
            "overrides": self.overrides,
            "state": self.state,
            "progress": {"done": self.done, "total": self.total, "current": self.current},
            "reproduction_run_id": self.reproduction_run_id,
            "verdict": self.verdict,
            "summary": self.summary,
            "error": self.error,
            "created": self.created,
            "ended": self.ended,
        }

    def end(self, state: str, error: str | None = None) -> None:
        self.state, self.error, self.ended, self.current = state, error, _now_ms(), None


class _JobProgress(ReplayObserver):
    """The job's progress in cells; a seed group's replay is ``parts`` replays of the same cells in turn
    (``part`` is this one), counted as one bar."""

    def __init__(self, job: ReproductionJob, part: int = 0, parts: int = 1, label: str = "") -> None:
        self.job, self.part, self.parts, self.label = job, part, parts, label

    def planned(self, reproduction: Any) -> None:
        self.job.kernel = reproduction.kernel_name
        self.job.total = len(reproduction.plan.steps) * self.parts

    def cell_started(self, index: int, total: int, step: Any) -> None:
        self.job.done, self.job.total = self.part * total + index, total * self.parts
        self.job.current = f"{self.label}{step.label}"

    def cell_finished(self, index: int, total: int, step: Any, result: CellResult) -> None:
        self.job.done = self.part * total + index + 1


def check_request(location: StoreLocation, run_id: str, options: ReproduceOptions, launcher: Any) -> None:
    """Everything that would fail before a kernel starts: unknown run, incomplete record, bad
    override, missing kernelspec. Raises ``ReproduceError`` subclasses."""
    client = client_for(location)
    stored = fetch_run(client, run_id)
    check_recorder(stored.run, options.confirmed)  # before anything of the record is downloaded
    with tempfile.TemporaryDirectory(prefix="jupyter-exp-check-") as folder:
        build_plan(load_record(client, stored, Path(folder)), options.sets)
    if options.kernel_name:
        launcher.check(options.kernel_name)


def _group_plan(location: StoreLocation, run_id: str) -> tuple[str, GroupPlan | None]:
    """The run's full id (a unique prefix of 6+ characters will do) and, for a seed group's parent, its plan."""
    client = client_for(location)
    run_id = resolve_run_id(client, run_id)
    return run_id, plan_group(client, run_id)


class ReproductionJobs:
    """The jobs this server started, newest first; the oldest ended ones are forgotten past a cap."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self._jobs: dict[str, ReproductionJob] = {}
        self.log = log or logging.getLogger(__name__)

    async def start(
        self, body: Any, location: StoreLocation, launcher: KernelLauncher, settings: JupyterExp | None = None
    ) -> ReproductionJob:
        """A job reproducing the run ``body`` names (``settings``: the server's ``c.JupyterExp``)."""
        run_id, options, texts = options_from(body)
        if settings is not None:
            options.bisect_budget_s = settings.bisect_budget_s
        run_id, group = await asyncio.to_thread(_group_plan, location, run_id)
        first = group.children[0].info.run_id if group is not None else run_id  # the children share a cell
        await asyncio.to_thread(check_request, location, first, options, launcher)
        job = ReproductionJob(run_id=run_id, kernel=options.kernel_name, overrides=texts)
        job.task = asyncio.ensure_future(self._run(job, location, options, launcher, group))
        self._jobs[job.id] = job
        self._forget_old()
        return job

    async def _run(
        self,
        job: ReproductionJob,
        location: StoreLocation,
        options: ReproduceOptions,
        launcher: KernelLauncher,
        group: GroupPlan | None = None,
    ) -> None:
        try:
            if group is not None:
                await self._run_group(job, location, options, launcher, group)
                return
            reproduction = await reproduce(job.run_id, location, options, launcher, _JobProgress(job))
        except asyncio.CancelledError:
            job.end("cancelled")
            raise
        except ReproduceError as error:
            job.end("failed", str(error))
            return
        except Exception as error:  # an unexpected failure is logged whole and shown in one line
            self.log.exception("jupyter-exp: reproduction job %s failed", job.id)
            job.end("failed", f"{type(error).__name__}: {error}")
            return
        job.reproduction_run_id = reproduction.run_id
        if reproduction.verdict is not None:
            job.verdict, job.summary = reproduction.verdict.verdict, reproduction.verdict.summary
        job.end("finished")

    async def _run_group(
        self,
        job: ReproductionJob,
        location: StoreLocation,
        options: ReproduceOptions,
        launcher: KernelLauncher,
        group: GroupPlan,
    ) -> None:
        """Each finished child replayed in seed order, as ``%reproduce`` of the parent does; the group's
        verdict is the worst child's."""
        reproductions = []
        for part, (child, seed) in enumerate(zip(group.children, group.seeds, strict=True)):
            progress = _JobProgress(job, part, len(group.children), f"seed {seed}: ")
            reproductions.append(await reproduce(child.info.run_id, location, options, launcher, progress))
        result = group.result(reproductions)
        job.verdict, job.summary = result.verdict, result.summary
        job.end("finished")

    def get(self, job_id: str) -> ReproductionJob:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise JobNotFound(f"no reproduction job {job_id}") from None

    def all(self) -> list[ReproductionJob]:
        return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    async def cancel(self, job_id: str, timeout: float = 30) -> ReproductionJob:
        job = self.get(job_id)
        if job.state in ENDED or job.task is None:
            raise JobConflict(f"job {job_id} has already ended ({job.state})")
        job.task.cancel()
        try:  # the replay kernel is shut down and the started run ended KILLED before we answer
            await asyncio.wait_for(asyncio.shield(job.task), timeout)
        except (asyncio.CancelledError, asyncio.TimeoutError):
            pass
        if job.state not in ENDED:
            job.end("cancelled")
        return job

    async def shutdown(self) -> None:
        """Cancel what still runs (the server is stopping)."""
        running = [j.task for j in self._jobs.values() if j.task is not None and j.state not in ENDED]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def _forget_old(self) -> None:
        ended = [j for j in self.all() if j.state in ENDED]
        for job in ended[MAX_KEPT_JOBS:]:
            del self._jobs[job.id]
