"""Every example notebook runs top to bottom in a real kernel and records its tracked cells."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from jupyter_exp.reproduce.kernel_run import execute_notebook

from .conftest import all_runs, kernel_env, store

pytestmark = pytest.mark.kernel

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.ipynb"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_and_records(example: Path, tmp_path: Path) -> None:
    copy = tmp_path / example.name
    shutil.copy(example, copy)
    tracked = [c for c in nbformat.read(copy, as_version=4).cells if c.source.startswith("%%track")]
    executed = execute_notebook(copy, env=kernel_env(tmp_path), timeout=300)
    assert all(o.output_type != "error" for c in executed.cells for o in c.get("outputs", []))
    runs = all_runs(store(tmp_path))
    assert len(runs) == len(tracked) > 0
    assert {r.info.status for r in runs} == {"FINISHED"}
    for run in runs:
        assert "eval/accuracy" in run.data.metrics or "quickstart" not in example.name
        assert run.data.tags["mlflow.source.name"] == example.name


def test_examples_exist() -> None:
    assert any(p.name == "quickstart.ipynb" for p in EXAMPLES)
