"""What recording the generators bound in the namespace costs every cell the kernel runs: the scan of a
busy namespace (hundreds of names, big arrays and containers, a few generators) next to the global states
alone, which every cell already pays for."""

from __future__ import annotations

import random
import types

import numpy as np

from jupyter_exp.capture.notebook import cell_rng_states
from jupyter_exp.capture.seeds import global_rng_states

from .harness import Result, median_time, size


def busy_namespace() -> dict[str, object]:
    namespace: dict[str, object] = {f"x{i}": float(i) for i in range(200)}
    namespace.update({f"arr{i}": np.zeros(1000) for i in range(50)})
    namespace.update({f"fn{i}": (lambda: None) for i in range(50)})
    namespace.update(
        {"np": np, "random": random, "big_list": list(range(10**6)), "big_dict": dict.fromkeys(range(10**5))}
    )
    namespace.update({f"cfg{i}": {"lr": 0.1, "layers": [64, 64], "name": "mlp"} for i in range(20)})
    namespace.update({f"obj{i}": types.SimpleNamespace(a=1, b=np.zeros(3), c="x") for i in range(20)})
    namespace.update(
        {"rng": np.random.default_rng(0), "r": random.Random(0), "holder": {"gen": np.random.default_rng(1)}}
    )
    namespace["Out"] = {n: np.zeros(10) for n in range(500)}
    return namespace


def test_namespace_generators_per_cell(bench) -> None:
    namespace = busy_namespace()
    states = cell_rng_states(namespace)
    assert [entry[0] for entry in states["objects"]] == [
        (("name", "rng"),),
        (("name", "r"),),
        (("name", "holder"), ("item", "gen")),
    ]
    repeat = size(200, 5)
    ours = median_time(lambda: cell_rng_states(namespace), repeat)
    baseline = median_time(global_rng_states, repeat)
    bench.record(
        "rng states before each cell (busy namespace), ms",
        Result(
            ours * 1e3, baseline * 1e3, "ms", note=f"{len(namespace)} names; baseline: global states only"
        ),
    )
    assert ours < 0.005  # well under the 5 ms a cell may spend on its bookkeeping
