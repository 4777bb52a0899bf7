"""A real ``mlflow server`` on loopback, started and stopped on demand.

The fault tests run it on SQLite; the deployment suite (tests/deploy) on PostgreSQL with MLflow's
basic-auth app, through the same class."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_group(process: subprocess.Popen[bytes] | None) -> None:
    """End a process started with ``start_new_session=True`` and all it started: TERM, then KILL."""
    if process is not None and process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(30)


class MlflowServer:
    """``mlflow server`` on 127.0.0.1 with its proxied artifact store under ``folder/artifacts``.

    ``backend_store_uri`` defaults to a SQLite file in ``folder``; ``app_name`` (``basic-auth``) and
    ``env`` (e.g. ``MLFLOW_AUTH_CONFIG_PATH``) turn MLflow's authentication on."""

    def __init__(
        self,
        folder: Path,
        port: int | None = None,
        backend_store_uri: str | None = None,
        app_name: str | None = None,
        workers: int = 1,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.backend_store_uri = backend_store_uri or f"sqlite:///{folder / 'server.db'}"
        self.app_name = app_name
        self.workers = workers
        self.env = dict(env or {})
        self.extra_args = list(extra_args)
        self.log_path = folder / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--backend-store-uri",
            self.backend_store_uri,
            "--serve-artifacts",
            "--artifacts-destination",
            str(self.folder / "artifacts"),
            "--workers",
            str(self.workers),
            # a busy machine starts workers slowly: uvicorn's 5 s health check would kill and restart them
            # in a loop; and a stop should not wait for idle kept-alive connections
            "--uvicorn-opts",
            "--timeout-worker-healthcheck 120 --timeout-graceful-shutdown 3",
            *self.extra_args,
        ]
        if self.app_name:
            command += ["--app-name", self.app_name]
        return command

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no server log)"

    def start(self, timeout: float = 120) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", **self.env}
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            env.pop(name, None)  # the server's own settings come from its command line only
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=log, env=env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.uri + "/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer within {timeout:.0f} s: {self.log_tail()}")

    def stop(self) -> None:
        stop_group(self.process)
        self.process = None
