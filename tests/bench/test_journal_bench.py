"""What the durable journal costs a cell: the writes a tracked cell makes to disk before it returns
(entry, replay essentials, buffered points, documents, end), next to what MLflow's own run costs by hand."""

from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

from mlflow import MlflowClient

from jupyter_exp.capture import rng_codec
from jupyter_exp.tracking.journal import EntryMeta, JournalEntry
from jupyter_exp.tracking.metrics import MetricWriter

from .harness import Result, median_time, size


def test_journal_writes_per_tracked_cell(bench, tmp_path: Path):
    root = tmp_path / "journal"
    history_states = {
        str(n): rng_codec.encode(random.getstate()) for n in range(50)
    }  # a 50-cell session's RNG states
    history = [
        {"execution_count": n, "cell_id": f"c{n}", "source": "x = 1\n" * 20, "success": True}
        for n in range(50)
    ]
    outputs = {"outputs": [{"name": "stdout", "text": "epoch 1 loss 0.25\n" * 500}]}
    points_per_cell = 1000
    counter = iter(range(10**9))

    def one_cell() -> float:
        """Seconds of journal writes on the cell's path (the writer thread and the entry's removal are
        not on it: they run in the background)."""
        meta = EntryMeta(f"run{next(counter)}", "sqlite:///x.db", "1", "host", 1, "k", 0, ("cell.py",))
        start = time.perf_counter()
        entry = JournalEntry.create(root, meta)
        entry.merge("params.json", {f"p{i}": str(i) for i in range(20)})
        entry.stage("cell.py", b"%%track\nx = 1\n" * 10)
        entry.stage("config.json", json.dumps({"lr": 0.1}).encode())
        entry.stage("rng_history.json", json.dumps(history_states).encode())
        before_cell = time.perf_counter() - start
        writer = MetricWriter(lambda batch: None, flush_interval_s=3600, spool=entry)
        for step in range(points_per_cell):
            writer.log(step=step, loss=0.5)
        start = time.perf_counter()
        writer.seal()  # what is still buffered when the cell returns
        entry.stage("outputs.json", json.dumps(outputs).encode())
        entry.stage("history.json", json.dumps(history).encode())
        entry.write_end("FINISHED", 0)
        after_cell = time.perf_counter() - start
        writer.close()
        entry.remove()
        return before_cell + after_cell

    repeat = size(30, 3)
    ours = statistics.median(one_cell() for _ in range(repeat))
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("bench", artifact_location=str(tmp_path / "artifacts"))

    def by_hand() -> None:
        run = client.create_run(experiment)
        client.set_terminated(run.info.run_id)

    baseline = median_time(by_hand, repeat)
    assert not any(root.iterdir())  # every entry was written and removed
    bench.record(
        "journal writes per tracked cell (before it returns)",
        Result(
            ours * 1000,
            baseline * 1000,
            "ms",
            note=f"entry, params, cell, rng history of 50 cells, {points_per_cell} buffered points, "
            "outputs, history, end; vs MLflow's create_run + set_terminated by hand",
        ),
    )
