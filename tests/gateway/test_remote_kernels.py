"""Remote kernels on an Enterprise Gateway: ``%%track`` in a notebook whose kernel is remote, ``%reproduce``
and the sidebar's reproduction jobs replaying on the gateway's stand-in GPU kernel, the verdict back home,
and no credentials in anything jupyter-exp or the Jupyter server sent to the gateway."""

from __future__ import annotations

import json
import queue
import re
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from mlflow import MlflowClient
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_exp import record_schema as schema
from jupyter_exp.kernels.gateway import GatewayKernelLauncher, GatewayUnavailable
from jupyter_exp.reproduce.kernel_run import send_execute_request
from tests.deploy.harness import Deployment
from tests.faults.mlflow_server import free_port
from tests.gateway.enterprise_gateway import EnterpriseGateway
from tests.gateway.environment import GPU_KERNEL, MARKER_ENV, clean_env
from tests.gateway.jupyter_server import JupyterServer, ServerKernel
from tests.gateway.recording_proxy import RecordingProxy

pytestmark = pytest.mark.kernel
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CELL = f"""%%track --name on-gpu --seed 7
import os
import jupyter_exp
device = os.environ["{MARKER_ENV}"]  # only the gateway's kernel has it: anywhere else the cell fails
print("device", device)
for step in range(3):
    jupyter_exp.log(step=step, loss=1.0 / (step + 1))"""


def outputs_text(client: MlflowClient, run_id: str) -> str:
    path = client.download_artifacts(run_id, f"jupyter_exp/{schema.OUTPUTS}")
    return Path(path).read_text()


def reproductions_of(client: MlflowClient, run: Any) -> list[Any]:
    return client.search_runs(
        [run.info.experiment_id],
        f"tags.`{schema.REPRODUCED_FROM}` = '{run.info.run_id}'",
        order_by=["attributes.start_time DESC"],
    )


def kernel_starts(proxy: RecordingProxy, since: int = 0) -> list[dict[str, Any]]:
    """The bodies of the gateway's kernel start requests from ``since`` on."""
    return [
        json.loads(r.body)
        for r in proxy.requests[since:]
        if r.method == "POST" and r.path.rstrip("/").endswith("/api/kernels")
    ]


@pytest.fixture(scope="module")
def recorded(server: JupyterServer, gateway: EnterpriseGateway, root: Path, deployment: Deployment) -> Any:
    """A run recorded by a notebook whose kernel is on the gateway, started through the Jupyter server."""
    notebook = root / "train.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(CELL)]), notebook)
    session = server.request(
        "POST",
        "/api/sessions",
        {"path": "train.ipynb", "name": "train.ipynb", "type": "notebook", "kernel": {"name": GPU_KERNEL}},
    )
    kernel_id = session["kernel"]["id"]
    assert kernel_id in {k["id"] for k in gateway.running_kernels()}, "the notebook's kernel is not remote"
    kernel = ServerKernel(server, kernel_id)
    try:
        status, _, errors = kernel.run("%load_ext jupyter_exp")
        assert status == "ok", errors
        status, stdout, errors = kernel.run(CELL)
        assert status == "ok", (errors, server.log_tail(), gateway.log_tail())
        assert "device gpu-node-" in stdout
        status, _, errors = kernel.run("import jupyter_exp as _je\n_je.wait_for_runs(120)")
        assert status == "ok", errors
    finally:
        kernel.close()
        server.request("DELETE", f"/api/sessions/{session['id']}")
    client = deployment.client()
    runs = client.search_runs(
        [e.experiment_id for e in client.search_experiments()], "attributes.run_name = 'on-gpu'"
    )
    assert len(runs) == 1, [r.info.run_name for r in runs]
    return runs[0], kernel_id


def test_track_in_a_remote_kernel_writes_to_the_shared_store(
    recorded: Any, deployment: Deployment, server: JupyterServer, marker: str
) -> None:
    run, kernel_id = recorded
    client = deployment.client()
    assert run.info.status == "FINISHED"
    assert run.data.tags[schema.KERNEL_ID] == kernel_id  # the gateway's kernel, by the id it gave it
    assert run.data.tags[schema.KERNEL_NAME] == GPU_KERNEL
    assert run.data.tags[schema.HASHSEED].isdigit()  # the server's seed reached it before it started
    assert [m.value for m in client.get_metric_history(run.info.run_id, "loss")] == [1.0, 0.5, 1.0 / 3]
    assert f"device {marker}" in outputs_text(client, run.info.run_id)
    listed = server.request("GET", "/jupyter-exp/runs?max_results=50")
    assert run.info.run_id in json.dumps(listed)  # the sidebar reads the same store


def test_reproduce_magic_replays_on_the_gateway(
    recorded: Any,
    deployment: Deployment,
    proxy: RecordingProxy,
    ws_url: str,
    root: Path,
    marker: str,
    tmp_path: Path,
) -> None:
    run, _ = recorded
    since = len(proxy.requests)
    env = clean_env() | deployment.env() | {"JUPYTER_EXP_ROOT": str(root), "JUPYTER_GATEWAY_WS_URL": ws_url}
    manager = KernelManager(kernel_name="python3")  # a local kernel: the marker is not in its environment
    manager.start_kernel(env=env, cwd=str(root))
    kernel = manager.client()
    kernel.start_channels()
    try:
        kernel.wait_for_ready(timeout=120)
        assert _run(kernel, "%load_ext jupyter_exp")["status"] == "ok"
        bad = _run(kernel, f"%reproduce {run.info.run_id} --gateway ftp://gpu-nodes")
        assert bad["status"] == "error" and bad["ename"] == "UsageError"
        assert bad["evalue"].startswith("--gateway must be an http:// or https:// URL")
        reply = _run(kernel, f"%reproduce {run.info.run_id} --gateway {proxy.url}")
        assert reply["status"] == "ok", reply
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
    client = deployment.client()
    replayed = reproductions_of(client, run)
    assert replayed, "no reproduction run was recorded"
    _assert_replayed_there(client, run, replayed[0], marker)
    (start,) = kernel_starts(proxy, since)
    assert start["name"] == GPU_KERNEL
    env_sent = start["env"]
    assert env_sent["KERNEL_PYTHONHASHSEED"] == run.data.tags[schema.HASHSEED]
    assert env_sent["KERNEL_MLFLOW_TRACKING_URI"] == deployment.tracking_uri
    assert all(name.startswith("KERNEL_") for name in env_sent)


def test_sidebar_reproduction_job_replays_on_the_gateway(
    recorded: Any, deployment: Deployment, server: JupyterServer, proxy: RecordingProxy, marker: str
) -> None:
    run, _ = recorded
    since = len(proxy.requests)
    job = server.request("POST", "/jupyter-exp/reproductions", {"run_id": run.info.run_id})
    deadline = time.monotonic() + 300
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        job = server.request("GET", f"/jupyter-exp/reproductions/{job['id']}")
    assert job["state"] == "finished", (job, server.log_tail())
    assert job["kernel"] == GPU_KERNEL
    assert job["verdict"] == "exact", job
    client = deployment.client()
    _assert_replayed_there(client, run, client.get_run(job["reproduction_run_id"]), marker)
    (start,) = kernel_starts(proxy, since)
    assert start["env"]["KERNEL_PYTHONHASHSEED"] == run.data.tags[schema.HASHSEED]


def test_no_credentials_reach_the_gateway(
    recorded: Any, deployment: Deployment, proxy: RecordingProxy
) -> None:
    """Every request of the Jupyter server and of ``%reproduce`` to the gateway, headers and bodies: the
    store's password is in none (the gateway's kernels wrote to the store with their own)."""
    starts = kernel_starts(proxy)
    assert len(starts) >= 2, [r.path for r in proxy.requests]
    sent = "\n".join(r.text() for r in proxy.requests)
    assert deployment.user.password not in sent
    assert deployment.admin.password not in sent
    for start in starts:
        assert not {"MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_USERNAME"} & set(start["env"])
        assert "@" not in start["env"].get("KERNEL_MLFLOW_TRACKING_URI", "")


def test_an_unreachable_gateway_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_server.gateway.gateway_client import GatewayClient

    monkeypatch.setenv("KERNEL_LAUNCH_TIMEOUT", "40")  # GatewayClient writes it into this process's env
    url = f"http://127.0.0.1:{free_port()}"
    try:
        with pytest.raises(GatewayUnavailable, match=f"Enterprise Gateway at {url}"):
            GatewayKernelLauncher(url).names()
    finally:  # a Jupyter server started later in this process would take it for its gateway
        GatewayClient.clear_instance()


def _assert_replayed_there(client: MlflowClient, run: Any, replayed: Any, marker: str) -> None:
    tags = replayed.data.tags
    assert tags[schema.REPRODUCTION_VERDICT] == "exact", tags
    assert tags[schema.KERNEL_NAME] == GPU_KERNEL
    assert UUID.match(tags[schema.KERNEL_ID]) and tags[schema.KERNEL_ID] != run.data.tags[schema.KERNEL_ID]
    assert tags[schema.HASHSEED] == run.data.tags[schema.HASHSEED]  # honoured from the interpreter's start
    assert f"device {marker}" in outputs_text(client, replayed.info.run_id)  # it ran where the marker is
    history = [m.value for m in client.get_metric_history(replayed.info.run_id, "loss")]
    assert history == [1.0, 0.5, 1.0 / 3]


def _run(kernel: Any, code: str, timeout: float = 300) -> dict[str, Any]:
    """The execute reply of one cell (``status``, and ``ename``/``evalue`` when it failed)."""
    msg_id = send_execute_request(kernel, code, None, stop_on_error=False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = kernel.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError(f"{code!r} did not finish in {timeout:.0f} s") from None
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]
