"""Real kernels (nbclient / jupyter_client) writing to a real SQLite MLflow store in a tmp dir, or with
``JUPYTER_EXP_TEST_STORE=deploy`` to the shared ``mlflow server`` of tests/deploy."""

from __future__ import annotations

import json
import os
import queue
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager
from mlflow import MlflowClient
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_exp.reproduce.kernel_run import execute_notebook, send_execute_request
from tests.deploy.harness import deploy_mode, shared_deployment
from tests.support.git import init_repo

DEPLOY_NAMES = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
)


def kernel_env(root: Path) -> dict[str, str]:
    """As the server starts kernels: with a str hash seed of their own, unless the test sets one.

    The store is the project's SQLite file; with ``JUPYTER_EXP_TEST_STORE=deploy`` it is the shared
    ``mlflow server`` of tests/deploy (PostgreSQL, basic auth, the normal user's credentials)."""
    env = {k: v for k, v in os.environ.items() if k not in DEPLOY_NAMES}
    env["JUPYTER_EXP_ROOT"] = str(root)
    env.setdefault("PYTHONHASHSEED", str(random.randrange(1, 2**32)))
    if deploy_mode():
        env |= shared_deployment().env()
        env["JUPYTER_EXP_JOURNAL_DIR"] = str(root.parent / "journal")  # not the user's data folder
    return env


def write_notebook(path: Path, sources: list[str]) -> list[str]:
    cells = [new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(
        new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}),
        path,
    )
    return [cell.id for cell in nbformat.read(path, as_version=4).cells]


def run_notebook(
    path: Path, sources: list[str], root: Path, allow_errors: bool = False
) -> tuple[Any, list[str]]:
    ids = write_notebook(path, sources)
    executed = execute_notebook(path, env=kernel_env(root), allow_errors=allow_errors, timeout=300)
    return executed, ids


def store(root: Path) -> MlflowClient:
    """The store the project's kernels write to, as the normal user when it is the deployment."""
    if deploy_mode():
        return shared_deployment().client()
    return MlflowClient(f"sqlite:///{root / 'mlflow.db'}")


def all_runs(client: MlflowClient) -> list[Any]:
    experiments = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(experiments, order_by=["attributes.start_time ASC"])


def artifact(client: MlflowClient, run_id: str, name: str) -> Path:
    return Path(client.download_artifacts(run_id, f"jupyter_exp/{name}"))


def artifact_json(client: MlflowClient, run_id: str, name: str) -> Any:
    return json.loads(artifact(client, run_id, name).read_text())


def texts(cell: Any, name: str = "stdout") -> str:
    return "".join(
        o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == name
    )


class KernelSession:
    """A kernel driven message by message, sending cell ids like JupyterLab does."""

    def __init__(
        self, root: Path, notebook: Path | None = None, extra_env: dict[str, str] | None = None
    ) -> None:
        env = kernel_env(root) | (extra_env or {})
        if notebook is not None:
            env["JPY_SESSION_NAME"] = str(notebook)
        self.closed = False
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=env, cwd=str(notebook.parent if notebook else root))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def send(self, code: str, cell_id: str | None = None) -> str:
        return send_execute_request(self.kc, code, cell_id, stop_on_error=False)

    def wait(self, msg_id: str, timeout: float = 120) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        outputs: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError("kernel did not finish in time") from None
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "status" and message["content"]["execution_state"] == "idle":
                break
            if kind in ("stream", "error", "execute_result", "display_data"):
                outputs.append({"type": kind, **message["content"]})
        while True:  # skip stale replies: under load wait_for_ready sends kernel_info more than once
            reply = self.kc.get_shell_msg(timeout=max(30.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"], outputs

    def run(self, code: str, cell_id: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """One cell; then, silently, until its run is completely recorded (that happens after the cell
        returned), so that a test can read the store."""
        answer = self.wait(self.send(code, cell_id))
        if "%%track" in code or "%reproduce" in code:
            self.settle()
        return answer

    def run_cells(
        self, sources: list[str], cell_ids: list[str]
    ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Each cell in turn, as the notebook's cell of that id; the (reply, outputs) of each."""
        return [self.run(source, cell_id) for source, cell_id in zip(sources, cell_ids, strict=True)]

    def settle(self) -> None:
        """Silently wait until the runs of the cells that returned are completely recorded."""
        settle = "import jupyter_exp as _je\n_je.wait_for_runs(120)"
        self.wait(send_execute_request(self.kc, settle, None, silent=True, store_history=False))

    def close(self) -> None:
        """Stop the channels and the kernel; a second call does nothing."""
        if self.closed:
            return
        self.closed = True
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def make_project(parent: Path) -> Path:
    """``parent/project``: an empty folder that is a git repository with one commit."""
    root = parent / "project"
    root.mkdir()
    init_repo(root)
    return root


OpenKernel = Callable[..., KernelSession]
"""The ``kernel_session`` fixture's type: ``kernel_session(root, notebook=None, extra_env=None)``."""
