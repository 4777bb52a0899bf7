"""Randomness beyond the global generators comes back on replay: generator objects bound to names in
earlier cells, and fresh entropy drawn inside the tracked cell; entropy that cannot come back is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import init_repo
from .test_reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel


def recorded(tmp_path: Path, *cells: str) -> tuple[Path, str]:
    root = tmp_path / "project"
    root.mkdir()
    init_repo(root)
    session = record_session(root, ["%load_ext jupyter_exp", *cells], list(range(len(cells) + 1)))
    (run,) = session["runs"].values()
    return root, run.info.run_id


GENERATOR_CELLS = [
    "import random\nimport numpy as np\nrng = np.random.default_rng()\nr = random.Random()\n"
    "legacy = np.random.RandomState()\nholder = {'gen': np.random.default_rng()}",
    "warmup = rng.normal(size=3)",  # the generator moved on in an untracked cell
    "%%track --name uses-generators\nimport jupyter_exp\n"
    "jupyter_exp.log(step=0, a=float(rng.normal()), b=r.random(), c=float(legacy.rand()),"
    " d=float(holder['gen'].random()))\nprint(rng.integers(1000, size=4), r.randint(0, 1000))",
]


def test_generators_bound_in_earlier_cells_come_back(tmp_path: Path) -> None:
    root, run_id = recorded(tmp_path, *GENERATOR_CELLS)
    result = reproduce(root, run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert [m.key for m in result.verdict.metrics] == ["a", "b", "c", "d"]
