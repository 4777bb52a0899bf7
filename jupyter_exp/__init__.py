"""jupyter-exp: in-notebook experiment tracking on MLflow.

``%load_ext jupyter_exp`` registers ``%%track``; ``jupyter_exp.log(step=None, **metrics)`` logs
metrics from a tracked cell. Importing this package imports neither MLflow nor the server.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import _active
from ._version import __version__

__all__ = ["__version__", "load_ipython_extension", "log", "unload_ipython_extension"]

_loaded: dict[int, Any] = {}
_warned_untracked = False


def log(step: int | None = None, **metrics: float) -> None:
    """Log metrics of the tracked run at ``step`` without slowing the loop (buffered, batched).

    Outside a ``%%track`` cell it does nothing (after one warning), so a cell runs the same untracked.
    """
    writer = _active.writer
    if writer is not None:
        writer.log(step, **metrics)
        return
    global _warned_untracked
    if not _warned_untracked:
        _warned_untracked = True
        warnings.warn("jupyter_exp.log() outside a %%track cell: nothing is recorded", stacklevel=2)


def runs(experiment: str | None = None, notebook: str | None = None, filter_string: str = "") -> Any:
    """The store's runs as a pandas DataFrame shaped like ``mlflow.search_runs`` (fast on SQLite)."""
    from .runs_table import runs as runs_frame

    return runs_frame(experiment, notebook, filter_string)


def wait_for_runs(timeout: float | None = None) -> bool:
    """Block until the runs of tracked cells that already returned are completely recorded (they are
    completed in the background); False when ``timeout`` seconds ran out first."""
    from .tracking.finisher import wait_for_runs as wait

    return wait(timeout)


def load_ipython_extension(shell: Any) -> None:
    from .capture.notebook import ExecutionHistory
    from .config import JupyterExp
    from .magics import ReproduceMagics, TrackMagics

    settings = JupyterExp(parent=shell)
    shell.configurables.append(settings)
    history = ExecutionHistory()
    history.register(shell)
    magics = [TrackMagics(shell, settings, history), ReproduceMagics(shell, settings)]
    for instance in magics:
        shell.register_magics(instance)
    _loaded[id(shell)] = (settings, history, magics)
    from .tracking.recovery import recover_in_background

    recover_in_background(settings)  # runs earlier kernels on this machine left behind


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext jupyter_exp``: the history hooks, the settings and the magics go."""
    settings, history, magics = _loaded.pop(id(shell), (None, None, []))
    if history is not None:
        history.unregister(shell)
    if settings is not None and settings in shell.configurables:
        shell.configurables.remove(settings)
    manager = shell.magics_manager
    for instance in magics:
        for table in manager.magics.values():
            for name in [n for n, f in table.items() if getattr(f, "__self__", None) is instance]:
                del table[name]
        if manager.registry.get(type(instance).__name__) is instance:
            del manager.registry[type(instance).__name__]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-exp"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server import JupyterExpApp  # only the server imports server/

    return [{"module": "jupyter_exp.server", "app": JupyterExpApp}]
