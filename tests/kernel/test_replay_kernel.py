"""The replay kernel as the user sees it: nothing of its own start-up on the terminal or in the notebook, and
none of MLflow's import in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_exp import record_schema as schema
from tests.support.kernels import artifact_json, make_project, store
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel


def test_a_local_replay_kernel_warns_of_no_unencrypted_transport(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path)
    recorded = record_session(root, ["%load_ext jupyter_exp", "%%track --name tiny\nprint(1 + 1)"], [0, 1])
    capfd.readouterr()  # what the recording kernel printed
    result = reproduce(root, recorded["runs"]["tiny"].info.run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
    err = capfd.readouterr().err  # the replay kernel writes to the stderr it inherited from us
    assert "without encryption" not in err, err


# an IPython startup file of the test's own: every kernel marks that it started and, after any execution (the
# driver's silent ones too), whether MLflow is imported (being imported counts: it is in sys.modules then)
MARK_IMPORTS = """
import os, sys
from pathlib import Path
_marks = Path({marks!r})
(_marks / f"started-{{os.getpid()}}").touch()
def _mark_mlflow():
    if "mlflow" in sys.modules:
        (_marks / f"mlflow-{{os.getpid()}}").touch()
get_ipython().events.register("post_execute", _mark_mlflow)
"""


def test_the_replay_kernel_imports_no_mlflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow's import is seconds of a fresh kernel: the replay kernel creates its run straight in SQLite and
    the driver, whose MLflow is warm, delivers it; the read-only ``%runs`` (pandas and MLflow) is not replayed.
    The recording kernel, which delivers its own run, shows that the mark works."""
    marks = tmp_path / "marks"
    marks.mkdir()
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-mark-imports.py").write_text(MARK_IMPORTS.format(marks=str(marks)))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    root = make_project(tmp_path)
    sources = [
        "%load_ext jupyter_exp",
        "import random\nimport jupyter_exp",
        "%runs --limit 1",
        "%%track --name tiny\nlr = 0.1\nfor step in range(5):\n    jupyter_exp.log(step=step, loss=random.random() * lr)",
    ]
    recorded = record_session(root, sources, [0, 1, 2, 3])
    recording = {p.name for p in marks.iterdir()}
    assert any(name.startswith("mlflow-") for name in recording), recording
    original = recorded["runs"]["tiny"]
    result = reproduce(root, original.info.run_id)  # the full history
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert [(s.execution_count, s.reason) for s in result.plan.skipped] == [
        (1, "jupyter_exp is loaded by the replay"),
        (3, "read-only jupyter_exp magic"),
    ]
    replay = {p.name for p in marks.iterdir()} - recording
    assert len(replay) == 1 and replay.pop().startswith("started-"), "the replay kernel imported MLflow"
    client = store(root)
    run = client.get_run(result.run_id)  # delivered whole by the driver
    assert run.info.status == "FINISHED" and schema.END_REASON not in run.data.tags
    assert run.data.params == original.data.params

    def points(run_id: str) -> list[tuple[int, float]]:
        return [(m.step, m.value) for m in client.get_metric_history(run_id, "loss")]

    assert len(points(run.info.run_id)) == 5 and points(run.info.run_id) == points(original.info.run_id)
    assert artifact_json(client, result.run_id, "environment.json")["packages"]
