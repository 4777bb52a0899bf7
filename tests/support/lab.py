"""A real JupyterLab (this checkout's extension installed), MLflow's own web UI, and the Chromium pages that
drive them through Playwright (the ``browser`` fixture is tests/support/plugin.py's)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("JUPYTER_EXP_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path

    def page_url(self, path: str) -> str:
        return f"{self.url}{path}?token={self.token}"

    def api(self, path: str) -> object:
        """GET a JSON answer of the server, e.g. ``api("/api/kernels")``."""
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())


def collect_errors(page: object) -> list[str]:
    """Uncaught exceptions and console errors of ``page`` from now on, as they come."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error.stack or error}"))  # type: ignore[attr-defined]
    page.on(  # type: ignore[attr-defined]
        "console",
        lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None,
    )
    return errors


def luminance(png: bytes) -> tuple[float, float]:
    """(mean luminance 0-255, share of pixels brighter than 150) of a screenshot."""
    import io

    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    return ImageStat.Stat(image).mean[0], sum(histogram[151:]) / max(1, sum(histogram))


def start_lab(root: Path, home: Path, settings: dict[str, dict]) -> tuple[subprocess.Popen, Lab]:
    port, token = _free_port(), secrets.token_hex(16)
    settings_dir = home / "settings"
    for plugin, values in settings.items():
        package, _, name = plugin.partition(":")
        target = settings_dir / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MLFLOW_TRACKING_URI", "JUPYTER_EXP_ROOT", "JPY_SESSION_NAME")
    }
    env.update(
        {
            "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
        }
    )
    log = home / "lab.log"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{lab.url}/api/status?token={token}", timeout=2) as answer:
                if answer.status == 200:
                    return process, lab
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"jupyter lab did not answer in 90 s:\n{log.read_text()[-3000:]}")


def stop_lab(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def mlflow_web(command: str, arguments: list[str], folder: Path) -> Iterator[str]:
    """``mlflow ui`` or ``mlflow server`` (``command``) on loopback with ``arguments``, answering ``/health``;
    yields its URL and stops it afterwards. Fails the test, with its log, when it does not come up."""
    port = _free_port()
    log = folder / f"mlflow-{command}.log"
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    loopback = ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", command, *loopback, *arguments],
        cwd=folder,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # a busy machine starts MLflow's workers slowly
        while True:
            if process.poll() is not None:
                pytest.fail(f"mlflow {command} exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"mlflow {command} did not answer in 240 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield url
    finally:
        stop_lab(process)


# Fast polling; no news or update checks (the network is closed).
LAB_SETTINGS = {
    "jupyter-exp:plugin": {"pollInterval": 500},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


@contextmanager
def notebook_lab(tmp_path: Path, name: str, sources: list[str]) -> Iterator[Lab]:
    """A lab on a fresh git work tree holding one notebook of these code cells (Python 3 kernelspec)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    root = tmp_path / "project"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    notebook = new_notebook(
        cells=[new_code_cell(source) for source in sources],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        },
    )
    nbformat.write(notebook, root / name)
    process, lab = start_lab(root, tmp_path / "home", LAB_SETTINGS)
    try:
        yield lab
    finally:
        stop_lab(process)


def open_notebook(page: object, lab: Lab, name: str) -> None:
    """Open the notebook ``name`` and wait until its kernel is connected."""
    page.goto(lab.page_url(f"/lab/tree/{name}"))  # type: ignore[attr-defined]
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
        " return k && k.connectionStatus === 'connected'; }",
        timeout=90_000,
    )


RUNS_TAB = '.jp-SideBar [data-id="jupyter-exp-sidebar"]'


def open_runs_panel(page: object) -> object:
    """Show the Runs panel in the left sidebar and return its locator. Once the layout is restored: a check
    before it raced the restorer, which could collapse the left area after the panel looked visible (and a
    click on the tab of a panel already shown collapses it), leaving every row hidden."""
    page.wait_for_selector(RUNS_TAB, timeout=90_000)  # type: ignore[attr-defined]
    page.evaluate(  # type: ignore[attr-defined]
        "async () => { await window.jupyterapp.restored;"
        " window.jupyterapp.shell.activateById('jupyter-exp-sidebar'); }"
    )
    panel = page.locator("#jupyter-exp-sidebar")  # type: ignore[attr-defined]
    panel.wait_for(state="visible", timeout=60_000)
    return panel
