"""The notebook path in every front end: JupyterLab's session, VS Code's namespace hint, none at all
(a terminal), and ``jupyter_exp.runs(notebook=...)`` with the path written any of the usual ways."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_exp.track import tracked_cell
from tests.support.kernels import OpenKernel, all_runs, artifact, store

pytestmark = pytest.mark.kernel


def test_a_vscode_kernel_records_the_notebook_it_names(project: Path, kernel_session: OpenKernel) -> None:
    notebook = project / "nbs" / "train.ipynb"
    notebook.parent.mkdir()
    source = "%%track --name vsc\nlr = 0.1"
    nbformat.write(new_notebook(cells=[new_code_cell(source)]), notebook)
    session = kernel_session(project)  # no JPY_SESSION_NAME, no __session__: only VS Code's hint
    session.run("%load_ext jupyter_exp")
    session.run(f"__vsc_ipynb_file__ = {str(notebook)!r}")  # what VS Code sets at kernel start
    session.run(source)
    _, outputs = session.run(
        "import jupyter_exp\n"
        f"print(len(jupyter_exp.runs(notebook='nbs/train.ipynb')), len(jupyter_exp.runs(notebook={str(notebook)!r})))"
    )
    session.close()
    client = store(project)
    [run] = all_runs(client)
    assert run.data.tags["mlflow.source.name"] == "nbs/train.ipynb"
    assert artifact(client, run.info.run_id, "notebook.ipynb").stat().st_size > 0
    assert "mlflow.source.git.commit" in run.data.tags
    assert [o["text"] for o in outputs if o["type"] == "stream"] == ["1 1\n"]  # relative to root, absolute


def test_runs_takes_a_path_relative_to_the_working_directory(
    project: Path, kernel_session: OpenKernel
) -> None:
    notebook = project / "nbs" / "train.ipynb"
    notebook.parent.mkdir()
    session = kernel_session(project, notebook)  # JupyterLab's way: the session names the notebook
    session.run("%load_ext jupyter_exp")
    session.run("%%track --name lab\nx = 1")
    _, outputs = session.run(  # the kernel's working directory is the notebook's folder
        "import os, jupyter_exp\nprint(os.getcwd().endswith('nbs'), len(jupyter_exp.runs(notebook='train.ipynb')))"
    )
    session.close()
    assert [o["text"] for o in outputs if o["type"] == "stream"] == ["True 1\n"]


def test_the_terminal_says_once_that_no_notebook_is_known(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(tmp_path))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tracked_cell, "_said_no_notebook", False)  # a fresh kernel has said nothing yet
    shell = InteractiveShell.instance()
    shell.extension_manager.load_extension("jupyter_exp")
    try:
        for _ in range(2):
            assert shell.run_cell("%%track --name terminal\ny = 2").success
        import jupyter_exp

        assert jupyter_exp.wait_for_runs(120)
    finally:
        shell.extension_manager.unload_extension("jupyter_exp")
    said = capsys.readouterr().err
    assert said.count("no notebook file is known here") == 1
    assert os.path.exists(tmp_path / "mlflow.db")
