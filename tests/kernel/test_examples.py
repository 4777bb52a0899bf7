"""Every example notebook runs top to bottom in a real kernel and records its tracked cells."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.reproduce.kernel_run import execute_notebook
from jupyter_exp.reproduce.replay import ReproduceOptions, reproduce_blocking
from tests.support.kernels import all_runs, kernel_env, store

pytestmark = pytest.mark.kernel

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.ipynb"))


def runs_made(source: str) -> int:
    """A %%track cell records one run; with --seeds S,S,... or --repeat N, a parent and one child per seed;
    with --sweep NAME --trials N, a parent and one child per trial."""
    words = source.splitlines()[0].split()
    for option, count in (("--seeds", lambda v: len(v.split(","))), ("--repeat", int), ("--trials", int)):
        if option in words:
            return 1 + count(words[words.index(option) + 1])
    return 1


@dataclass(frozen=True)
class Executed:
    root: Path
    notebook: Path
    cells: list[Any]  # as executed, with their outputs
    runs: list[Any]  # the store's runs right after the notebook ran


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Executed]:
    """Each example run top to bottom once for the module (the quickstart's seed groups take a while)."""
    done: dict[str, Executed] = {}

    def run(example: Path) -> Executed:
        if example.name not in done:
            root = tmp_path_factory.mktemp(example.stem)
            copy = root / example.name
            shutil.copy(example, copy)
            notebook = execute_notebook(copy, env=kernel_env(root), timeout=300)
            done[example.name] = Executed(root, copy, list(notebook.cells), all_runs(store(root)))
        return done[example.name]

    return run


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_and_records(example: Path, executed: Callable[[Path], Executed]) -> None:
    ran = executed(example)
    copy = ran.notebook
    tracked = [c for c in nbformat.read(copy, as_version=4).cells if c.source.startswith("%%track")]
    assert all(o.output_type != "error" for c in ran.cells for o in c.get("outputs", []))
    runs = ran.runs
    originals = [r for r in runs if "jupyter_exp.reproduced_from" not in r.data.tags]
    assert len(originals) == sum(runs_made(c.source) for c in tracked) > 0
    pruned = [r for r in runs if r.data.tags.get("jupyter_exp.end_reason") == "pruned"]  # a sweep's
    assert {r.info.status for r in runs if r not in pruned} == {"FINISHED"}
    assert {r.info.status for r in pruned} <= {"KILLED"}
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


def test_quickstart_reproduces_exactly_on_cpu(executed: Callable[[Path], Executed]) -> None:
    """The bar: the quickstart's last run (a config dict, an explicit seed, two tracked cells before it)
    replays in a fresh kernel with verdict exact."""
    ran = executed(EXAMPLES[[p.name for p in EXAMPLES].index("quickstart.ipynb")])
    last = ran.runs[-1]
    result = reproduce_blocking(
        last.info.run_id, resolve_store(JupyterExp(root=str(ran.root))), ReproduceOptions(slice=False)
    )
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert [m.key for m in result.verdict.metrics] == ["eval/accuracy", "train/loss"]
    assert [m.steps for m in result.verdict.metrics] == [12, 12]
    assert sum(s.tracked for s in result.plan.steps) == 3  # two earlier tracked cells replayed unrecorded
    earlier = [s for s in result.plan.steps if s.tracked and not s.target]
    assert [s.seed for s in earlier] == [4, 4]  # the --seeds groups, once each, as their last seed left them


def test_examples_exist() -> None:
    assert any(p.name == "quickstart.ipynb" for p in EXAMPLES)
