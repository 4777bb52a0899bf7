"""Verdict context: the determinism settings a run was computed under are recorded; --deterministic gives the
replay kernel CUBLAS_WORKSPACE_CONFIG from its start (before CUDA can initialise); a verdict reached under
other settings says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kernels import artifact_json, make_project, store
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel

CELLS = [
    "%load_ext jupyter_exp",
    "import os\ncublas_at_start = os.environ.get('CUBLAS_WORKSPACE_CONFIG')",
    "%%track --name det\nimport sys\nprint('cublas', cublas_at_start, file=sys.stderr)\nprint(6 * 7)",
]


def test_deterministic_replays_start_with_cublas_set_and_the_verdict_says_what_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    root = make_project(tmp_path)
    run = record_session(root, CELLS, [0, 1, 2])["runs"]["det"]
    assert run.data.tags["jupyter_exp.determinism"] == "CUBLAS_WORKSPACE_CONFIG="
    result = reproduce(root, run.info.run_id, deterministic=True)
    assert result.verdict.verdict == "exact", result.verdict.summary
    client = store(root)
    streams = artifact_json(client, result.run_id, "outputs.json")["outputs"]
    assert {"name": "stderr", "text": "cublas :4096:8\n"} in streams  # set before the first cell ran
    settings = client.get_run(result.run_id).data.tags["jupyter_exp.determinism"]
    assert "torch.deterministic_algorithms=true" in settings and "cudnn.benchmark=false" in settings
    assert (
        "with other determinism settings (CUBLAS_WORKSPACE_CONFIG unset → :4096:8" in result.verdict.summary
    )
    context = artifact_json(client, result.run_id, "reproduction.json")["context"]
    assert context["original"]["libraries"]["numpy"] and context["original"]["device"] == "cpu"
    assert context["differences"][0].startswith("with other determinism settings")
