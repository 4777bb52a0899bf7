"""``%runs --sweep NAME`` in a real kernel: a sweep's parent and trials (recorded in the project's real
store as ``%%track --sweep`` records them), nothing else; ``compare()`` takes two of its trials."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.kernels import KernelSession, make_project, store
from tests.support.sweeps import record_sweep

pytestmark = pytest.mark.kernel


def _text(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for output in outputs:
        data = output.get("data", {})
        parts += [output.get("text", ""), data.get("text/plain", ""), output.get("evalue", "")]
    return "\n".join(parts)


def test_runs_of_a_sweep_and_compare_of_its_trials(tmp_path, kernel_session) -> None:
    root = make_project(tmp_path)
    client = store(root)
    experiment = client.create_experiment("swept")
    sweep = record_sweep(client, experiment, name="lr-search", trials=3, prune=())
    other = record_sweep(client, experiment, name="other", trials=2, prune=())
    session: KernelSession = kernel_session(root)
    session.run("%load_ext jupyter_exp")

    _, outputs = session.run("%runs --all --sweep lr-search --limit 50")
    text = _text(outputs)
    assert "UsageError" not in text and not any(o["type"] == "error" for o in outputs), text
    for run_id in [sweep.parent, *sweep.trials.values()]:
        assert run_id[:8] in text
    for run_id in [other.parent, *other.trials.values()]:
        assert run_id[:8] not in text

    first, second = sweep.trials[0], sweep.trials[1]
    _, outputs = session.run(f"import jupyter_exp\njupyter_exp.compare('{first[:8]}', '{second[:8]}')")
    text = _text(outputs)
    assert not any(o["type"] == "error" for o in outputs), text
    assert "score" in text
