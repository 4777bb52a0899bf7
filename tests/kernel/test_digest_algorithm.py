"""A record whose ``state.json`` digests are sha256 (made before digests named their algorithm) replayed by
this version: the replayed cell digests with the record's algorithm, so its bound values are compared, not
listed as 'not compared' (issue 24, large values)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kernels import artifact_json, make_project, store
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel

SOURCES = [
    "%load_ext jupyter_exp",
    # as an earlier version digested (bare sha256); not part of the tracked cell's slice
    "import jupyter_exp.capture.state as _earlier\n_earlier.digest_as('sha256')",
    "%%track --name old\nimport numpy as np\ntext = 'done' * 2\nbig = np.arange(600_000.0) * 2\n"
    "fit = {'a': [1, 2], 'b': text}",
]


def test_a_sha256_record_replays_exact_with_its_values_compared(tmp_path: Path) -> None:
    recorded = record_session(make_project(tmp_path), SOURCES, [0, 1, 2])
    root, run_id = recorded["root"], recorded["runs"]["old"].info.run_id
    client = store(root)
    old = artifact_json(client, run_id, "state.json")["values"]
    assert sorted(old) == ["big", "fit", "text"]
    assert all(len(e["digest"]) == 64 and ":" not in e["digest"] for e in old.values())  # sha256, unnamed

    result = reproduce(root, run_id, slice=True)

    assert not any("digest_as" in step.source for step in result.plan.steps)  # told by the driver alone
    verdict = result.verdict
    assert verdict is not None and verdict.verdict == "exact", verdict.document()
    assert verdict.not_compared == {}
    assert sorted((c.name, c.status) for c in verdict.bound) == [
        ("big", "exact"),
        ("fit", "exact"),
        ("text", "exact"),
    ]
    assert result.run_id is not None
    replayed = artifact_json(client, result.run_id, "state.json")["values"]
    assert {name: e["digest"] for name, e in replayed.items()} == {n: e["digest"] for n, e in old.items()}
