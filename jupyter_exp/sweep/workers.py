"""``%%track --sweep NAME --workers N [--gpus 0,1]``: the study's trials run in N worker kernels.

The notebook's kernel drives: it opens the study and its parent run as a sequential sweep does, starts N
kernels with the launcher ``%reproduce`` uses (the notebook kernel's kernelspec; worker k's
``CUDA_VISIBLE_DEVICES`` is the k-th ``--gpus`` device), replays the sweep cell's dependency slice in each
(``worker_setup.py``), and, once every worker is set up, sends each the sweep's cell, which runs there as a
``SweepWorker`` (``worker.py``) until the study holds this execution's trials. Meanwhile it follows the
study: the card and the parent's standings are updated as trials start and end.

A worker that dies has its trial told FAIL and its run ended KILLED with the reason (its journal entry
completed as the stale-run sweep would); the others go on. A worker whose cell fails stops the sweep, as
the error would in one kernel. An interrupt of the notebook's cell interrupts every worker (their trials
end KILLED, Optuna told FAIL, what finished is kept); a second one shuts them down at once.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.kernel import KERNEL_ID_ENV, KERNEL_NAME_ENV
from jupyter_exp.config import ROOT_ENV
from jupyter_exp.errors import JupyterExpError
from jupyter_exp.reproduce.conditions import replay_kernel_name
from jupyter_exp.reproduce.errors import KernelDied, ReproduceError
from jupyter_exp.reproduce.replay import DEFAULT_KERNEL, INKERNEL
from jupyter_exp.reproduce.replay_kernel import KernelLauncher, LocalKernelLauncher, ReplayKernel
from jupyter_exp.sweep import records
from jupyter_exp.sweep.runner import RUN_ATTR, Sweep
from jupyter_exp.sweep.storage import STORAGE_ENV, configured_url
from jupyter_exp.sweep.worker import GPU_ENV, NO_DEVICE, WORKER_ATTR
from jupyter_exp.sweep.worker_setup import WorkerSetup, worker_setup
from jupyter_exp.track.prepared import TrackingError
from jupyter_exp.tracking.completion import complete_journal
from jupyter_exp.tracking.journal import journal_root
from jupyter_exp.tracking.stale import end_killed

POLL_S = 0.5  # how often the driver looks at the study for the card
WORKER = '__import__("jupyter_exp.sweep.worker", fromlist=["_"])'
# not inherited: the worker is a kernel of its own (the launcher names it), outside any MLflow run
DROPPED_ENV = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", KERNEL_ID_ENV)


class WorkerFailed(JupyterExpError):
    """A worker kernel could not run the sweep: a cell of the slice or the sweep's cell failed there."""


@dataclass
class Worker:
    index: int
    device: str | None
    kernel: ReplayKernel
    state: str = "starting"  # setting up, running, finished, died, stopped, failed
    kernel_id: str = ""
    pid: int | None = None
    error: str = ""

    def label(self) -> str:
        where = f"pid {self.pid}" if self.pid else "not started"
        return f"worker {self.index} ({where}, device {self.device or NO_DEVICE})"


class ParallelSweep(Sweep):
    def __init__(self, *args: Any, launcher: KernelLauncher | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.launcher = launcher or LocalKernelLauncher()
        self.workers: list[Worker] = []
        self.stopping = False
        self._seen: tuple[Any, ...] = ()

    def prepare(self) -> None:
        super().prepare()
        self.kernel_name = replay_kernel_name(None) or DEFAULT_KERNEL
        try:
            self.launcher.check(self.kernel_name)
        except ReproduceError as error:
            raise TrackingError(f"--workers: {error}") from None
        history = self._probe.history
        if history is None or history.current is None:
            raise TrackingError("--workers: this kernel's history is not recorded (%load_ext jupyter_exp)")
        self.setup: WorkerSetup = worker_setup(history.frozen())

    # -- the notebook's side: run the pool, follow the study -----------------------------------------
    def _trials(self) -> None:
        __tracebackhide__ = True
        self.until = len(self.study.get_trials(deepcopy=False)) + self.options.trials
        devices = self.options.devices or (None,) * self.options.workers
        self.workers = [
            Worker(index, device, ReplayKernel(self.launcher, self.kernel_name))
            for index, device in enumerate(devices)
        ]
        self._follow(self._run_pool())
        done = len(self.study.get_trials(deepcopy=False))
        failed = [w for w in self.workers if w.state == "failed"]
        if failed:
            raise WorkerFailed(f"sweep {self.options.name}: {failed[0].label()}: {failed[0].error}")
        if done < self.until:
            lost = "; ".join(f"{w.label()} {w.state}" for w in self.workers)
            raise WorkerFailed(
                f"sweep {self.options.name}: {done - self.until + self.options.trials} of "
                f"{self.options.trials} trials ran ({lost})"
            )

    def _run_pool(self) -> tuple[threading.Event, asyncio.AbstractEventLoop, dict[str, Any]]:
        """The workers' event loop on a thread of its own (this cell already runs inside one); the event
        is set when it is done (not ``Thread.join``: an interrupt inside it can make ``is_alive()`` lie)."""
        loop = asyncio.new_event_loop()
        result: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            asyncio.set_event_loop(loop)
            result["task"] = task = loop.create_task(self._drive())
            try:
                loop.run_until_complete(task)
            except BaseException as error:
                result["error"] = error
            finally:
                loop.close()
                done.set()

        threading.Thread(target=work, name="jupyter-exp-sweep-workers", daemon=True).start()
        return done, loop, result

    def _follow(self, pool: tuple[threading.Event, asyncio.AbstractEventLoop, dict[str, Any]]) -> None:
        """Update the card until the workers are done. A first interrupt interrupts the workers and waits
        for their trials to end; a second one shuts them down at once."""
        __tracebackhide__ = True
        done, loop, result = pool
        interrupted = False
        while not done.is_set():
            try:
                done.wait(POLL_S)
                self._progress()
            except KeyboardInterrupt:
                if interrupted and "task" in result:
                    loop.call_soon_threadsafe(result["task"].cancel)
                    done.wait()
                    raise
                interrupted = True
                print(
                    f"[jupyter-exp] sweep {self.options.name}: interrupting the workers "
                    "(interrupt again to shut them down now)",
                    file=sys.stderr,
                )
                try:
                    loop.call_soon_threadsafe(lambda: loop.create_task(self._stop()))
                except RuntimeError:  # the loop has just closed: nothing left to stop
                    pass
        self._progress()
        if "error" in result:
            raise result["error"]
        if interrupted:
            raise KeyboardInterrupt

    def _progress(self) -> None:
        """The card and the parent's standings, when a trial or a worker changed."""
        trials = self.study.get_trials(deepcopy=False)
        seen = (tuple((t.number, t.state) for t in trials), tuple(w.state for w in self.workers))
        if seen == self._seen:
            return
        self._seen = seen
        result = self._update_parent()
        self.observer.workers(self, result, worker_lines(trials, self.workers))

    # -- the workers' event loop --------------------------------------------------------------------
    async def _drive(self) -> None:
        try:
            await asyncio.gather(*(self._phase(w, self._set_up) for w in self.workers))
            await asyncio.gather(*(self._phase(w, self._run_trials) for w in self.workers))
        finally:
            await asyncio.gather(*(w.kernel.shutdown() for w in self.workers))

    async def _phase(self, worker: Worker, work: Any) -> None:
        if worker.state in ("died", "failed", "stopped"):
            return
        try:
            await work(worker)
        except KernelDied:
            worker.state = "died"
            await asyncio.to_thread(self._worker_died, worker)
        except Exception as error:  # a kernel that did not start, a cell of the slice that failed
            worker.state, worker.error = ("stopped", "") if self.stopping else ("failed", str(error))
            await self._stop()

    async def _set_up(self, worker: Worker) -> None:
        await worker.kernel.start(os.getcwd(), self._env(worker))
        manager = worker.kernel.manager
        worker.kernel_id = str(getattr(manager, "kernel_id", "") or "")
        worker.pid = getattr(getattr(manager, "provisioner", None), "pid", None)
        worker.state = "setting up"
        await self._silent(worker, 'get_ipython().run_line_magic("load_ext", "jupyter_exp")')
        for step in self.setup.steps:
            if self.stopping:
                worker.state = "stopped"
                return
            await self._before(worker, step.execution_count, self.setup.directive(step))
            done = await worker.kernel.execute(step.source, cell_id=step.cell_id)
            if done.status != "ok":
                raise WorkerFailed(
                    f"replaying cell [{step.execution_count}] failed ({done.ename}: {done.evalue})"
                )

    async def _run_trials(self, worker: Worker) -> None:
        if self.stopping:
            worker.state = "stopped"
            return
        target = self.setup.plan.target
        await self._before(worker, target.execution_count, None)
        directive = {
            "parent": self.run_id,
            "study": self.study_name,
            "until": self.until,
            "worker": worker.index,
        }
        await self._silent(worker, f"{WORKER}.arm({directive!r})")
        worker.state = "running"
        done = await worker.kernel.execute(target.source, cell_id=target.cell_id)
        await self._silent(worker, f"{INKERNEL}.settle()")  # its runs completely recorded
        if done.status == "ok":
            worker.state = "finished"
        elif self.stopping and done.ename == "KeyboardInterrupt":
            worker.state = "stopped"
        else:
            worker.state, worker.error = "failed", f"{done.ename}: {done.evalue}"
            await self._stop()

    async def _before(self, worker: Worker, count: int, directive: dict[str, Any] | None) -> None:
        """The generator states recorded before the original cell, put back as a replay does."""
        states = self.setup.states.get(count)
        await self._silent(worker, f"{INKERNEL}.before_cell(states={states!r}, directive={directive!r})")

    @staticmethod
    async def _silent(worker: Worker, code: str) -> None:
        done = await worker.kernel.execute(code, silent=True)
        if done.status != "ok":
            raise WorkerFailed(f"{done.ename}: {done.evalue}")

    async def _stop(self) -> None:
        """Interrupt every worker still at work (once)."""
        if self.stopping:
            return
        self.stopping = True
        for worker in self.workers:
            manager = worker.kernel.manager
            if manager is not None and worker.state in ("setting up", "running"):
                try:
                    await manager.interrupt_kernel()
                except Exception:  # gone meanwhile: its own phase says so
                    pass

    def _env(self, worker: Worker) -> dict[str, str]:
        """The notebook kernel's environment (the notebook's path, the store, the hash seed), for a
        kernel of its own; with ``--gpus``, its device."""
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        env.update(
            {
                "MLFLOW_TRACKING_URI": self.location.tracking_uri,
                ROOT_ENV: str(self.location.root),
                KERNEL_NAME_ENV: self.kernel_name,
            }
        )
        storage = configured_url(self.settings.sweep_storage)
        if storage:  # whatever the slice they replay holds (a %config line is kept in it), the driver's study
            env[STORAGE_ENV] = storage
        if worker.device is not None:
            env[GPU_ENV] = worker.device
        return env

    # -- a worker that died -------------------------------------------------------------------------
    def _worker_died(self, worker: Worker) -> None:
        """Its runs completed from the journal and ended KILLED with the reason; its trial told FAIL."""
        from mlflow.entities import RunTag
        from optuna.trial import TrialState

        reason = f"its sweep worker kernel died ({worker.label()})"
        if worker.kernel_id:
            complete_journal(
                journal_root(self.location, self.settings.journal_dir),
                lambda _uri: self.client,
                "the sweep's driver",
                self.location.tracking_uri,
                kernel_id=worker.kernel_id,
                killed_reason=reason,
            )
        for frozen in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if frozen.user_attrs.get(WORKER_ATTR) != worker.index:
                continue
            self.study.tell(frozen.number, state=TrialState.FAIL, skip_if_finished=True)
            run_id = frozen.user_attrs.get(RUN_ATTR)
            if not run_id:
                continue
            tags = records.trial_tags(self.options.name, frozen.number, frozen.params, "FAIL", None)
            try:
                self.client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()])
                if self.client.get_run(run_id).info.status == schema.RUNNING:
                    end_killed(self.client, run_id, reason)
            except Exception:  # the stale-run sweep ends it later
                pass


def worker_lines(trials: list[Any], workers: list[Worker]) -> list[str]:
    """One line a worker: its state and its trials done/running/pruned/failed."""
    counts: dict[int, Counter[str]] = {w.index: Counter() for w in workers}
    for trial in trials:
        index = trial.user_attrs.get(WORKER_ATTR)
        if index in counts:
            counts[index][trial.state.name] += 1
    lines = []
    for worker in workers:
        seen = counts[worker.index]
        lines.append(
            f"{worker.label()}: {worker.state}; done={seen['COMPLETE']} running={seen['RUNNING']} "
            f"pruned={seen['PRUNED']} failed={seen['FAIL']}"
        )
    return lines
