"""What a ``%%track`` execution works on: its options, and the cell checked and captured before anything
is written or run (``TrackedCell.prepare()`` makes it; the run and its record read it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_exp.capture import cell as cell_capture
from jupyter_exp.capture.notebook import ExecutionHistory
from jupyter_exp.config import JupyterExp, StoreLocation
from jupyter_exp.errors import BadRequest
from jupyter_exp.track.cell_code import CompiledCell
from jupyter_exp.tracking.direct_run import DirectStore

if TYPE_CHECKING:
    from mlflow import MlflowClient


class TrackingError(BadRequest):
    """A user mistake or an unusable store, found before anything was written or run."""


@dataclass
class TrackOptions:
    name: str | None = None
    experiment: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    no_seed: bool = False
    deterministic: bool = False
    config_names: list[str] = field(default_factory=list)
    quiet: bool = False
    # a replay driver on this machine delivers the run: it is created straight in the SQLite store and the
    # rest of it only journaled, so that the replay kernel imports no MLflow (reproduce/handover.py)
    journal_only: bool = False


@dataclass(frozen=True)
class PreparedCell:
    """A tracked cell checked and captured before anything was written or run: all a run needs."""

    shell: Any
    raw_cell: str  # the cell as the user wrote it, magic line included
    body: str  # what runs: the cell without its magic line
    options: TrackOptions
    settings: JupyterExp
    history: ExecutionHistory | None
    cell_id: str | None
    execution_count: int
    compiled: CompiledCell
    location: StoreLocation
    notebook: Path | None
    notebook_rel: str | None  # the notebook's path relative to the root
    seed: int | None
    config: dict[str, cell_capture.ConfigValue]
    params: dict[str, str]
    run_name: str
    experiment: str
    client: MlflowClient | None  # None: the store is away, the run is journaled under a local id
    experiment_id: str | None
    warnings: tuple[str, ...] = ()  # for the card
    secrets: tuple[str, ...] = ()  # values masked wherever they appear in the record
    params_cut: str = ""  # what JupyterExp.max_params cut, for jupyter_exp.record.incomplete
    direct: DirectStore | None = None  # the run is created straight in SQLite, MLflow imported meanwhile
