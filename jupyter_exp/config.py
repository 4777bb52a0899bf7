"""The one place that resolves where runs are stored and which defaults apply.

Resolution order for the tracking URI (docs/run-record.md, "Where"):
``MLFLOW_TRACKING_URI`` > configured value (``%config JupyterExp.tracking_uri``, Jupyter config)
> ``sqlite:///<root>/mlflow.db``. The root is the directory the Jupyter server serves (exported to its
kernels as ``JUPYTER_EXP_ROOT`` by the server extension), else the git work tree of the working
directory, else the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from traitlets import Bool, Float, Int, Unicode
from traitlets.config import Configurable

ROOT_ENV = "JUPYTER_EXP_ROOT"
DB_NAME = "mlflow.db"
ARTIFACTS_DIR = "mlartifacts"


# settings of the server's sweep for runs of dead kernels: c.JupyterExpApp.*, and (deprecated, with a
# warning) c.JupyterExp.*, where they were first
DEPRECATED_SETTINGS = ("reaper_interval_s", "stale_after_s")
BISECT_BUDGET_S = 120.0  # JupyterExp.bisect_budget_s's default (reproduce/bisect.py)


def sweep_traits() -> tuple[Float[float, int | float], Float[float, int | float]]:
    """``reaper_interval_s`` and ``stale_after_s``, new traits for each class that has them."""
    return (
        Float(
            10.0,
            help="Seconds between sweeps for runs of dead kernels and stale heartbeats (0 turns it off).",
        ).tag(config=True),
        Float(
            300.0,
            help="A RUNNING run whose heartbeat is older than this, of a kernel this server does not run, "
            "is ended (completed from the journal, else KILLED).",
        ).tag(config=True),
    )


class JupyterExp(Configurable):
    """Settings of jupyter-exp; change them with ``%config JupyterExp.<name> = value``."""

    tracking_uri = Unicode(
        "",
        help="MLflow tracking URI, used when MLFLOW_TRACKING_URI is not set (that variable wins). "
        "Empty: sqlite:///<root>/mlflow.db.",
    ).tag(config=True)
    root = Unicode(
        "",
        help="Project root holding the default store. Empty: the Jupyter server root, else the git "
        "work tree of the working directory, else the working directory.",
    ).tag(config=True)
    default_experiment = Unicode(
        "",
        help="Experiment for runs without --experiment. Empty: the notebook's path relative to the root, "
        "else 'Default'.",
    ).tag(config=True)
    notebook_path = Unicode(
        "", help="Path of the notebook when the kernel cannot tell (no __session__ / JPY_SESSION_NAME)."
    ).tag(config=True)
    snapshot = Bool(True, help="Save a snapshot of the notebook file with every run.").tag(config=True)
    requirements = Bool(True, help="Save the full list of installed distributions.").tag(config=True)
    max_diff_bytes = Int(1_000_000, help="Cap on the saved git diff, in bytes.").tag(config=True)
    max_output_bytes = Int(1_000_000, help="Cap on the saved text outputs of a cell, in bytes.").tag(
        config=True
    )
    max_params = Int(
        1000,
        min=1,
        help="Cap on the params logged from one cell (seed and --param first, then in capture order); "
        "what is cut is named in jupyter_exp.record.incomplete and on the card, and stays in config.json.",
    ).tag(config=True)
    quiet = Bool(False, help="Do not show the inline run card.").tag(config=True)
    finish_in_background = Bool(
        True,
        help="Complete a run (drain metrics, upload artifacts, set its status) on a background thread once "
        "its cell returned, so the kernel is free at once. Off: the cell waits for it.",
    ).tag(config=True)
    journal_dir = Unicode(
        "",
        help="Folder of the local journal (what runs still need to reach the store). Empty: "
        "JUPYTER_EXP_JOURNAL_DIR, else .jupyter-exp-journal next to a SQLite store, else the user's data folder.",
    ).tag(config=True)
    lower_is_better = Unicode(
        "",
        help="Regular expression: metrics whose name it matches are better when lower (compare, %compare). "
        "Empty: losses, errors, perplexity, times and memory.",
    ).tag(config=True)
    checkpoint_keep_last = Int(
        3, help="jupyter_exp.checkpoint(): keep the run's last N checkpoints (0: keep every one)."
    ).tag(config=True)
    checkpoint_keep_best = Int(
        1, help="jupyter_exp.checkpoint(): also keep the run's best K by its objective metric."
    ).tag(config=True)
    objective = Unicode(
        "",
        help="The metric checkpoints are ranked by (best, keep_best, the sidebar). Empty: the first metric "
        "given to jupyter_exp.checkpoint(); its direction follows lower_is_better.",
    ).tag(config=True)
    promotion_alias = Unicode(
        "champion",
        help="The registry alias that means 'deploy this': %register sets it only on a version whose run "
        "has a reproduction with verdict exact or close.",
    ).tag(config=True)
    sweep_storage = Unicode(
        "",
        help="Where %%track --sweep keeps its Optuna studies: a database URL for Optuna's RDBStorage "
        "(postgresql+psycopg2://user@host/optuna, a database of its own; the password from PGPASSWORD or "
        "~/.pgpass, never in the URL) or journal:/path/file.log. JUPYTER_EXP_SWEEP_STORAGE wins. "
        "Empty: a JournalStorage file beside the run journal.",
    ).tag(config=True)
    bisect_budget_s = Float(
        BISECT_BUDGET_S,
        help="Seconds of extra replays a reproduction may spend to find which cells its slice left out "
        "mattered (when the slice's replay was not exact/close and the full history's was); bisection "
        "runs only when its expected cost, timed by the replays before it, fits. 0: never.",
    ).tag(config=True)
    # deprecated: the server's (c.JupyterExpApp.*), still read from here with a warning
    reaper_interval_s, stale_after_s = sweep_traits()


@dataclass(frozen=True)
class StoreLocation:
    """Where runs go: the tracking URI and, for the default store, its artifact root."""

    tracking_uri: str
    artifact_root: str | None
    root: Path

    @property
    def is_default_sqlite(self) -> bool:
        return self.artifact_root is not None


def git_toplevel(start: Path) -> Path | None:
    """The work tree root containing ``start`` (walking up for a ``.git`` entry), without running git."""
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def resolve_root(configured: str = "", cwd: Path | None = None) -> Path:
    if configured:
        return Path(configured).expanduser().resolve()
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV]).expanduser().resolve()
    here = (cwd or Path.cwd()).resolve()
    return git_toplevel(here) or here


def resolve_store(settings: JupyterExp | None = None, cwd: Path | None = None) -> StoreLocation:
    settings = settings or JupyterExp()
    root = resolve_root(settings.root, cwd)
    uri = os.environ.get("MLFLOW_TRACKING_URI") or settings.tracking_uri
    if uri:
        return StoreLocation(tracking_uri=uri, artifact_root=None, root=root)
    return StoreLocation(
        tracking_uri=f"sqlite:///{root / DB_NAME}",
        artifact_root=str(root / ARTIFACTS_DIR),
        root=root,
    )


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:`` tracking URI (``None`` for other stores and in-memory ones)."""
    if not uri.startswith("sqlite:"):
        return None
    path = urlsplit(uri).path
    if uri.startswith("sqlite:////"):
        path = "/" + path.lstrip("/")
    elif path.startswith("/"):
        path = path[1:]
    return Path(path) if path and path != ":memory:" else None
