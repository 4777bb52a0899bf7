"""Generators seeded from OS entropy when their library is imported come back on replay: data an
untracked cell drew right after ``import torch`` (or numpy) is the same in the replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kernels import make_project
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel

SOURCES = [
    "%load_ext jupyter_exp",
    "import torch\ndata = torch.randn(8)",  # torch 2.13 seeds its generator from OS entropy at import
    "%%track --name uses-earlier-data\nimport jupyter_exp\n"
    "jupyter_exp.log(step=0, total=float(data.sum()))\nprint(round(float(data.sum()), 6))",
]


def test_data_drawn_right_after_import_torch_reproduces(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    recorded = record_session(root, SOURCES, [0, 1, 2])
    run = recorded["runs"]["uses-earlier-data"]
    result = reproduce(root, run.info.run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
