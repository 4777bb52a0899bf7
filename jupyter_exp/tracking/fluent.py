"""Making a tracked run MLflow's active run for the duration of a cell.

So that ``mlflow.log_*`` and autologging inside the cell write to it, a ``mlflow.start_run()``
the user opens inside the cell becomes a nested child, and a run left active by an earlier
crash never makes MLflow say "Run ... is already active". Uses ``mlflow.tracking.fluent``'s
active-run stack: MLflow offers no public way to suspend and restore it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run


class ActiveRunScope:
    def __init__(self, client: MlflowClient, tracking_uri: str, run: Run) -> None:
        self._client = client
        self._tracking_uri = tracking_uri
        self._run = run
        self._saved_stack: list[Any] = []
        self._original_start_run: Callable[..., Any] | None = None

    def __enter__(self) -> ActiveRunScope:
        import mlflow
        from mlflow.tracking import fluent

        if mlflow.get_tracking_uri() != self._tracking_uri:
            mlflow.set_tracking_uri(self._tracking_uri)
        stack = fluent._active_run_stack.get()
        self._saved_stack = list(stack)
        stack.clear()
        stack.append(fluent.ActiveRun(self._run))
        self._patch_start_run(mlflow, fluent)
        return self

    def _patch_start_run(self, mlflow: Any, fluent: Any) -> None:
        original = fluent.start_run
        experiment_id = self._run.info.experiment_id

        @functools.wraps(original)
        def start_run(*args: Any, **kwargs: Any) -> Any:
            resuming = bool(args and args[0]) or kwargs.get("run_id")
            if not resuming and fluent._active_run_stack.get():
                kwargs.setdefault("nested", True)
                if len(args) < 2:
                    kwargs.setdefault("experiment_id", experiment_id)
            return original(*args, **kwargs)

        self._original_start_run = original
        mlflow.start_run = start_run
        fluent.start_run = start_run

    def end_children(self, status: str) -> list[str]:
        """End runs the cell started and left open (crashed ``start_run`` without ``with``)."""
        from mlflow.tracking import fluent

        stack = fluent._active_run_stack.get()
        ended = []
        while stack and stack[-1].info.run_id != self._run.info.run_id:
            child = stack.pop()
            self._client.set_terminated(child.info.run_id, status)
            ended.append(child.info.run_id)
        return ended

    def __exit__(self, *exc: Any) -> None:
        import mlflow
        from mlflow.tracking import fluent

        if self._original_start_run is not None:
            mlflow.start_run = self._original_start_run
            fluent.start_run = self._original_start_run
        stack = fluent._active_run_stack.get()
        stack[:] = [r for r in stack if r.info.run_id != self._run.info.run_id]
        stack[:0] = self._saved_stack
