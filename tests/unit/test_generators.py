"""The generators bound in a namespace: where they are found, what is skipped, and setting them back."""

from __future__ import annotations

import random
import types

import numpy as np

from jupyter_exp.capture import generators


def test_generators_are_found_one_level_deep_and_set_back() -> None:
    holder = types.SimpleNamespace(gen=np.random.default_rng(1))
    namespace = {
        "rng": np.random.default_rng(0),
        "r": random.Random(0),
        "legacy": np.random.RandomState(0),
        "cfg": {"rng": np.random.default_rng(2)},
        "pair": [1, random.Random(3)],
        "holder": holder,
        "alias": None,
        "_hidden": random.Random(4),
        "sys_random": random.SystemRandom(),
        "deep": {"a": {"rng": np.random.default_rng(5)}},
    }
    namespace["alias"] = namespace["rng"]
    recorded = generators.namespace_states(namespace)
    assert [generators.describe(path) for path, _, _ in recorded] == [
        "rng",
        "r",
        "legacy",
        "cfg['rng']",
        "pair[1]",
        "holder.gen",
    ]  # an alias once, no SystemRandom (it has no state), nothing two levels down or behind an underscore
    expected = [
        namespace["rng"].random(),
        namespace["r"].random(),
        namespace["legacy"].rand(),
        namespace["cfg"]["rng"].random(),
        namespace["pair"][1].random(),
        holder.gen.random(),
    ]
    del namespace["legacy"]
    assert generators.restore(namespace, recorded) == ["legacy"]
    again = [
        namespace["rng"].random(),
        namespace["r"].random(),
        namespace["cfg"]["rng"].random(),
        namespace["pair"][1].random(),
        holder.gen.random(),
    ]
    assert again == expected[:2] + expected[3:]


def test_big_containers_are_not_looked_into() -> None:
    big = [np.random.default_rng(0), *range(generators.MAX_CONTAINER)]
    assert generators.namespace_states({"big": big, "small": big[:2]}) != []
    assert [generators.describe(p) for p, _, _ in generators.namespace_states({"big": big})] == []


def test_a_torch_generator_is_recorded_as_bytes_and_set_back() -> None:
    import torch

    namespace = {"gen": torch.Generator().manual_seed(7)}
    ((path, kind, state),) = generators.namespace_states(namespace)
    assert kind == "torch.Generator" and isinstance(state, bytes)
    first = torch.rand(3, generator=namespace["gen"])
    generators.restore(namespace, [(path, kind, state)])
    assert torch.equal(torch.rand(3, generator=namespace["gen"]), first)
