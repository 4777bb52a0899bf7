"""A sweep's worker kernel (``--workers N``): its side of the sweep.

The driver (``workers.py``) replays the notebook's slice in the worker, calls ``arm`` silently, then sends
the ``%%track --sweep`` cell itself: the magic sees the directive and runs a ``SweepWorker`` instead of a
sweep of its own. It takes trials from the shared study (the driver's parent run, no parent of its own)
until the study holds the driver's count; each is a complete child run recorded by this kernel, tagged
with the worker's index and device. Claiming a trial (count, then ``ask``) happens under a file lock
beside the study's journal, so that N workers never make more trials than asked for.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.sweep import records
from jupyter_exp.sweep.runner import Sweep
from jupyter_exp.track import active as _active
from jupyter_exp.track.prepared import TrackingError

NO_DEVICE, GPU_ENV = schema.SWEEP_NO_DEVICE, schema.GPU_ENV
WORKER_ATTR = "jupyter_exp.worker"  # a trial's user attribute: the index of the worker that runs it


def arm(directive: dict[str, Any]) -> None:
    """Called by the driver before it sends the sweep's cell: the cell runs as this worker."""
    _active.sweep_worker = directive


@contextlib.contextmanager
def claim_lock(journal_path: Path) -> Iterator[None]:
    """An OS lock beside the study's journal (released by a dead process too), held while claiming."""
    fd = os.open(journal_path.parent / "claim.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class SweepWorker(Sweep):
    """The trials of one worker kernel: the driver's study and parent run, until the study holds
    ``until`` trials. The driver keeps the parent run (its standings, its end)."""

    def __init__(self, *args: Any, directive: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directive = directive
        self.index = int(directive["worker"])
        self.until = int(directive["until"])
        self.trial_tags = {
            schema.SWEEP_WORKER: str(self.index),
            schema.SWEEP_DEVICE: os.environ.get(GPU_ENV) or NO_DEVICE,  # as this kernel was started
        }

    def run(self) -> Any:
        __tracebackhide__ = True
        import optuna

        seed = self.options.seed
        self._open_study(None if seed is None else seed + self.index)  # workers draw differently
        if self.study_name != self.directive.get("study"):
            raise TrackingError(
                f"sweep worker {self.index}: this kernel's study {self.study_name!r} is not the driver's "
                f"{self.directive.get('study')!r} (another store or experiment)"
            )
        self.run_id = str(self.directive["parent"])
        value = None
        try:
            while (trial := self._claim()) is not None:
                value = self._run_trial(optuna, trial)
        finally:
            _active.on_log = None
        return value

    def _claim(self) -> Any:
        """The next trial, or None once the study holds the driver's count."""
        with claim_lock(self.journal_path):
            if len(self.study.get_trials(deepcopy=False)) >= self.until:
                return None
            trial = self.study.ask()
            trial.set_user_attr(WORKER_ATTR, self.index)
        return trial

    def _update_parent(self) -> records.Standings:
        """The standings only: the driver writes the parent's."""
        return records.standings(self.study.get_trials(deepcopy=False), self.options.direction)
