"""A notebook renamed after its kernel started (New notebook, File > Rename, work): its runs are filed under
the new name, as JupyterLab does it through a real server's sessions and contents APIs."""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client import BlockingKernelClient
from mlflow import MlflowClient
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_exp.reproduce.kernel_run import send_execute_request
from tests.support.kernels import all_runs, artifact
from tests.support.server import JupyterExpAPI, wait_for

CELL = "%%track --name renamed\nx = 1"


def run_cells(connection: dict[str, Any], *cells: str) -> None:
    """Run cells in the kernel one after the other from a thread of their own, as a front end would: the
    server's event loop (this process's) stays free to answer the kernel meanwhile."""
    client = BlockingKernelClient()
    client.load_connection_info(connection)
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        for code in cells:
            sent = send_execute_request(client, code, None, stop_on_error=False)
            while (reply := client.get_shell_msg(timeout=120))["parent_header"].get("msg_id") != sent:
                pass
            assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()


async def test_a_renamed_notebook_files_its_runs_under_its_new_name(
    jp_serverapp, jp_fetch, served_root: Path
):
    nbformat.write(new_notebook(cells=[new_code_cell(CELL)]), served_root / "Untitled.ipynb")
    (served_root / "work").mkdir()
    started = await jp_fetch(
        "api",
        "sessions",
        method="POST",
        body=json.dumps(
            {"path": "Untitled.ipynb", "type": "notebook", "name": "", "kernel": {"name": "python3"}}
        ),
    )
    session = json.loads(started.body)
    # File > Rename (and a move): the contents API renames the file, then the session follows it
    await jp_fetch(
        "api", "contents", "Untitled.ipynb", method="PATCH", body=json.dumps({"path": "work/train.ipynb"})
    )
    await jp_fetch(
        "api", "sessions", session["id"], method="PATCH", body=json.dumps({"path": "work/train.ipynb"})
    )

    kernel = jp_serverapp.kernel_manager.get_kernel(session["kernel"]["id"])
    # run_in_executor, not to_thread: a copy of this context would hand jupyter_core's run_sync the server's loop
    cells = functools.partial(run_cells, kernel.get_connection_info(), "%load_ext jupyter_exp", CELL)
    await asyncio.get_running_loop().run_in_executor(None, cells)
    store = MlflowClient(f"sqlite:///{served_root / 'mlflow.db'}")
    finished = await wait_for(
        lambda: [r for r in all_runs(store) if r.info.status == "FINISHED"], timeout=120, what="the run"
    )
    run = finished[0]
    assert store.get_experiment(run.info.experiment_id).name == "work/train.ipynb"
    assert run.data.tags["mlflow.source.name"] == "work/train.ipynb"
    snapshot = json.loads(artifact(store, run.info.run_id, "notebook.ipynb").read_text())
    assert snapshot["metadata"]["jupyter_exp"]["in_sync"] is True  # the renamed file, as saved on disk

    # a new Untitled.ipynb inherits nothing; the renamed notebook lists its run (the sidebar's query)
    await jp_fetch("api", "contents", method="POST", body=json.dumps({"type": "notebook"}))
    assert (served_root / "Untitled.ipynb").exists()
    api = JupyterExpAPI(jp_fetch)
    assert (await api("runs", {"notebook": "Untitled.ipynb"}))["runs"] == []
    [listed] = (await api("runs", {"notebook": "work/train.ipynb"}))["runs"]
    assert listed["run_id"] == run.info.run_id
    await jp_fetch("api", "sessions", session["id"], method="DELETE")
