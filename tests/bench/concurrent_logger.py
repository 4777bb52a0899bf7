"""One "kernel" of the concurrency benchmark: a process that trains (matrix products) and logs every step into
a SQLite store that other processes write at the same time. Spawned by ``test_concurrency_bench``."""

from __future__ import annotations

import time
from typing import Any


def train_step(weights: Any, repeat: int) -> None:
    """Stand-in for a training step: matrix products, which (like torch's) run with the GIL released."""
    for _ in range(repeat):
        weights @ weights


def log_steps(way: str, tracking_uri: str, experiment_id: str, steps: int, start_at: float) -> dict[str, Any]:
    """Log ``steps`` steps of two metrics the ``way`` named ("ours" or "mlflow"); return the caller's
    per-step logging times (seconds), the run id and when the last point was in the store."""
    import os

    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # one core per kernel, set before numpy is imported
    import numpy as np

    weights = np.random.default_rng(0).random((128, 128))
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    run_id = client.create_run(experiment_id).info.run_id
    if way == "ours":
        from jupyter_exp.tracking.metric_sink import metric_sink
        from jupyter_exp.tracking.metrics import MetricWriter

        writer = MetricWriter(metric_sink(client, run_id))

        def log(step: int, loss: float, acc: float) -> None:
            writer.log(step=step, **{"train/loss": loss, "train/acc": acc})
    else:
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
        mlflow.start_run(run_id=run_id)

        def log(step: int, loss: float, acc: float) -> None:
            mlflow.log_metrics({"train/loss": loss, "train/acc": acc}, step=step)

    while time.time() < start_at:  # every process starts its loop at the same moment
        time.sleep(0.001)
    costs = []
    clock = time.perf_counter
    loop_start = time.time()
    for step in range(steps):
        train_step(weights, 3)
        before = clock()
        log(step, 1.0 / (step + 1), step / steps)
        costs.append(clock() - before)
    if way == "ours":
        writer.close()
    else:
        mlflow.end_run()
    return {"run_id": run_id, "costs": costs, "loop_start": loop_start, "stored": time.time()}
