"""One ``Bench`` for the session: its table is printed and its JSON written at the end."""

from __future__ import annotations

import pytest

from .harness import ROOT, SMOKE, Bench


@pytest.fixture(scope="session")
def bench():
    results = Bench()
    yield results
    if not results.results:
        return
    target = ROOT / ("build/bench-smoke.json" if SMOKE else "bench-results.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    results.write(target)
    print(f"\n\n{'smoke run (sizes shrunk): ' if SMOKE else ''}benchmark medians, written to {target}\n")
    print(results.table())
