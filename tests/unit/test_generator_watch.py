"""The per-cell look for generators bound to names, in a real shell: it finds what a full scan finds, but
looks only at what the cells since the last look changed (issue 24: flat in the namespace)."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_exp.capture import generators
from jupyter_exp.capture.notebook import OBJECTS_KEY, ExecutionHistory


class CountingDict(dict[str, Any]):
    """A small config whose items() counts how often a scan looked into it."""

    looks = 0

    def items(self) -> Any:
        CountingDict.looks += 1
        return super().items()


@pytest.fixture
def shell():
    instance = InteractiveShell.instance()
    history = ExecutionHistory()
    history.register(instance)
    yield instance, history
    history.unregister(instance)
    for name in ("rng", "cfg", "holder", "late", "other", "quiet", "made", "np"):
        instance.user_ns.pop(name, None)


def places(history: ExecutionHistory) -> list[str]:
    current = history.entries[-1]
    return [generators.describe(path) for path, _, _ in current.rng_states.get(OBJECTS_KEY, [])]


def test_unchanged_values_are_not_looked_into_again(shell) -> None:
    instance, _ = shell
    instance.user_ns["quiet"] = CountingDict(lr=0.1)
    instance.run_cell("x = 1", store_history=True)  # the first look is a full scan
    looks = CountingDict.looks
    for _ in range(5):
        instance.run_cell("x = 1", store_history=True)
    assert CountingDict.looks == looks  # a full scan every cell looked into it 5 more times
    instance.run_cell("quiet['lr'] = 0.2", store_history=True)
    instance.run_cell("x = 1", store_history=True)
    assert CountingDict.looks == looks + 1  # mentioned by the cell before: looked at once


def test_what_a_full_scan_finds_is_found(shell) -> None:
    instance, history = shell
    instance.run_cell("import numpy as np, random\nrng = np.random.default_rng(0)", store_history=True)
    instance.run_cell("cfg = {'gen': random.Random(1)}\nclass H: pass\nholder = H()", store_history=True)
    instance.run_cell("holder.gen = np.random.default_rng(2)", store_history=True)
    instance.run_cell(
        "globals()['la' + 'te'] = random.Random(3)", store_history=True
    )  # a new key no cell names
    instance.run_cell("rng.random()", store_history=True)
    before = instance.user_ns["rng"].bit_generator.state
    instance.run_cell("x = 1", store_history=True)
    assert places(history) == ["rng", "cfg['gen']", "holder.gen", "late"]
    assert places(history) == [
        generators.describe(p) for p, _, _ in generators.namespace_states(instance.user_ns)
    ]
    recorded = {generators.describe(p): s for p, _, s in history.entries[-1].rng_states[OBJECTS_KEY]}
    assert recorded["rng"] == before  # a known generator's state is read again every cell
    instance.run_cell("del rng\ncfg['gen'] = None\nother = 1", store_history=True)
    instance.run_cell("made = (lambda: globals().update(rng=np.random.default_rng(4)))()", store_history=True)
    instance.run_cell("x = 1", store_history=True)
    assert places(history) == ["holder.gen", "late", "rng"]
