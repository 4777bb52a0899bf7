"""``probe.store_reachable`` against real sockets on loopback: a busy server is there, a hung or absent one
is not (then a tracked cell runs at once and its run is journaled offline)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jupyter_exp.tracking import probe


def serve(status: int, delay_s: float = 0.0) -> Iterator[str]:
    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(delay_s)  # the server's own slowness, not the test's wait
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def slow_server() -> Iterator[str]:
    yield from serve(200, delay_s=2 * probe.CONNECT_TIMEOUT_S)


@pytest.fixture
def refusing_server() -> Iterator[str]:
    yield from serve(401)


def test_a_busy_server_that_answers_late_is_there(slow_server: str) -> None:
    assert probe.store_reachable(slow_server)  # answered after twice the connect timeout (the old limit)


def test_any_answer_means_up_even_a_refusal(refusing_server: str) -> None:
    assert probe.store_reachable(refusing_server)


def test_nobody_listening_is_away() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        assert not probe.store_reachable(f"http://127.0.0.1:{port}")


def test_a_server_that_takes_the_request_and_never_answers_is_away() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)  # the kernel completes connections; nothing ever reads or answers them
        uri = f"http://127.0.0.1:{sock.getsockname()[1]}"
        assert not probe.store_reachable(uri, answer_timeout_s=0.5)


def test_a_server_seen_up_is_not_asked_again(refusing_server: str) -> None:
    assert probe.store_reachable(refusing_server)
    probe._up_until[refusing_server] = time.monotonic() + 60
    # no /health request (a zero answer timeout would fail it), only the TCP connection
    assert probe.store_reachable(refusing_server, answer_timeout_s=0.0)
    probe.forget(refusing_server)
    assert refusing_server not in probe._up_until


def test_a_server_seen_up_that_went_down_is_away_for_the_next_call() -> None:
    """It was remembered up for 30 s and not probed at all: the next tracked cell went into MLflow's
    retries (492 s). Now the connection each call makes finds it gone, within the connect timeout."""
    servers = serve(401)
    uri = next(servers)
    assert probe.store_reachable(uri)
    servers.close()  # the server is shut down and its port closed
    started = time.monotonic()
    assert not probe.store_reachable(uri)
    assert time.monotonic() - started < probe.CONNECT_TIMEOUT_S + 0.5
    assert uri not in probe._up_until
