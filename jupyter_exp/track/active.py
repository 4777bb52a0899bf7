"""Process-wide state of the tracked cell running now. No imports.

``writer``: the metric writer of the tracked cell running now (None between tracked cells).
``replay_directive``: what a replay driver asks of the next ``%%track`` cell (set silently before it
by ``jupyter_exp.reproduce.inkernel``; consumed once).
``last_run_id``: the run the last ``%%track`` cell of this process recorded.
``cell`` / ``recorder`` / ``started_s``: the tracked cell running now, its run's recorder and when it began
(``time.perf_counter()``), for ``jupyter_exp.checkpoint()`` (None between tracked cells).
``on_log``: called with ``(step, metrics)`` after each ``jupyter_exp.log`` of the tracked cell running now
(a sweep's trial reports to Optuna; it may raise ``optuna.TrialPruned``); None otherwise.
``sweep_worker``: what a sweep's driver asks of the next ``%%track --sweep`` cell of a worker kernel
(``jupyter_exp.sweep.worker.arm``; consumed once).
``on_writer``: told of each ``use_writer`` (the package root makes the public ``jupyter_exp.log`` the writer's
own ``log`` while a tracked cell runs: the caller then pays one call, not two).
"""

from typing import Any

writer: Any = None
replay_directive: dict[str, Any] | None = None
last_run_id: str | None = None  # the last run a %%track cell recorded in this process (%reproduce last)
cell: Any = None  # the PreparedCell running now
recorder: Any = None  # its RunRecorder
started_s: float = 0.0  # time.perf_counter() when it began
on_log: Any = None  # (step, metrics) -> None, during a sweep's trial
sweep_worker: dict[str, Any] | None = None  # set by a sweep's driver before its cell: run as its worker
on_writer: Any = None  # (writer | None) -> None


def use_writer(new: Any) -> None:
    """Make ``new`` the metric writer of the tracked cell running now (None when it ends)."""
    global writer
    writer = new
    if on_writer is not None:
        on_writer(new)
