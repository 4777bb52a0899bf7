"""Costs that must stay flat as a session grows (issue 24), each as a curve in real kernels:

- an untracked cell with the extension loaded against the same cell in a kernel without it, at 10, 1,000
  and 20,000 names in the namespace (the generator look before every cell);
- a trivial ``%%track`` cell's added latency after 10, 200, 1,000 and 5,000 executed cells (the history
  it records).
"""

from __future__ import annotations

import statistics

from tests.support.kernels import KernelSession

from .harness import SMOKE, Result, meets, size
from .test_kernel_bench import timed

BIND = "globals().update({{f'v{{i}}': [i, {{'k': i}}] for i in range({n})}})"  # containers a scan looks into


def run_many(session: KernelSession, code: str, count: int) -> None:
    """``count`` cells sent at once; the kernel runs them in order, the last one's reply ends the wait."""
    last = ""
    for _ in range(count):
        last = session.send(code)
    reply, outputs = session.wait(last, timeout=600)
    assert reply["status"] == "ok", outputs


def test_untracked_cell_is_flat_in_the_namespace(bench, project, kernel_session) -> None:
    ours, plain = kernel_session(project), kernel_session(project)
    ours.run("%load_ext jupyter_exp\nimport numpy as np\nrng = np.random.default_rng(0)")
    plain.run("import numpy as np\nrng = np.random.default_rng(0)")
    repeat, bound = size(25, 3), 0
    for names in (10, 1_000, 20_000) if not SMOKE else (10, 300):
        for session in (ours, plain):
            session.run(BIND.format(n=names - bound) if names > bound else "pass")
        bound = names
        with_ext, without = [], []
        for _ in range(repeat):  # interleaved: a noisy moment hits both kernels
            with_ext.append(timed(ours, "x = 1"))
            without.append(timed(plain, "x = 1"))
        result = bench.record(
            f"untracked cell with the extension loaded, {names} names",
            Result(
                statistics.median(with_ext) * 1e3,
                statistics.median(without) * 1e3,
                "ms",
                note="vs the same cell in a kernel without jupyter_exp",
            ),
        )
        meets(result, 1 / 1.1, f"an untracked cell within 1.1x of no extension at {names} names")
    _, outputs = ours.run("%%track --quiet\nx = rng.random()")
    assert not [o for o in outputs if o["type"] == "error"], outputs


def test_tracked_cell_is_flat_in_the_history(bench, project, kernel_session) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp\nimport numpy as np, random\nrng = np.random.default_rng(0)")
    timed(session, "%%track --quiet\nx = 1")  # warm: MLflow imported, store open
    repeat, executed, added = size(9, 2), 0, {}
    for cells in (10, 200, 1_000, 5_000) if not SMOKE else (10, 60):
        run_many(session, "y = rng.random() + random.random()", cells - executed)  # states change each cell
        executed = cells
        plain, tracked = [], []
        for _ in range(repeat):
            session.settle()
            plain.append(timed(session, "x = 1"))
            tracked.append(timed(session, "%%track --quiet\nx = 1"))
            executed += 2
        added[cells] = (statistics.median(tracked) - statistics.median(plain)) * 1e3
        result = bench.record(
            f"%%track on a trivial cell after {cells} executed cells, added p50",
            Result(added[cells], added[10] + 5, "ms", note="vs the added p50 after 10 cells + 5 ms"),
        )
        meets(result, 1, f"the added latency after {cells} cells within +5 ms of that after 10")
