"""The replay engine driven from a Jupyter server: its event loop, its kernel manager (the sidebar's path)."""

from __future__ import annotations

import os

import nbformat
from mlflow import MlflowClient
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.reproduce.kernel_run import CellIdNotebookClient
from jupyter_exp.reproduce.replay import ReproduceOptions, reproduce
from jupyter_exp.server.kernel_launcher import ServerKernelLauncher

SOURCES = [
    "%load_ext jupyter_exp",
    "import random\nstart = random.random()",
    "%%track --name served\nimport jupyter_exp\nfor step in range(3):\n"
    "    jupyter_exp.log(step=step, value=start + random.random())\nprint(round(start, 12))",
]


async def test_reproduce_through_the_servers_kernel_manager(jp_serverapp, served_root):
    root = served_root
    path = root / "served.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in SOURCES]), path)
    notebook = nbformat.read(path, as_version=4)
    client = CellIdNotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(root)}})
    await client.async_execute(
        env={**os.environ, "JUPYTER_EXP_ROOT": str(root), "JPY_SESSION_NAME": str(path)}
    )
    store = MlflowClient(f"sqlite:///{root / 'mlflow.db'}")
    (original,) = store.search_runs([e.experiment_id for e in store.search_experiments()])
    assert original.data.tags["jupyter_exp.kernel.name"] == "python3", original.data.tags

    manager = jp_serverapp.kernel_manager
    before = set(manager.list_kernel_ids())
    launcher = ServerKernelLauncher(manager)
    location = resolve_store(JupyterExp(root=str(root)))
    result = await reproduce(original.info.run_id, location, ReproduceOptions(), launcher=launcher)

    assert result.verdict.verdict == "exact", result.verdict.summary
    assert result.verdict.metrics[0].steps == 3
    reproduced = store.get_run(result.run_id)
    assert reproduced.data.tags["jupyter_exp.reproduced_from"] == original.info.run_id
    assert set(manager.list_kernel_ids()) == before  # the server's replay kernel was shut down
