"""jupyter-exp: in-notebook experiment tracking on MLflow.

``%load_ext jupyter_exp`` registers ``%%track``; ``jupyter_exp.log(step=None, **metrics)`` logs
metrics from a tracked cell. Importing this package imports neither MLflow nor the server.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from jupyter_exp._version import __version__
from jupyter_exp.capture.notebook import ExecutionHistory
from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.track import active as _active
from jupyter_exp.tracking import priority
from jupyter_exp.tracking.recovery import recover_in_background

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from jupyter_exp.models.checkpoints import Checkpoint
    from jupyter_exp.models.resume import Resumed
    from jupyter_exp.query.comparison import Comparison
    from jupyter_exp.query.groups import Group

# Every ``import jupyter_exp.<anything>`` runs this module first (the replay kernel's side, the journal's
# recovery, the server): it imports the features behind its functions inside them, so that importing a
# submodule and ``%load_ext`` stay cheap (tests/unit/test_import_direction.py names the entry points).

__all__ = [
    "__version__",
    "checkpoint",
    "compare",
    "group",
    "load_ipython_extension",
    "log",
    "resume",
    "runs",
    "unload_ipython_extension",
    "wait_for_runs",
]

_loaded: dict[int, Any] = {}
_warned_untracked = False


def log(step: int | None = None, **metrics: float) -> None:
    """Log metrics of the tracked run at ``step`` without slowing the loop (buffered, batched).

    Outside a ``%%track`` cell it does nothing (after one warning), so a cell runs the same untracked.
    """
    writer = _active.writer
    if writer is not None:
        writer.log(step, **metrics)
        hook = _active.on_log  # a sweep's trial: the step goes to Optuna, which may prune here
        if hook is not None:
            hook(step, metrics)
        return
    global _warned_untracked
    if not _warned_untracked:
        _warned_untracked = True
        warnings.warn("jupyter_exp.log() outside a %%track cell: nothing is recorded", stacklevel=2)


_log_through_active = log


def _bind_log(writer: Any) -> None:
    """While a tracked cell runs (not a sweep's trial, whose steps also go to Optuna), ``jupyter_exp.log`` is
    its writer's own ``log``: the caller's cost is one call instead of this module's ``log`` and then the
    writer's (765 -> 475 ns here). ``from jupyter_exp import log`` keeps the function above, which forwards."""
    fast = getattr(writer, "log", None) if _active.on_log is None else None
    globals()["log"] = fast if callable(fast) else _log_through_active


_active.on_writer = _bind_log


def checkpoint(
    model: Any, step: int, optimizer: Any = None, scheduler: Any = None, **metrics: float
) -> Checkpoint:
    """Log a checkpoint of the tracked cell running now: ``model`` (a torch module or a scikit-learn
    estimator; never pickled) with ``optimizer``/``scheduler`` state and the generator states, as an MLflow
    LoggedModel linked to the run at ``step``; ``metrics`` are logged at that step, linked to it. The run
    keeps its last N and best K checkpoints (``%config JupyterExp.checkpoint_keep_last/keep_best``)."""
    from jupyter_exp.models.checkpoints import checkpoint as log_checkpoint

    return log_checkpoint(_settings(), model, step, optimizer, scheduler, **metrics)


def resume(
    ref: str = "best", model: Any = None, optimizer: Any = None, scheduler: Any = None, confirm: bool = False
) -> Resumed:
    """Read a checkpoint back (a model id, ``RUN@STEP``, ``RUN@best`` or ``best``: this kernel's last run's)
    into ``model``/``optimizer``/``scheduler`` (else their state dicts are returned) and put back the
    generator states saved with it. Inside ``%%track`` the run is tagged with the checkpoint it resumed
    from. Another user's checkpoint needs ``confirm=True``."""
    from jupyter_exp.models.resume import resume as resume_from

    recorder = _active.recorder
    client = recorder.client if recorder is not None and recorder.client is not None else None
    settings = _settings()
    return resume_from(client or _client(settings), settings, ref, model, optimizer, scheduler, confirm)


def runs(experiment: str | None = None, notebook: str | None = None, filter_string: str = "") -> Any:
    """The store's runs as a pandas DataFrame shaped like ``mlflow.search_runs`` (fast on SQLite)."""
    from jupyter_exp.query.runs_table import runs as runs_frame

    return runs_frame(experiment, notebook, filter_string)


def _settings() -> JupyterExp:
    """The settings of the loaded extension (``%config JupyterExp...``), else the defaults."""
    return next((settings for settings, _, _ in _loaded.values()), None) or JupyterExp()


def _client(settings: JupyterExp) -> MlflowClient:
    from jupyter_exp.tracking.finisher import wait_for_runs as wait
    from jupyter_exp.tracking.store import client_for

    wait()  # this kernel's last runs are complete before they are compared
    return client_for(resolve_store(settings))


def compare(
    a: Any,
    b: Any,
    *more: Any,
    metrics: list[str] | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    lower_is_better: str | list[str] | None = None,
) -> Comparison:
    """Is ``b`` (and each of ``more``) better than ``a``? Each side is a run id, a group id or ``%%track
    --seeds`` parent (its runs), a ``group(...)``, or a list of runs. Per metric: the difference with a
    bootstrap interval (paired by seed when both sides ran the same seeds), Cohen's d, a permutation test,
    Benjamini-Hochberg across metrics and a verdict. ``lower_is_better``: a regular expression or metric names
    (default: losses, errors, times). Returns a ``Comparison`` (``.to_frame()``, ``.verdict(metric)``)."""
    from jupyter_exp.query.comparison import compare_sides

    settings = _settings()
    pattern = lower_is_better if lower_is_better is not None else (settings.lower_is_better or None)
    return compare_sides(_client(settings), [a, b, *more], metrics, alpha, confidence, pattern)


def group(run_or_params: Any, experiment: str | None = None) -> Group:
    """Runs of one configuration over seeds: a run id gives the finished runs of its experiment whose params
    minus the seed equal its own (a ``%%track --seeds`` parent: its children); a dict of params gives the
    finished runs that have them (they must agree on every other param). One run per seed, the newest."""
    from jupyter_exp.query.groups import group_by_params, group_of_run

    client = _client(_settings())
    if isinstance(run_or_params, dict):
        return group_by_params(client, run_or_params, experiment)
    return group_of_run(client, str(run_or_params))


def wait_for_runs(timeout: float | None = None) -> bool:
    """Block until the runs of tracked cells that already returned are completely recorded (they are
    completed in the background); False when ``timeout`` seconds ran out first."""
    from jupyter_exp.tracking.finisher import wait_for_runs as wait

    return wait(timeout)


def load_ipython_extension(shell: Any) -> None:
    settings = JupyterExp(parent=shell)
    shell.configurables.append(settings)
    from jupyter_exp.ipython.compare_magics import CompareMagics
    from jupyter_exp.ipython.magics import ReproduceMagics, TrackMagics
    from jupyter_exp.ipython.model_magics import ModelMagics

    history = ExecutionHistory(priority.cell_started, priority.cell_ended)  # background work paces by them
    history.register(shell)
    magics = [
        TrackMagics(shell, settings, history),
        ReproduceMagics(shell, settings),
        CompareMagics(shell, settings),
        ModelMagics(shell, settings),
    ]
    for instance in magics:
        shell.register_magics(instance)
    _loaded[id(shell)] = (settings, history, magics)

    recover_in_background(settings)  # runs earlier kernels on this machine left behind


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext jupyter_exp``: the history hooks, the settings and the magics go."""
    settings, history, magics = _loaded.pop(id(shell), (None, None, []))
    if history is not None:
        history.unregister(shell)
        priority.cell_ended()
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
    from jupyter_exp.server import JupyterExpApp  # only the server imports server/

    return [{"module": "jupyter_exp.server", "app": JupyterExpApp}]
