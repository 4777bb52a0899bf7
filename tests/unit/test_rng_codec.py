"""Generator states as checked JSON: every kind the record holds comes back and restores the same draws;
anything else is refused with StateFormatError, never turned into an object."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from jupyter_exp.capture import generators, rng_codec
from jupyter_exp.capture.notebook import OBJECTS_KEY, cell_rng_states
from jupyter_exp.capture.seeds import restore_rng_states


@pytest.mark.parametrize("bits", ["PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"])
def test_numpy_generators_round_trip(bits: str) -> None:
    generator = np.random.Generator(getattr(np.random, bits)(7))
    generator.normal(size=3)
    state = rng_codec.loads(rng_codec.dumps(generators.get_state("numpy.Generator", generator)))
    expected = generator.normal(size=5)
    generators.set_state("numpy.Generator", generator, state)
    assert np.array_equal(generator.normal(size=5), expected)


def test_global_and_bound_states_restore_the_same_draws() -> None:
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    namespace = {
        "rng": random.Random(4),
        "legacy": np.random.RandomState(5),
        "gen": torch.Generator().manual_seed(6),
    }
    states = cell_rng_states(namespace)
    draws = (random.random(), np.random.rand(), torch.rand(2).tolist(), namespace["rng"].random())
    bound = (namespace["legacy"].rand(), torch.rand(1, generator=namespace["gen"]).item())

    decoded = rng_codec.loads(rng_codec.dumps(states))
    restore_rng_states(decoded)
    missing = generators.restore(namespace, decoded[OBJECTS_KEY])
    assert missing == []
    assert (random.random(), np.random.rand(), torch.rand(2).tolist(), namespace["rng"].random()) == draws
    assert (namespace["legacy"].rand(), torch.rand(1, generator=namespace["gen"]).item()) == bound


@pytest.mark.parametrize(
    "document",
    [
        {"py/object": "os.system"},  # a tag this format does not have
        {"tuple": [1], "dict": {}},  # two tags
        {"ndarray": {"dtype": "O", "shape": [1], "data": ""}},  # object arrays hold code paths
        {"ndarray": {"dtype": "<U4", "shape": [1], "data": "AAAAAA=="}},
        {"ndarray": {"dtype": "<u4", "shape": [2], "data": "AAAAAA=="}},  # 4 bytes for 8
        {"ndarray": {"dtype": "<u4", "shape": [-1], "data": ""}},
        {"bytes": "not base64!"},
        {"float": "1e999"},
        {"dict": {"a": {"tuple": "no list"}}},
    ],
)
def test_anything_else_is_refused(document: object) -> None:
    with pytest.raises(rng_codec.StateFormatError):
        rng_codec.loads(json.dumps(document))


def test_deep_nesting_and_foreign_types_are_refused() -> None:
    deep: object = 1
    for _ in range(rng_codec.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(rng_codec.StateFormatError, match="too deep"):
        rng_codec.decode(deep)
    with pytest.raises(rng_codec.StateFormatError, match="object"):
        rng_codec.encode({"x": object()})


def test_non_finite_floats_stay_valid_json() -> None:
    text = rng_codec.dumps((float("nan"), float("inf"), -0.5))
    assert "NaN" not in text and "Infinity" not in text
    nan, inf, half = rng_codec.loads(text)
    assert nan != nan and inf == float("inf") and half == -0.5
