"""Files the tracked cell reads: recorded in inputs.json, listed by the drift when they changed or vanished,
named by the verdict when the replay diverges."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kernels import artifact_json, make_project, store
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel

CELLS = [
    "%load_ext jupyter_exp",
    "%%track --name reads-data\nimport jupyter_exp\nrows = open('../data/train.csv').read().split()\n"
    "open('scratch.txt', 'w').write('not an input')\n"
    "jupyter_exp.log(step=0, total=float(sum(float(r) for r in rows)))",
]


def test_a_changed_input_is_drift_and_named_by_the_diverged_verdict(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / ".gitignore").write_text("data/\n")
    (root / "data").mkdir()
    (root / "data" / "train.csv").write_text("1\n2\n3\n")
    run = record_session(root, CELLS, [0, 1])["runs"]["reads-data"]
    (recorded,) = artifact_json(store(root), run.info.run_id, "inputs.json")
    assert recorded["path"] == "data/train.csv" and recorded["size"] == 6 and len(recorded["sha256"]) == 64

    (root / "data" / "train.csv").write_text("1\n2\n4\n")  # same size, other content
    planned = reproduce(root, run.info.run_id, dry_run=True)
    assert [d.row() for d in planned.drift if d.what == "input"] == [
        ("input", "data/train.csv (6 bytes)", "changed: 6 bytes now")
    ]
    result = reproduce(root, run.info.run_id)
    assert result.verdict.verdict == "diverged", result.verdict.summary
    assert result.verdict.summary.endswith("; inputs changed since the run: data/train.csv")
    document = artifact_json(store(root), result.run_id, "reproduction.json")
    assert document["changed_inputs"] == ["data/train.csv"]

    (root / "data" / "train.csv").unlink()
    gone = reproduce(root, run.info.run_id, dry_run=True)
    assert [d.row() for d in gone.drift if d.what == "input"] == [
        ("input", "data/train.csv (6 bytes)", "vanished")
    ]
