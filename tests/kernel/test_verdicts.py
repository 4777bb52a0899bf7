"""What the verdict compares, end to end: a record made in a real kernel, replayed in a fresh one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import artifact_json, init_repo, store
from .test_reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel


def recorded_cell(tmp_path: Path, *cells: str) -> tuple[Path, str]:
    """A project whose notebook runs ``cells`` after loading the extension; the last one is tracked."""
    root = tmp_path / "project"
    root.mkdir()
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
