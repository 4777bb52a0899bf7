"""The comparison on the quickstart's own model, trained for real over seeds with ``%%track --seeds``: the same
configuration on other seeds is "no evidence", a learning rate of 0 (a model that never learns) is "worse"."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from jupyter_exp.query.comparison import compare_groups
from jupyter_exp.query.groups import resolve
from tests.support.kernels import OpenKernel, all_runs, store, write_notebook

pytestmark = pytest.mark.kernel

QUICKSTART = Path(__file__).parents[2] / "examples" / "quickstart.ipynb"
TRAIN = "lr = {lr}\nhidden = 64\nepochs = 12\nmodel, accuracy = train(lr=lr, hidden=hidden, epochs=epochs)"


def quickstart_setup() -> list[str]:
    """The quickstart's data and model cells, as the notebook has them."""
    cells = [c.source for c in nbformat.read(QUICKSTART, as_version=4).cells if c.cell_type == "code"]
    return [s for s in cells if s.startswith("import torch") or s.startswith("def train")]


def test_same_config_is_no_evidence_and_a_zero_learning_rate_is_worse(
    project: Path, kernel_session: OpenKernel
) -> None:
    setup = quickstart_setup()
    assert len(setup) == 2
    groups = {
        "base": ("0,1,2,3,4", 0.05),
        "again": ("5,6,7,8,9", 0.05),  # the same configuration, other seeds: only seed noise differs
        "broken": ("0,1,2,3,4", 0.0),  # paired with base by seed
    }
    cells = ["%load_ext jupyter_exp", *setup] + [
        f"%%track --seeds {seeds} --name {name} --quiet\n" + TRAIN.format(lr=lr)
        for name, (seeds, lr) in groups.items()
    ]
    notebook = project / "statistics.ipynb"
    ids = write_notebook(notebook, cells)
    session = kernel_session(project, notebook)
    for source, cell_id in zip(cells, ids, strict=True):
        outputs = session.run(source, cell_id)[1]
        assert not [o for o in outputs if o["type"] == "error"], (source, outputs)
    session.close()
    client = store(project)
    parents = {
        r.info.run_name: r.info.run_id for r in all_runs(client) if "jupyter_exp.group.seeds" in r.data.tags
    }
    assert sorted(parents) == ["again", "base", "broken"]
    sides = {name: resolve(client, run_id) for name, run_id in parents.items()}
    assert {name: len(side.runs) for name, side in sides.items()} == {"base": 5, "again": 5, "broken": 5}

    same = compare_groups([sides["base"], sides["again"]], ["eval/accuracy", "train/loss"])
    assert same.verdict("eval/accuracy").startswith("no evidence"), repr(same)
    assert same.verdict("train/loss").startswith("no evidence"), repr(same)

    broken = compare_groups([sides["base"], sides["broken"]], ["eval/accuracy", "train/loss"])
    assert broken.verdict("eval/accuracy") == "worse", repr(broken)
    assert broken.verdict("train/loss") == "worse", repr(broken)  # loss: lower is better
    accuracy = {name: [r.data.metrics["eval/accuracy"] for r in side.runs] for name, side in sides.items()}
    assert min(accuracy["base"]) > 0.9 and max(accuracy["broken"]) < 0.5  # what the verdicts rest on
