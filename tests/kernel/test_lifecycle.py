"""FINISHED / FAILED / KILLED, nested and stale runs, history order, bad input: in real kernels."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.tracking.store import client_for
from tests.support.kernels import (
    OpenKernel,
    all_runs,
    artifact,
    artifact_json,
    run_notebook,
    store,
    texts,
)

pytestmark = pytest.mark.kernel

FAILING_BODY = "x = 1\ndef inner():\n    raise ValueError('boom')\ninner()"


def test_failure_is_recorded_and_shown_as_untracked(project: Path) -> None:
    sources = ["%load_ext jupyter_exp", "%%track --quiet\n" + FAILING_BODY, FAILING_BODY]
    executed, _ = run_notebook(project / "fail.ipynb", sources, project, allow_errors=True)
    (run,) = all_runs(store(project))
    assert run.info.status == "FAILED"
    tracked_error = next(o for o in executed.cells[1].outputs if o.output_type == "error")
    untracked_error = next(o for o in executed.cells[2].outputs if o.output_type == "error")
    assert (tracked_error.ename, tracked_error.evalue) == (untracked_error.ename, untracked_error.evalue)
    assert (tracked_error.ename, tracked_error.evalue) == ("ValueError", "boom")
    # the user's frames read the same; the magic's own frames are hidden
    assert "raise ValueError('boom')" in "".join(tracked_error.traceback)
    for ours in ("magics.py", "tracked_cell.py", "execution.py", "cell_code.py"):
        assert ours not in "".join(tracked_error.traceback)
    traceback_text = artifact(store(project), run.info.run_id, "traceback.txt").read_text()
    assert "ValueError: boom" in traceback_text
    assert "inner()" in traceback_text
    assert "\x1b[" not in traceback_text
    assert artifact_json(store(project), run.info.run_id, "history.json")[-1]["success"] is False


def test_outputs_are_the_same_as_untracked(project: Path) -> None:
    body = (
        "import sys\nfrom IPython.display import display\n"
        "print('to stdout')\nprint('to stderr', file=sys.stderr)\ndisplay({'shown': 1})\n40 + 2"
    )
    sources = [
        "%load_ext jupyter_exp",
        "%%track --quiet\n" + body,
        body,
        "%%track\n" + body,
        "%%track\n1 + 1;",
    ]
    executed, _ = run_notebook(project / "outputs.ipynb", sources, project)

    def visible(cell):
        return [
            (o.output_type, o.get("name"), o.get("text"), o.get("data", {}).get("text/plain"))
            for o in cell.outputs
            if "application/vnd.jupyter.widget-view+json" not in o.get("data", {})
        ]

    assert visible(executed.cells[1]) == visible(executed.cells[2])
    assert visible(executed.cells[3]) == visible(executed.cells[2])
    card = [
        o
        for o in executed.cells[3].outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(card) == 1 and "jupyter-exp" in card[0].data["text/plain"]
    assert [o for o in executed.cells[4].outputs if o.output_type == "execute_result"] == []
    runs = all_runs(store(project))
    assert [r.info.status for r in runs] == ["FINISHED"] * 3


def test_interrupt_marks_the_run_killed(project: Path, kernel_session: OpenKernel) -> None:
    # create the store the way the kernel would, so that polling it below never creates it first
    # (MLflow would give its Default experiment an artifact root relative to this process's cwd)
    client_for(resolve_store(JupyterExp(root=str(project))))
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    msg_id = session.send("%%track --quiet\nimport time\nfor _ in range(600):\n    time.sleep(0.1)")
    client = store(project)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if client.search_experiments() and all_runs(client):
            break
        time.sleep(0.2)
    (run,) = all_runs(client)
    assert run.info.status == "RUNNING"
    time.sleep(0.5)
    session.km.interrupt_kernel()
    reply, _ = session.wait(msg_id)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    session.settle()  # the run is ended after the cell returned
    assert client.get_run(run.info.run_id).info.status == "KILLED"
    reply, outputs = session.run("print('alive')")  # the kernel goes on
    assert reply["status"] == "ok" and outputs[0]["text"] == "alive\n"


def test_user_runs_nest_and_stale_runs_never_block(project: Path) -> None:
    uri = f"sqlite:///{project / 'mlflow.db'}"
    sources = [
        "%load_ext jupyter_exp",
        f"import mlflow\nmlflow.set_tracking_uri({uri!r})\nstale = mlflow.start_run(run_name='left-open')",
        "%%track --quiet --name parent\n"
        "with mlflow.start_run(run_name='child'):\n    mlflow.log_param('inner', 1)\n"
        "mlflow.start_run(run_name='unclosed')\nmlflow.log_metric('in_unclosed', 1.0)",
        "print(mlflow.active_run().info.run_id == stale.info.run_id, mlflow.get_run(stale.info.run_id).info.status)",
        "%%track --quiet --name second\nmlflow.log_metric('m', 2.0)",
    ]
    executed, _ = run_notebook(project / "nested.ipynb", sources, project)
    runs = {r.info.run_name: r for r in all_runs(store(project))}
    parent = runs["parent"]
    assert parent.info.status == "FINISHED"
    for child in ("child", "unclosed"):
        assert runs[child].data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert runs[child].info.experiment_id == parent.info.experiment_id
        assert runs[child].info.status == "FINISHED"
    # the user's own open run is active again after the tracked cell, untouched (MLflow ends it at exit)
    assert texts(executed.cells[3]) == "True RUNNING\n"
    assert runs["second"].info.status == "FINISHED"
    assert runs["second"].data.metrics == {**runs["second"].data.metrics, "m": 2.0}


def test_history_is_in_execution_order(project: Path, kernel_session: OpenKernel) -> None:
    notebook = project / "order.ipynb"
    session = kernel_session(project, notebook)
    session.run("%load_ext jupyter_exp", "load")
    session.run("x = 1", "cell-a")
    session.run("x = x * 10", "cell-b")
    session.run("x = x + 5", "cell-a2")
    session.run("x = x * 10", "cell-b")  # re-executed out of order
    reply, outputs = session.run("%%track --quiet\ny = x + 1\nprint(y)", "cell-t")
    assert reply["status"] == "ok" and outputs[-1]["text"] == "151\n"
    session.close()
    (run,) = all_runs(store(project))
    history = artifact_json(store(project), run.info.run_id, "history.json")
    # the cell that loads the extension runs before its hook exists: known by source, not by id
    assert [h["cell_id"] for h in history] == [None, "cell-a", "cell-b", "cell-a2", "cell-b", "cell-t"]
    assert history[0]["source"] == "%load_ext jupyter_exp"
    assert [h["execution_count"] for h in history] == [1, 2, 3, 4, 5, 6]
    assert run.data.tags["jupyter_exp.cell.id"] == "cell-t"
    assert run.data.params["x"] == "150"


BAD_LINES = [
    ("--bogus", "unrecognized arguments: --bogus"),
    ("--tag novalue", "--tag must look like key=value"),
    ("--param =3", "--param must look like key=value"),
    ("--seed abc", "invalid int value: 'abc'"),
    ("--seed 1 --no-seed", "cannot be used together"),
    ("--config missing_cfg", "no variable named 'missing_cfg'"),
    ("--config width", "is not a config object"),
    ("--name run-{nope}", "which is not a captured parameter"),
    ('--note "unbalanced', "No closing quotation"),
]


def test_bad_input_is_a_usage_error_with_no_run_and_no_execution(
    project: Path, kernel_session: OpenKernel
) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp\nwidth = 3")
    for line, message in BAD_LINES:
        reply, outputs = session.run(f"%%track {line}\nexecuted = True")
        assert reply["status"] == "error" and reply["ename"] == "UsageError", line
        shown = "".join(o.get("evalue", "") + o.get("text", "") for o in outputs)
        assert message in shown, (line, shown)
        assert "\n" not in reply["evalue"].strip(), line
        reply, outputs = session.run("print('executed' in globals())")
        assert "".join(o.get("text", "") for o in outputs) == "False\n", line  # however it is chunked
    (project / "corrupt.db").write_bytes(b"this is not a database at all")
    session.run(f"%config JupyterExp.tracking_uri = 'sqlite:///{project / 'corrupt.db'}'")
    reply, outputs = session.run("%%track\nexecuted = True")
    assert reply["ename"] == "UsageError" and "not an SQLite database" in reply["evalue"]
    reply, outputs = session.run("print('executed' in globals())")
    assert "".join(o.get("text", "") for o in outputs) == "False\n"
    session.close()
    assert not (project / "mlflow.db").exists() or all_runs(store(project)) == []


def test_plain_ipython_without_a_notebook(project: Path) -> None:
    import subprocess
    import sys

    script = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_cell('%load_ext jupyter_exp', store_history=True)\n"
        "result = shell.run_cell('%%track --seed 5\\nvalue = 41\\nvalue + 1', store_history=True)\n"
        "assert result.success and result.result == 42, result\n"
    )
    workdir = project / "sub"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "JUPYTER_EXP_ROOT")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=workdir, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "FINISHED" in done.stderr  # the one-line card of a terminal shell
    (run,) = all_runs(store(project))  # the store is at the git work tree root
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "ipython-2"
    assert "mlflow.source.name" not in run.data.tags
    assert run.data.params == {"value": "41", "seed": "5"}
    names = {Path(a.path).name for a in store(project).list_artifacts(run.info.run_id, "jupyter_exp")}
    assert "notebook.ipynb" not in names and "history.json" in names


def test_runs_complete_after_the_cell_and_a_deleted_experiment_comes_back(
    project: Path, kernel_session: OpenKernel
) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    reply, _ = session.run("%%track --name first --experiment exp\nx = 1")
    assert reply["status"] == "ok"
    client = store(project)
    (first,) = all_runs(client)
    assert first.info.status == "FINISHED"  # completed in the background, waited for by the harness
    assert {a.path for a in client.list_artifacts(first.info.run_id, "jupyter_exp")} >= {
        "jupyter_exp/cell.py",
        "jupyter_exp/outputs.json",
        "jupyter_exp/history.json",
    }
    client.delete_experiment(first.info.experiment_id)  # the kernel still remembers its id
    reply, _ = session.run("%%track --name second --experiment exp\nx = 2")
    assert reply["status"] == "ok"
    second = client.search_runs([first.info.experiment_id], "attributes.run_name = 'second'")[0]
    assert second.info.status == "FINISHED"
    assert client.get_experiment(first.info.experiment_id).lifecycle_stage == "active"
