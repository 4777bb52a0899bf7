"""Ending a run in the store without MLflow's console links.

``MlflowClient.set_terminated`` against a tracking server first reads the run back and writes
"🏃 View run ... / 🧪 View experiment ..." to ``sys.stdout``. Our runs end on the background finisher, so
that text would land in whatever cell the user runs next (and cost one more request per run). The store
call it wraps is the same one MLflow makes after printing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient


def end_run(client: MlflowClient, run_id: str, status: str, end_time_ms: int | None = None) -> None:
    """Set ``run_id``'s final ``status`` (FINISHED, FAILED, KILLED) and end time, printing nothing."""
    from mlflow.entities import RunStatus

    client._tracking_client.store.update_run_info(
        run_id,
        run_status=RunStatus.from_string(status),
        end_time=end_time_ms if end_time_ms is not None else int(time.time() * 1000),
        run_name=None,
    )
