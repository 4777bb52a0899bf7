"""Asking a Jupyter server for the kernel's notebook never raises and never waits long: a server file of
a server that is gone, a file that is not a server's, no kernel at all."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from jupyter_exp.capture import session


def test_a_gone_or_garbled_server_is_no_answer(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = {"url": f"http://127.0.0.1:{port}/", "root_dir": str(tmp_path), "token": "t"}
    started = time.monotonic()
    assert session.session_path(gone, "k") is None
    assert session.session_path({"url": "file:///etc/passwd", "root_dir": "/"}, "k") is None
    assert session.session_path({"url": 3}, "k") is None
    assert time.monotonic() - started < 5
    (tmp_path / "jpserver-1.json").write_text(json.dumps(gone))
    (tmp_path / "jpserver-2.json").write_text("not json")
    assert len(session.server_files(tmp_path)) == 2


def test_outside_a_kernel_there_is_nothing_to_ask(tmp_path: Path) -> None:
    assert session.kernel_id() is None  # pytest is no ipykernel
    assert session.current_notebook(tmp_path) is None


def test_a_kernel_no_server_answers_for_keeps_no_path(tmp_path: Path, monkeypatch) -> None:
    """Inside a kernel whose server is gone, with no earlier answer, the answer is None (it raised
    UnboundLocalError: the last answer was read as a local before any assignment)."""
    monkeypatch.setattr(session, "kernel_id", lambda: "k-1")  # pytest is no ipykernel: only its id is given
    monkeypatch.setattr(session, "_last_path", None)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = {"url": f"http://127.0.0.1:{port}/", "root_dir": str(tmp_path), "token": "t"}
    (tmp_path / "jpserver-9.json").write_text(json.dumps(gone))
    assert session.current_notebook(tmp_path) is None
