"""Large values a tracked cell binds (issue 24, section 3): what ``%%track`` adds to ``b = a0.copy()``
against the untracked cell's own time, at 1, 100 and 300 MB: on the cell's path (asserted), and end to
end in a real kernel beside the tracked cell's fixed cost (recorded)."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np

from jupyter_exp.capture import state

from .harness import SMOKE, Result, meets, size
from .test_kernel_bench import timed

SIZES_MB = (1, 100, 300) if not SMOKE else (1, 5)


def test_a_large_bound_value_costs_less_than_its_copy(bench) -> None:
    """What the value adds to the cell's path is its digest (``state.snapshot`` of the names the cell
    bound: hashed there, no copy held), against the cell's own ``b = a0.copy()`` into fresh memory, as a
    kernel makes it; interleaved, medians."""
    for megabytes in SIZES_MB:
        a0 = np.random.default_rng(0).random(megabytes * 2**20 // 8)
        copies, digests = [], []
        for _ in range(size(9, 2)):
            start = time.perf_counter()
            b = a0.copy()
            copies.append(time.perf_counter() - start)
            start = time.perf_counter()
            taken = state.snapshot("b = a0.copy()", {"b": b})
            digests.append(time.perf_counter() - start)
            held = taken.values["b"][1]
            assert not isinstance(held, np.ndarray) or b.nbytes < state.HASH_ON_PATH_BYTES  # no copy held
            del b
        digest = taken.document()["values"]["b"]["digest"]
        assert digest == state._hex(a0, [state.MAX_ITEMS]) and digest.startswith(f"{state.ALGORITHM}:")
        result = bench.record(
            f"%%track binding a {megabytes} MB array: added on the cell's path",
            Result(
                statistics.median(digests) * 1e3,
                statistics.median(copies) * 1e3,
                "ms",
                note=f"its {state.ALGORITHM} digest vs the cell's own b = a0.copy()",
            ),
        )
        if megabytes >= 100:  # at 1 MB the array is copied for hashing after the cell
            meets(result, 2, f"at most half of the cell's own copy at {megabytes} MB")


def test_a_large_bound_value_end_to_end(bench, project, kernel_session) -> None:
    """The same in a real kernel: the tracked cell's added time binding ``a0`` less what it adds binding a
    1,000-element ``s0`` (the tracked cell's fixed cost, which has its own benchmark), the four cells
    interleaved. Recorded, not asserted: on the shared 2-core machine one copy of 100 MB takes 17 ms or
    900 ms, a spread larger than the target (the path's figure above is asserted)."""
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp\nimport numpy as np\ns0 = np.zeros(1000)")
    timed(session, "%%track --quiet\nx = 1")  # warm: the store open
    tracked = "%%track --quiet\n"
    for megabytes in SIZES_MB:
        session.run(f"a0 = np.random.default_rng(0).random({megabytes} * 2**20 // 8)")
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(size(7, 1)):
            for name in ("a0", "s0"):
                for magic in ("", tracked):
                    session.run("b = None")
                    session.settle()
                    times.setdefault((name, magic), []).append(timed(session, f"{magic}b = {name}.copy()"))
        median = {key: statistics.median(values) for key, values in times.items()}
        plain, fixed = median["a0", ""], median["s0", tracked] - median["s0", ""]
        added = median["a0", tracked] - plain
        bench.record(
            f"%%track binding a {megabytes} MB array, end to end beyond a trivial tracked cell's",
            Result(
                max(added - fixed, 1e-3) * 1e3,  # at or below 0: within the noise
                plain * 1e3,
                "ms",
                note=f"vs b = a0.copy(); in all +{added * 1e3:.0f} ms, the fixed cost +{fixed * 1e3:.0f} ms",
            ),
        )
    _, outputs = session.run("%%track --quiet\nb = a0.copy()")
    assert all(o["type"] != "error" for o in outputs)
    session.run("del a0, b")


def big_notebook(path: Path, megabytes: int) -> None:
    """A notebook of ``megabytes`` MB: a tracked cell and a large output, as a plotting notebook has."""
    output = {"output_type": "stream", "name": "stdout", "text": ["x" * 1000 + "\n"] * (megabytes * 1000)}
    cells = [
        {
            "cell_type": "code",
            "id": "c1",
            "metadata": {},
            "source": "%%track --quiet\nx = 1",
            "execution_count": 1,
            "outputs": [output],
        },
    ]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(document))


def test_the_next_cell_runs_at_full_speed_while_the_run_completes(bench, project, kernel_session) -> None:
    notebook = project / "big.ipynb"
    megabytes = size(30, 1)
    big_notebook(notebook, megabytes)
    session = kernel_session(project, notebook)
    session.run("%load_ext jupyter_exp")
    timed(session, "%%track --quiet\nx = 1")  # warm: the store open
    busy = "sum(i * i for i in range(3_000_000))"  # the user's next cell: pure CPU
    alone, beside = [], []
    for _ in range(size(7, 1)):
        session.settle()
        alone.append(timed(session, busy))
        session.settle()
        timed(session, "%%track --quiet\nx = 1")
        beside.append(timed(session, busy))  # while the run snapshots the notebook and completes
    session.settle()
    result = bench.record(
        f"the next cell while the previous run completes ({megabytes} MB notebook)",
        Result(statistics.median(beside), statistics.median(alone), "s", note="vs the same cell alone"),
    )
    meets(result, 1 / 1.1, "the next cell at most 1.1x slower while the previous run completes")
