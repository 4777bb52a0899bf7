"""The metric writer's buffer as columns (issue 24, many points): what a buffered point costs, sealing
into the journal and reading back, and a spooled document that is not points refused."""

from __future__ import annotations

import base64
import json
import math
import sys
import tracemalloc

import numpy as np
import pytest
from mlflow import MlflowClient

from jupyter_exp.tracking.journal import EntryMeta, JournalEntry
from jupyter_exp.tracking.metric_sink import metric_sink
from jupyter_exp.tracking.metrics import BATCH_SIZE, MetricWriter
from jupyter_exp.tracking.point_columns import SpoolFormatError, Taken, read_document, read_packed


def test_a_buffered_point_costs_at_most_64_bytes() -> None:
    writer = MetricWriter(None, flush_interval_s=3600)  # no wake-up below the threshold: all stay buffered
    steps = BATCH_SIZE * 10 // 2 - 1
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for step in range(steps):
            writer.log(step=step + 1000, loss=1.0 / (step + 1), acc=step / steps)
        grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert writer.pending == 2 * steps
    assert grown / (2 * steps) <= 64  # (key, value, timestamp, step) tuples: about 200
    writer.close()


def test_sealed_points_are_journaled_as_columns_and_read_back(tmp_path, store_uri) -> None:
    client = MlflowClient(store_uri)
    run_id = client.create_run(client.create_experiment("cols", str(tmp_path / "a"))).info.run_id
    entry = JournalEntry.create(tmp_path / "journal", EntryMeta(run_id, store_uri, "0", "host", 1, None, 0))
    writer = MetricWriter(None, flush_interval_s=3600, spool=entry)  # offline: the journal keeps them
    writer.log(step=0, loss=0.5, count=3, odd=np.int64(7))
    writer.log(step=np.int64(1), loss=float("nan"))
    writer.seal()
    writer.close()
    assert sorted(path.suffix for path, _ in entry.spooled_points()) == [".json", ".points"]  # odd: JSON
    # a journal of an earlier version: points-1 (base64 in JSON), still read
    writer = MetricWriter(None, flush_interval_s=3600)
    writer.log(step=-1, loss=0.125)  # not the latest: the NaN of step 1 is
    (entry.path / "metrics" / "1-0.json").write_text(json.dumps(_document(writer._columns.take())))
    writer.close()
    points = sorted((p for _, batch in entry.spooled_points() for p in batch), key=lambda p: (p[0], p[3]))
    assert [(k, s) for k, _, _, s in points] == [
        ("count", 0),
        ("loss", -1),
        ("loss", 0),
        ("loss", 1),
        ("odd", 0),
    ]
    values = {(k, s): v for k, v, _, s in points}
    assert values[("count", 0)] == 3.0 and values[("odd", 0)] == 7.0 and math.isnan(values[("loss", 1)])
    sink = metric_sink(client, run_id)
    sink(points)
    assert client.get_run(run_id).data.metrics["loss"] != client.get_run(run_id).data.metrics["loss"]  # NaN
    assert [m.value for m in client.get_metric_history(run_id, "count")] == [3.0]


def _document(taken: Taken) -> dict:
    """The ``points-1`` form (base64 in JSON) that journals of earlier versions hold."""
    data = base64.b64encode(taken.flat.tobytes()).decode("ascii")
    return {"format": "points-1", "byteorder": sys.byteorder, "names": taken.names, "points": data}


@pytest.mark.parametrize(
    "change",
    [
        {"format": "pickle"},
        {"names": [1]},
        {"points": "!!"},
        {"points": "AAAA"},
        {"names": []},
    ],
)
def test_a_spooled_document_not_of_this_shape_is_refused(change) -> None:
    writer = MetricWriter(None, flush_interval_s=3600)
    writer.log(step=0, loss=0.5)
    taken = writer._columns.take()
    writer.close()
    document = json.loads(json.dumps(_document(taken)))
    assert read_document(document) == taken.points() and taken.points()[0][:2] == ("loss", 0.5)
    with pytest.raises(SpoolFormatError):
        list(read_document({**document, **change}))


def _packed(taken: Taken) -> bytes:
    return b"".join(bytes(chunk) for chunk in taken.packed())


@pytest.mark.parametrize(
    "change",
    [
        lambda data: data.replace(b"points-2", b"pickle"),
        lambda data: data.replace(b'["loss"]', b"[1]"),
        lambda data: data.replace(b'["loss"]', b"[]"),
        lambda data: data[:-1],  # cut short
        lambda data: data.replace(b"\n", b" "),  # no header line
        lambda data: b"{]\n" + data.partition(b"\n")[2],
    ],
)
def test_a_spooled_packed_file_not_of_this_shape_is_refused(change) -> None:
    writer = MetricWriter(None, flush_interval_s=3600)
    writer.log(step=0, loss=0.5)
    writer.log(step=1, loss=0.25)
    taken = writer._columns.take()
    writer.close()
    data = _packed(taken)
    assert read_packed(data) == taken.points() and [p[3] for p in taken.points()] == [0, 1]
    with pytest.raises(SpoolFormatError):
        read_packed(change(data))


def test_steps_and_ints_a_double_cannot_hold_exactly_are_kept_exact(tmp_path, store_uri) -> None:
    client = MlflowClient(store_uri)
    run_id = client.create_run(client.create_experiment("exact", str(tmp_path / "a"))).info.run_id
    writer = MetricWriter(metric_sink(client, run_id), flush_interval_s=0.05)
    writer.log(step=2**53 + 1, loss=0.5, count=1)  # the step: not exact as a double
    writer.log(step=1, big=2**53 + 1, small=2**53)  # the value: stored as MLflow stores it (a double)
    writer.log(loss=0.25)  # the automatic step, from 0
    writer.close()
    assert writer.rejected == [] and writer.unsent == []
    steps = {
        (key, m.step)
        for key in ("loss", "count", "big", "small")
        for m in client.get_metric_history(run_id, key)
    }
    assert steps == {("loss", 2**53 + 1), ("count", 2**53 + 1), ("big", 1), ("small", 1), ("loss", 0)}
    with pytest.raises(RuntimeError, match="this run has ended"):
        writer.log(step=2, loss=0.1)
