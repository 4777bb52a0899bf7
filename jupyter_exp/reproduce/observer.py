"""What a reproduction tells its watcher as it goes: the magic draws a progress bar, the server keeps job
state. Kept apart from the engine so that views can subclass it without importing it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_exp.reproduce.plan import ReplayStep
    from jupyter_exp.reproduce.replay_kernel import CellResult
    from jupyter_exp.reproduce.reproduction import Reproduction


class ReplayObserver:
    """Progress of a reproduction (every method a no-op here)."""

    def planned(self, reproduction: Reproduction) -> None: ...

    def cell_started(self, index: int, total: int, step: ReplayStep) -> None: ...

    def cell_finished(self, index: int, total: int, step: ReplayStep, result: CellResult) -> None: ...
