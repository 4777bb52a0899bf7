"""Every example notebook runs top to bottom in a real kernel and records its tracked cells."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.reproduce.kernel_run import execute_notebook
from jupyter_exp.reproduce.replay import ReproduceOptions, reproduce_blocking

from .conftest import all_runs, kernel_env, store

pytestmark = pytest.mark.kernel

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.ipynb"))


def runs_made(source: str) -> int:
    """A %%track cell records one run; with --seeds S,S,... or --repeat N, a parent and one child per seed."""
    words = source.splitlines()[0].split()
    for option, count in (("--seeds", lambda v: len(v.split(","))), ("--repeat", int)):
        if option in words:
            return 1 + count(words[words.index(option) + 1])
    return 1


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_and_records(example: Path, tmp_path: Path) -> None:
    copy = tmp_path / example.name
    shutil.copy(example, copy)
    tracked = [c for c in nbformat.read(copy, as_version=4).cells if c.source.startswith("%%track")]
    executed = execute_notebook(copy, env=kernel_env(tmp_path), timeout=300)
    assert all(o.output_type != "error" for c in executed.cells for o in c.get("outputs", []))
    runs = all_runs(store(tmp_path))
    originals = [r for r in runs if "jupyter_exp.reproduced_from" not in r.data.tags]
    assert len(originals) == sum(runs_made(c.source) for c in tracked) > 0
    assert {r.info.status for r in runs} == {"FINISHED"}
    for run in runs:
        parent = "jupyter_exp.group.seeds" in run.data.tags
        accuracy = "eval/accuracy/mean" if parent else "eval/accuracy"
        assert accuracy in run.data.metrics or "quickstart" not in example.name
        assert run.data.tags["mlflow.source.name"] == example.name
    reproductions = [r.data.tags["jupyter_exp.reproduction.verdict"] for r in runs if r not in originals]
    expected = [
        c.source.split()[1:]
        for c in nbformat.read(copy, as_version=4).cells
        if c.source.startswith("%reproduce")
    ]
    assert len(reproductions) == len(expected)
    assert reproductions == ["varied" if "--set" in words else "exact" for words in expected]


def test_quickstart_reproduces_exactly_on_cpu(tmp_path: Path) -> None:
    """The bar: the quickstart's last run (a config dict, an explicit seed, two tracked cells before it)
    replays in a fresh kernel with verdict exact."""
    copy = tmp_path / "quickstart.ipynb"
    shutil.copy(EXAMPLES[[p.name for p in EXAMPLES].index("quickstart.ipynb")], copy)
    execute_notebook(copy, env=kernel_env(tmp_path), timeout=300)
    last = all_runs(store(tmp_path))[-1]
    result = reproduce_blocking(
        last.info.run_id, resolve_store(JupyterExp(root=str(tmp_path))), ReproduceOptions()
    )
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert [m.key for m in result.verdict.metrics] == ["eval/accuracy", "train/loss"]
    assert [m.steps for m in result.verdict.metrics] == [12, 12]
    assert sum(s.tracked for s in result.plan.steps) == 3  # two earlier tracked cells replayed unrecorded
    earlier = [s for s in result.plan.steps if s.tracked and not s.target]
    assert [s.seed for s in earlier] == [4, 4]  # the --seeds groups, once each, as their last seed left them


def test_examples_exist() -> None:
    assert any(p.name == "quickstart.ipynb" for p in EXAMPLES)
