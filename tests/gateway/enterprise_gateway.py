"""Jupyter Enterprise Gateway on loopback for the tests, with local kernels and kernelspecs of its own.

Enterprise Gateway 3.3 needs jupyter_server 1 and jupyter_client 6, so it runs from its own environment
(``make gateway``: ``.venv-gateway`` from ``requirements/gateway.lock``). Its kernelspecs live in a
temporary ``JUPYTER_PATH`` that only the gateway reads; their kernels run jupyter-exp's interpreter through
``python -m jupyter_exp.kernels.launch``. Where the gateway cannot start, ``GatewayError`` says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.faults.mlflow_server import free_port, stop_group

REPO = Path(__file__).resolve().parents[2]
GATEWAY_PYTHON = REPO / ".venv-gateway" / "bin" / "python"
LAUNCH = ["-m", "jupyter_exp.kernels.launch", "-f", "{connection_file}"]


class GatewayError(RuntimeError):
    """Enterprise Gateway could not be started (the message says why)."""


def write_kernelspec(folder: Path, name: str, env: dict[str, str]) -> Path:
    """A kernelspec of the gateway's: jupyter-exp's Python started through the launch module."""
    spec_dir = folder / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, *LAUNCH],
        "display_name": f"{name} (gateway)",
        "language": "python",
        "env": env,
        "metadata": {
            "process_proxy": {
                "class_name": "enterprise_gateway.services.processproxies.processproxy.LocalProcessProxy"
            }
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return spec_dir


class EnterpriseGateway:
    def __init__(self, folder: Path, kernels: dict[str, dict[str, str]], env: dict[str, str] | None = None):
        self.folder = folder
        self.kernels = kernels
        self.extra_env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "gateway.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> None:
        if not GATEWAY_PYTHON.exists():
            raise GatewayError(
                f"Enterprise Gateway's environment is missing ({GATEWAY_PYTHON}): run `make gateway`"
            )
        jupyter_path = self.folder / "jupyter"
        for name, env in self.kernels.items():
            write_kernelspec(jupyter_path, name, env)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("JUPYTER", "MLFLOW_", "KERNEL_", "JPY_", "PYTHONHASHSEED"))
        }
        env.update(
            {
                "JUPYTER_PATH": str(jupyter_path),
                "JUPYTER_DATA_DIR": str(self.folder / "data"),
                "JUPYTER_CONFIG_DIR": str(self.folder / "config"),
                "JUPYTER_RUNTIME_DIR": str(self.folder / "runtime"),
                "MLFLOW_DISABLE_TELEMETRY": "true",
                "EG_KERNEL_LAUNCH_TIMEOUT": "240",  # default 30 s: generous, for a busy machine
                **self.extra_env,
            }
        )
        command = [
            str(GATEWAY_PYTHON),
            "-m",
            "enterprise_gateway",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port_retries=0",
            f"--KernelSpecManager.whitelist={sorted(self.kernels)!r}",
            "--EnterpriseGatewayApp.default_kernel_name=" + sorted(self.kernels)[0],
            # the gateway refuses kernels to root by default; the tests may run as root
            "--EnterpriseGatewayApp.unauthorized_users=['nobody-is-refused']",
            "--EnterpriseGatewayApp.list_kernels=True",  # the tests see which kernels it runs
        ]
        self.folder.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=log, env=env, cwd=self.folder, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise GatewayError(
                    f"Enterprise Gateway exited ({self.process.returncode}): {self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/api/kernelspecs", timeout=2) as response:
                    found = set(json.load(response).get("kernelspecs", {}))
            except OSError:
                time.sleep(0.3)
                continue
            if found != set(self.kernels):
                raise GatewayError(f"the gateway serves {sorted(found)}, expected {sorted(self.kernels)}")
            return
        raise GatewayError(f"Enterprise Gateway did not answer within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return "(no log)"

    def running_kernels(self) -> list[dict]:
        with urllib.request.urlopen(self.url + "/api/kernels", timeout=10) as response:
            return json.load(response)

    def stop(self) -> None:
        stop_group(self.process)
        self.process = None
