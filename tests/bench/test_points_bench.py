"""Many points and many params (issue 24, section 5), each against its baseline in the same run:

- ``log()`` at the caller against a bare ``list.append`` of the same value and against the floor of a
  call of its signature that keeps a point (in process, the writer's thread writing into a real SQLite
  store meanwhile);
- a tracked cell's ``log()`` loop of 100,000 and 1,000,000 points in a real kernel: how long after its
  loop the cell returns, against a tenth of the loop;
- 10,000 params a cell binds, delivered to the store, against ``log_batch`` of the same params by hand in
  100-param batches on the same store.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable

import jupyter_exp
from jupyter_exp.track import active as _active
from jupyter_exp.tracking.point_columns import PACK, POINT_BYTES
from tests.support.kernels import KernelSession

from .harness import SMOKE, Result, meets, size
from .test_kernel_bench import timed
from .test_logging_bench import new_run

LOOP = """%%track --quiet
import time, jupyter_exp
_start = time.perf_counter()
for step in range({n}):
    jupyter_exp.log(step=step, loss=1.0 / (step + 1))
print(time.perf_counter() - _start)"""


def floor_logger() -> tuple[Callable[..., None], bytearray]:
    """The least a function of ``log()``'s signature can do to keep a point as ours does (read the clock,
    pack the numbers, one append): no checks, no key table. What ``log()`` can approach, not beat."""
    packed = bytearray()
    extend, pack, clock = packed.extend, PACK, time.time

    def log(step: int | None = None, **metrics: float) -> None:
        now = clock()
        for key in metrics:
            extend(pack(0, metrics[key], now, step))

    return log, packed


def test_log_at_the_caller_against_a_list_append(bench, tmp_path) -> None:
    """``log()`` against a bare ``list.append`` of the same value and against ``floor_logger`` (and an
    empty call of the same signature), interleaved: with the writer's thread writing into a real SQLite
    store, and with no store (the call alone). The issue's target is 6x the bare append; the floor, a
    call of this signature that reads the clock and packs a point, is about that alone (its ratio is
    printed beside ours). Asserted: the call alone within 1.5x of the floor, and with the writer running
    within 2x of it (the writer's thread holds the interpreter's lock to make and bind its rows)."""
    from jupyter_exp.tracking.metric_sink import metric_sink
    from jupyter_exp.tracking.metrics import MetricWriter

    calls = size(1_000_000, 5_000)
    client, run_id = new_run(tmp_path / "ours")
    times: dict[str, list[float]] = {"bare": [], "empty": [], "floor": [], "alone": [], "ours": []}

    def per_call(log: Callable[..., None]) -> float:
        start = time.perf_counter()
        for step in range(calls):
            log(step=step, loss=1.0 / (step + 1))
        return (time.perf_counter() - start) / calls

    def public_per_call(writer: MetricWriter) -> float:
        """``jupyter_exp.log(...)`` as a cell writes it (the module's attribute looked up each call), while
        ``writer`` is the tracked cell's."""
        _active.use_writer(writer)
        try:
            start = time.perf_counter()
            for step in range(calls):
                jupyter_exp.log(step=step, loss=1.0 / (step + 1))
            return (time.perf_counter() - start) / calls
        finally:
            _active.use_writer(None)

    for _ in range(size(3, 1)):  # interleaved
        values: list[float] = []
        append = values.append
        start = time.perf_counter()
        for step in range(calls):
            append(1.0 / (step + 1))
        times["bare"].append((time.perf_counter() - start) / calls)
        times["empty"].append(per_call(lambda step=None, **metrics: None))
        floor, packed = floor_logger()
        times["floor"].append(per_call(floor))
        assert len(packed) == calls * POINT_BYTES
        writer = MetricWriter(None, flush_interval_s=3600)  # the call alone: nothing taken meanwhile
        times["alone"].append(public_per_call(writer))
        writer.close()
        writer = MetricWriter(metric_sink(client, run_id))
        times["ours"].append(public_per_call(writer))
        writer.close()
    database = str(tmp_path / "ours" / "mlflow.db")
    with sqlite3.connect(database) as connection:  # MLflow's reader makes an object a point: minutes at 3M
        (count,) = connection.execute(
            "SELECT COUNT(DISTINCT step) FROM metrics WHERE key = 'loss'"
        ).fetchone()
    assert count == calls
    ns = {name: statistics.median(values) * 1e9 for name, values in times.items()}
    note = f"{calls} calls; a bare append {ns['bare']:.0f} ns"
    bench.record(
        "an empty call of log()'s signature vs a bare list append",
        Result(ns["empty"], ns["bare"], "ns/call", note=note),
    )
    bench.record(
        "the floor of log() (clock, pack, append) vs a bare list append",
        Result(ns["floor"], ns["bare"], "ns/call", note=note),
    )
    bench.record(
        "log() per call at the caller vs a bare list append",
        Result(ns["ours"], ns["bare"], "ns/call", note=note),
    )
    alone = bench.record(
        "log() per call, no store, vs its floor",
        Result(ns["alone"], ns["floor"], "ns/call", note="clock, pack, append: no checks, no key table"),
    )
    result = bench.record(
        "log() per call at the caller, SQLite writer running, vs its floor",
        Result(ns["ours"], ns["floor"], "ns/call", note="the floor: no writer"),
    )
    meets(alone, 1 / 1.5, "log() alone within 1.5x of the floor of a call that keeps a point")
    meets(result, 1 / 2, "log() with the SQLite writer running within 2x of that floor")


def cell_after_loop(session: KernelSession, points: int) -> tuple[float, float]:
    """(the loop's seconds inside the cell, the cell's wall seconds)."""
    start = time.perf_counter()
    reply, outputs = session.wait(session.send(LOOP.format(n=points)), timeout=600)
    wall = time.perf_counter() - start
    assert reply["status"] == "ok", outputs
    loop = float([o for o in outputs if o["type"] == "stream"][-1]["text"].split()[-1])
    return loop, wall


def test_a_tracked_log_loop_returns_soon_after_its_loop(bench, project, kernel_session) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    timed(session, "%%track --quiet\nx = 1")  # warm: the store open
    for points in (100_000, 1_000_000) if not SMOKE else (2_000,):
        session.settle()
        loop, wall = cell_after_loop(session, points)
        session.settle()
        result = bench.record(
            f"a tracked cell returns after its log() loop ({points} points)",
            Result(wall - loop, loop * 0.1, "s", note=f"vs a tenth of the loop's {loop:.2f} s"),
        )
        if points >= 1_000_000:  # at 100,000 the loop is shorter than a tracked cell's fixed cost
            meets(result, 1, f"the cell back within 0.1x of its {points}-point loop")
    _, outputs = session.run("from jupyter_exp.track import active\nprint(active.last_run_id)")
    run_id = outputs[-1]["text"].strip()
    with sqlite3.connect(str(project / "mlflow.db")) as connection:
        query = "SELECT COUNT(*) FROM metrics WHERE run_uuid = ? AND key = 'loss'"
        (count,) = connection.execute(query, (run_id,)).fetchone()
    assert count == (1_000_000 if not SMOKE else 2_000)


def assignments(count: int) -> str:
    return "\n".join(f"p{i} = {i}" for i in range(count))


BY_HAND = """import time, mlflow
from mlflow.entities import Param
_client = mlflow.MlflowClient()
_run = _client.create_run(_client.get_experiment_by_name('Default').experiment_id)
_params = [Param(f'p{{i}}', str(i)) for i in range({n})]
_start = time.perf_counter()
for _first in range(0, len(_params), 100):
    _client.log_batch(_run.info.run_id, params=_params[_first:_first + 100])
print(time.perf_counter() - _start)
_client.set_terminated(_run.info.run_id)"""


def test_many_params_are_delivered_in_linear_time(bench, project, kernel_session) -> None:
    params = size(10_000, 300)
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp\n%config JupyterExp.max_params = 20000")
    timed(session, "%%track --quiet\nx = 1")
    session.settle()
    plain = timed(session, assignments(params))
    start = time.perf_counter()
    session.run(
        "%%track --quiet\n" + assignments(params)
    )  # the cell, then until its run is completely recorded
    delivered = time.perf_counter() - start - plain
    _, outputs = session.run(
        "import mlflow\nfrom jupyter_exp.track import active\n"
        "print(len(mlflow.MlflowClient().get_run(active.last_run_id).data.params))"
    )
    assert int(outputs[-1]["text"]) >= params
    _, outputs = session.run(BY_HAND.format(n=params))
    by_hand = float(outputs[-1]["text"])
    result = bench.record(
        f"{params} params a cell binds, delivered",
        Result(
            delivered, by_hand, "s", note="after the untracked cell, vs log_batch by hand in batches of 100"
        ),
    )
    meets(result, 0.5, "params delivered within 2x of log_batch by hand in 100-param batches")
