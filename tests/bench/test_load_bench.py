"""A load run against the team deployment (PostgreSQL + ``mlflow server --app-name basic-auth``,
tests/deploy/harness.py): K real kernels (jupyter_client) run ``%%track`` cells that log with
``jupyter_exp.log()`` for a while, all at once, while a thread lists and compares the runs the way the
sidebar does. The thread calls the sidebar's own functions (``listing.list_runs``, ``run_compare.compare_runs``)
against the same server, not through a Jupyter server's REST API: on 2 shared cores a Jupyter server would
be one more process competing with the kernels for what is measured here, and its handlers add only JSON
encoding around those calls.

Reported: runs/s and points/s held (stored, from the load's start until the last run was complete),
p99 of a ``log()`` call measured in the kernels, the sidebar's list and compare latencies under load.
It fails on any error (a cell, a run not FINISHED, a list or compare call), on any point lost (stored
against logged, per run, metric and step), and when nothing was logged.

``JUPYTER_EXP_LOAD_KERNELS`` (default 8, smoke 2) and ``JUPYTER_EXP_LOAD_SECONDS`` (default 60, smoke 10)
size it."""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jupyter_exp.query import compare_document as compare_module
from jupyter_exp.query.compare_document import compare_runs
from jupyter_exp.query.listing import RunQuery, list_runs
from tests.deploy.harness import Deployment, shared_deployment
from tests.support.kernels import KernelSession

from .harness import Result, size

pytestmark = [pytest.mark.deploy, pytest.mark.kernel, pytest.mark.slow]

KERNELS = int(os.environ.get("JUPYTER_EXP_LOAD_KERNELS", size(8, 2)))
SECONDS = float(os.environ.get("JUPYTER_EXP_LOAD_SECONDS", size(60, 10)))
STEPS = 100  # per cell; two metrics a step
STEP_S = 0.005  # a training step's wait (sleep: the work of a GPU, not of these cores)
METRICS = ("loss", "acc")

SETUP = """%load_ext jupyter_exp
import json, time
import jupyter_exp
from jupyter_exp import _active
clock = time.perf_counter
load_costs, load_runs = [], []
import threading, requests.adapters  # every REST call of this kernel (MLflow's client uses requests)
rest_calls, rest_lock, plain_send = {}, threading.Lock(), requests.adapters.HTTPAdapter.send
def counted_send(self, request, **kwargs):
    response = plain_send(self, request, **kwargs)
    path = request.path_url.split("?")[0]
    if "/mlflow-artifacts/artifacts/" in path:
        path = path.split("/artifacts/")[0] + "/artifacts/..."
    received = 0 if kwargs.get("stream") else len(response.content)
    with rest_lock:
        calls, sent, got = rest_calls.get(f"{request.method} {path}", (0, 0, 0))
        rest_calls[f"{request.method} {path}"] = (
            calls + 1, sent + int(request.headers.get("Content-Length") or 0), got + received)
    return response
requests.adapters.HTTPAdapter.send = counted_send"""
COUNT_FROM_HERE = "jupyter_exp.wait_for_runs(300); rest_calls.clear()"  # the warm-up's calls left out
TRACKED = f"""%%track --quiet --experiment {{experiment}} --name load-k{{kernel}}
costs = []
for step in range({STEPS}):
    time.sleep({STEP_S})
    before = clock()
    jupyter_exp.log(step=step, loss=1.0 / (step + 1), acc=step / {STEPS})
    costs.append(clock() - before)"""
BOOKKEEPING = "load_costs.extend(costs); load_runs.append([_active.last_run_id, len(costs)])"
REPORT = """print(json.dumps({"settled": jupyter_exp.wait_for_runs(600), "runs": load_runs, "rest": rest_calls,
                  "costs_us": [round(c * 1e6, 1) for c in load_costs]}))"""


@dataclass
class KernelLoad:
    """What one kernel logged: (run id, steps logged) per tracked cell, the log() call times, errors, and
    its REST calls (``METHOD path``: calls, request body bytes, response body bytes)."""

    runs: list[tuple[str, int]] = field(default_factory=list)
    rest: dict[str, list[int]] = field(default_factory=dict)
    costs_us: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cells: int = 0
    complete_at: float = 0.0  # when its runs were all complete (before the kernel is shut down)


def cell_errors(reply: dict[str, Any], outputs: list[dict[str, Any]]) -> list[str]:
    found = [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o["type"] == "error"]
    if reply.get("status") != "ok" and not found:
        found.append(f"cell ended {reply.get('status')}: {reply.get('evalue', '')}")
    return found


def drive_kernel(
    number: int,
    root: Path,
    env: dict[str, str],
    experiment: str,
    ready: threading.Barrier,
    window: dict[str, float],
    load: KernelLoad,
) -> None:
    """Start a kernel, warm it up (MLflow imported, the store open), then run tracked cells until the
    window closes, and collect what it logged once its runs are complete."""
    session: KernelSession | None = None
    try:
        session = KernelSession(root, extra_env=env)
        for code in (SETUP, f"%%track --quiet --experiment {experiment}-warm-up\npass", COUNT_FROM_HERE):
            load.errors += cell_errors(*session.wait(session.send(code), timeout=300))
        ready.wait(timeout=600)
        tracked = TRACKED.format(experiment=experiment, kernel=number)
        while time.time() < window["end"]:
            reply, outputs = session.wait(session.send(tracked), timeout=300)
            load.cells += 1
            errors = cell_errors(reply, outputs)
            load.errors += errors
            if not errors:
                load.errors += cell_errors(*session.wait(session.send(BOOKKEEPING), timeout=120))
        reply, outputs = session.wait(session.send(REPORT), timeout=900)
        load.complete_at = time.time()
        load.errors += cell_errors(reply, outputs)
        printed = "".join(
            o.get("text", "") for o in outputs if o["type"] == "stream" and o["name"] == "stdout"
        )  # with MLflow's "View run ..." lines of the runs ended meanwhile
        lines = [line for line in printed.splitlines() if line.startswith('{"settled"')]
        if len(lines) != 1:
            raise RuntimeError(f"no report from the kernel: {printed[-500:]!r}")
        report = json.loads(lines[0])
        if not report["settled"]:
            load.errors.append(f"kernel {number}: its runs were not complete after 600 s")
        load.runs = [(run_id, steps) for run_id, steps in report["runs"]]
        load.costs_us = report["costs_us"]
        load.rest = report["rest"]
    except Exception as error:  # a kernel that could not start or answer: an error of the load run
        load.errors.append(f"kernel {number}: {type(error).__name__}: {error}")
        if not ready.broken:
            ready.abort()
    finally:
        if session is not None:
            session.close()


@dataclass
class SidebarLoad:
    list_s: list[float] = field(default_factory=list)
    compare_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def browse(client: Any, experiment_id: str, stop: threading.Event, sidebar: SidebarLoad) -> None:
    """The sidebar while the kernels log: the experiment's newest page, then a first view (cache emptied)
    of the comparison of its two newest finished runs, over and over."""
    query = RunQuery(experiment=experiment_id, max_results=100)
    finished = RunQuery(experiment=experiment_id, status="FINISHED", max_results=2)
    while not stop.is_set():
        try:
            start = time.perf_counter()
            list_runs(client, query)
            sidebar.list_s.append(time.perf_counter() - start)
            newest, _ = list_runs(client, finished)
            if len(newest) == 2:
                compare_module.SERIES_CACHE = compare_module.SeriesCache()
                start = time.perf_counter()
                compare_runs(client, [r["run_id"] for r in newest], max_points=500)
                sidebar.compare_s.append(time.perf_counter() - start)
        except Exception as error:
            sidebar.errors.append(f"sidebar: {type(error).__name__}: {str(error)[:300]}")
        stop.wait(0.2)


def stored(deployment: Deployment, run_ids: list[str]) -> tuple[dict[str, str], dict[tuple[str, str], int]]:
    """Each run's status and, per (run, metric), how many distinct steps the store holds: read from
    PostgreSQL itself, which is what every client of the server would be answered from."""
    import psycopg2

    assert deployment.postgres is not None
    connection = psycopg2.connect(deployment.postgres.url("mlflow").replace("+psycopg2", ""))
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT run_uuid, status FROM runs WHERE run_uuid = ANY(%s)", (run_ids,))
            statuses = dict(cursor.fetchall())
            cursor.execute(
                "SELECT run_uuid, key, count(DISTINCT step) FROM metrics WHERE run_uuid = ANY(%s) "
                "GROUP BY run_uuid, key",
                (run_ids,),
            )
            steps = {(run, key): count for run, key, count in cursor.fetchall()}
    finally:
        connection.close()
    return statuses, steps


def rest_per_run(loads: list[KernelLoad], runs: int) -> str:
    """What one tracked run (of this cell's shape) costs the server: REST calls and body bytes, each
    endpoint's share, from the kernels' counts over the load (the warm-up left out)."""
    totals: dict[str, list[int]] = {}
    for load in loads:
        for endpoint, counts in load.rest.items():
            totals[endpoint] = [a + b for a, b in zip(totals.get(endpoint, [0, 0, 0]), counts, strict=True)]
    calls, sent, received = (sum(c[i] for c in totals.values()) for i in range(3))
    lines = [
        f"REST per tracked run ({STEPS} steps x {len(METRICS)} metrics): {calls / runs:.1f} calls, "
        f"{sent / runs / 1000:.1f} kB sent, {received / runs / 1000:.1f} kB received (bodies)"
    ]
    for endpoint, (n, out, back) in sorted(totals.items(), key=lambda item: -item[1][0]):
        lines.append(
            f"  {endpoint}: {n / runs:.2f} calls, {out / n:.0f} B sent, {back / n:.0f} B received each"
        )
    return "\n".join(lines)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[round(q * 1000) - 1] if len(values) > 1 else values[0]


def test_kernels_tracking_at_once_against_the_deployment(bench, project, tmp_path):
    deployment = shared_deployment()
    client = deployment.client()  # the normal user, as each kernel and the sidebar are
    experiment = f"load-{time.time_ns()}"
    experiment_id = client.create_experiment(experiment)
    env = deployment.env() | {"JUPYTER_EXP_JOURNAL_DIR": str(tmp_path / "journal")}

    window: dict[str, float] = {}
    loads = [KernelLoad() for _ in range(KERNELS)]
    sidebar = SidebarLoad()
    stop = threading.Event()

    def open_window() -> None:  # every kernel warm: the load starts now
        window["start"] = time.time()
        window["end"] = window["start"] + SECONDS

    ready = threading.Barrier(KERNELS, action=open_window)
    kernels = [
        threading.Thread(
            target=drive_kernel, args=(k, project, env, experiment, ready, window, loads[k]), daemon=True
        )
        for k in range(KERNELS)
    ]
    lister = threading.Thread(target=browse, args=(client, experiment_id, stop, sidebar), daemon=True)
    for kernel in kernels:
        kernel.start()
    while "start" not in window and any(k.is_alive() for k in kernels):
        time.sleep(0.1)
    lister.start()
    for kernel in kernels:
        kernel.join(timeout=SECONDS + 1800)
    held_until = max([load.complete_at for load in loads] + [window.get("start", 0.0)])
    stop.set()
    lister.join(timeout=300)

    errors = [e for load in loads for e in load.errors] + sidebar.errors
    errors += [f"kernel thread {k} still running" for k, thread in enumerate(kernels) if thread.is_alive()]
    logged = {run_id: steps for load in loads for run_id, steps in load.runs}
    statuses, steps = stored(deployment, list(logged))
    errors += [  # a busy server is no outage: no run may go to the journal under a local id
        f"run {r}: recorded offline, the store seemed away"
        if r.startswith("offline-")
        else f"run {r}: {statuses.get(r, 'not in the store')}"
        for r in logged
        if statuses.get(r) != "FINISHED"
    ]
    points_logged = sum(logged.values()) * len(METRICS)
    points_stored = sum(min(steps.get((r, key), 0), n) for r, n in logged.items() for key in METRICS)
    doubled = sum(max(steps.get((r, key), 0) - n, 0) for r, n in logged.items() for key in METRICS)
    costs = [c for load in loads for c in load.costs_us]
    cells = sum(load.cells for load in loads)
    span = held_until - window.get("start", held_until)

    print(
        f"\nload: {KERNELS} kernels x {SECONDS:g} s, {cells} tracked cells, {len(logged)} runs, "
        f"{points_logged} points logged, {points_stored} stored, {doubled} extra, {len(errors)} errors, "
        f"{len(sidebar.list_s)} lists, {len(sidebar.compare_s)} compares, held {span:.1f} s"
    )
    assert not errors, f"{len(errors)} errors under load: " + "; ".join(errors[:10])
    assert logged and points_logged and costs, "nothing was logged: the load run measured nothing"
    assert points_stored == points_logged and doubled == 0, (
        f"{points_logged - points_stored} points lost, {doubled} extra (stored against logged)"
    )
    assert sidebar.list_s, "the sidebar never listed during the load"
    print(rest_per_run(loads, len(logged)))

    label = f"load: {KERNELS} kernels tracking for {SECONDS:g} s on mlflow server + PostgreSQL"
    bench.record(
        f"{label}: runs/s held",
        Result(
            len(logged) / span,
            cells / span,
            "runs/s",
            higher_is_better=True,
            note="FINISHED runs in the store vs %%track cells run, until the last was complete",
        ),
    )
    bench.record(
        f"{label}: points/s held",
        Result(
            points_stored / span,
            points_logged / span,
            "points/s",
            higher_is_better=True,
            note="stored vs logged in the kernels (1.0x: none lost), until the last run was complete",
        ),
    )
    bench.record(
        f"{label}: log() call p99",
        Result(percentile(costs, 0.99), statistics.median(costs), "us", note="vs p50 of the same calls"),
    )
    bench.record(
        f"{label}: sidebar list p99",
        Result(
            percentile(sidebar.list_s, 0.99) * 1000,
            statistics.median(sidebar.list_s) * 1000,
            "ms",
            note="list_runs of the load's experiment, vs its p50",
        ),
    )
    if sidebar.compare_s:
        bench.record(
            f"{label}: sidebar compare p99",
            Result(
                percentile(sidebar.compare_s, 0.99),
                statistics.median(sidebar.compare_s),
                "s",
                note="compare_runs of the 2 newest finished runs, first view, vs its p50",
            ),
        )
