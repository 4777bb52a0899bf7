"""A Jupyter server started with ``--GatewayClient.url`` (its kernels live on the gateway), and a kernel
of it driven over the server's websocket as JupyterLab drives one."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session

from tests.faults.mlflow_server import free_port


class JupyterServer:
    def __init__(self, root: Path, home: Path, args: list[str], env: dict[str, str]) -> None:
        self.root, self.home, self.args, self.env = root, home, args, env
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.allow_root=True",
            *self.args,
        ]
        env = {**self.env, "JUPYTER_RUNTIME_DIR": str(self.home / "runtime")}
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter server exited ({self.process.returncode}): {self.log_tail()}")
            try:
                self.request("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter server did not answer within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, size: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-size:] if self.log_path.exists() else "(no log)"

    def request(self, method: str, path: str, body: Any = None, timeout: float = 120) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read()
        return json.loads(answer) if answer else None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        self.process = None


class ServerKernel:
    """One kernel of the server, over ``/api/kernels/<id>/channels`` (the JSON websocket protocol)."""

    def __init__(self, server: JupyterServer, kernel_id: str) -> None:
        import websocket

        self.session = Session(key=b"", username="tester")
        url = server.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        self.socket = websocket.create_connection(
            url, header=[f"Authorization: token {server.token}"], timeout=300
        )

    def run(self, code: str, timeout: float = 300) -> tuple[str, str, list[dict[str, Any]]]:
        """``(status, stdout, errors)`` of one cell; returns when the kernel is idle again."""
        message = self.session.msg(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
            },
        )
        message["channel"] = "shell"
        self.socket.send(json.dumps(message, default=json_default))
        msg_id = message["header"]["msg_id"]
        stdout, errors, status = [], [], "ok"
        deadline = time.monotonic() + timeout
        idle = replied = False
        while not (idle and replied):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the cell did not finish in {timeout:.0f} s")
            answer = json.loads(self.socket.recv())
            if answer.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = answer["msg_type"], answer["content"]
            if kind == "stream" and content.get("name") == "stdout":
                stdout.append(content["text"])
            elif kind == "error":
                errors.append(content)
            elif kind == "execute_reply":
                status, replied = content["status"], True
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
        return status, "".join(stdout), errors

    def close(self) -> None:
        self.socket.close()
