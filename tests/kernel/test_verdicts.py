"""What the verdict compares, end to end: a record made in a real kernel, replayed in a fresh one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_exp.ipython.widgets import ReproductionReport
from tests.support.git import init_repo
from tests.support.kernels import artifact, artifact_json, store
from tests.support.reproduce import location, record_session, reproduce

pytestmark = pytest.mark.kernel


def recorded_cell(tmp_path: Path, *cells: str) -> tuple[Path, str]:
    """A project whose notebook runs ``cells`` after loading the extension; the last one is tracked."""
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    init_repo(root)
    sources = ["%load_ext jupyter_exp", *cells]
    recorded = record_session(root, sources, list(range(len(sources))))
    (run,) = [r for r in recorded["runs"].values() if "reproduced_from" not in r.data.tags]
    return root, run.info.run_id


def test_a_cell_with_nothing_to_compare_is_unverified(tmp_path: Path) -> None:
    root, run_id = recorded_cell(tmp_path, "%%track --name quiet\nimport math")
    result = reproduce(root, run_id)
    assert result.verdict.verdict == "unverified", result.verdict.summary
    assert result.verdict.summary == "nothing to compare: no metrics, outputs, figures or bound values"
    client = store(root)
    assert client.get_run(result.run_id).data.tags["jupyter_exp.reproduction.verdict"] == "unverified"
    document: dict[str, Any] = artifact_json(client, result.run_id, "reproduction.json")
    assert document["verdict"] == "unverified" and document["compared"]["metrics"] == 0


FIGURE_CELLS = [
    "shift = float(open('shift.txt').read())",
    "%%track --name plot\nimport matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [0, shift, 2]);",
]


def test_a_figure_is_recorded_and_compared_by_its_pixels(tmp_path: Path) -> None:
    (tmp_path / "project" / "nb").mkdir(parents=True)
    (tmp_path / "project" / "nb" / "shift.txt").write_text("1.0")
    root, run_id = recorded_cell(tmp_path, *FIGURE_CELLS)
    client = store(root)
    assert artifact_json(client, run_id, "outputs.json")["figures"] == ["figures/figure-1.png"]
    assert artifact(client, run_id, "figures/figure-1.png").read_bytes().startswith(b"\x89PNG")

    same = reproduce(root, run_id)
    assert same.verdict.verdict == "exact", same.verdict.summary
    assert same.verdict.summary == "0 metrics, 1 output line and 1 figure identical"  # <Figure size ...>
    document = artifact_json(client, same.run_id, "reproduction.json")
    assert document["compared"]["figures"] == 1 and document["figures"][0]["differing"] == 0
    assert artifact(client, same.run_id, "figures/figure-1.png").exists()  # both images are kept

    (root / "nb" / "shift.txt").write_text("1.5")
    changed = reproduce(root, run_id)
    assert changed.verdict.verdict == "diverged", changed.verdict.summary
    (figure,) = changed.verdict.figures
    assert 0 < figure.differing < figure.pixels
    assert changed.verdict.summary == f"figure differs: {figure.describe()}"


BINDING_CELLS = [
    "import numpy as np\noffset = float(open('offset.txt').read())",
    "%%track --name bind\nw = np.random.randn(6) + offset\nb = float(w.sum())",
]


def test_a_cell_that_only_binds_values_is_verified_by_their_digests(tmp_path: Path) -> None:
    (tmp_path / "project" / "nb").mkdir(parents=True)
    (tmp_path / "project" / "nb" / "offset.txt").write_text("0.5")
    root, run_id = recorded_cell(tmp_path, *BINDING_CELLS)
    client = store(root)
    recorded = artifact_json(client, run_id, "state.json")
    assert sorted(recorded["values"]) == ["b", "w"] and recorded["values"]["w"]["summary"] == "float64 (6,)"

    same = reproduce(root, run_id)
    assert same.verdict.verdict == "exact", same.verdict.summary
    assert same.verdict.summary == "0 metrics and 2 bound values identical"

    (root / "nb" / "offset.txt").write_text("0.501")
    changed = reproduce(root, run_id)
    assert changed.verdict.verdict == "diverged", changed.verdict.summary
    by_name = {b.name: b for b in changed.verdict.bound}
    assert by_name["w"].describe() == "w: 6 of 6 elements differ, max abs 0.001"
    document = artifact_json(client, changed.run_id, "reproduction.json")
    assert document["compared"]["bound values"] == 2
    table = repr(ReproductionReport(changed, location(root)))
    assert "diverged: 6 of 6 elements differ, max abs 0.001" in table  # the row of w
