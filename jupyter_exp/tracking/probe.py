"""Is the tracking server there? One short request instead of MLflow's minute of HTTP retries.

Only stores reached over HTTP are probed: a local store (SQLite, a folder) is opened directly and its
errors are errors. Any HTTP answer, even 401 or 404, means the server is up. The server is away when no
connection can be made within ``CONNECT_TIMEOUT_S`` (refused, no route, a host that does not answer), or
when it takes the request and gives no answer within ``ANSWER_TIMEOUT_S`` (hung). A server that is only
busy (8 kernels logging into it on two cores answer /health in seconds) is there: its run is created in
the store, not journaled offline under a local id. ``unavailable`` is what delivering a journal asks
first (``jupyter-exp sync``, the next ``%load_ext``, the server's sweep): the probe, and whether a local
store exists at all (a delivery never creates one).
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jupyter_exp.capture.git import strip_credentials
from jupyter_exp.config import sqlite_path

CONNECT_TIMEOUT_S = 1.0
ANSWER_TIMEOUT_S = 10.0
REMEMBER_UP_S = 30.0
_up_until: dict[str, float] = {}


def is_remote(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def _connects(url: str, timeout_s: float) -> bool:
    """A TCP connection to the URL's host and port can be made in time (through a proxy when the
    environment names one for it: then the proxy's answer decides)."""
    parts = urlsplit(url)
    if urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(
        parts.hostname or ""
    ):
        return True
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def store_reachable(
    uri: str, connect_timeout_s: float = CONNECT_TIMEOUT_S, answer_timeout_s: float = ANSWER_TIMEOUT_S
) -> bool:
    """Whether the store at ``uri`` answers. A server seen up is not sent ``/health`` again for half a
    minute, but a TCP connection to it is still made each time (well under a millisecond on a LAN): a
    server that went down seconds after a cell saw it up is away for the next cell, not a call into
    MLflow's minutes of HTTP retries."""
    if not is_remote(uri):
        return True
    url = strip_credentials(uri).rstrip("/") + "/health"
    if _up_until.get(uri, 0.0) > time.monotonic():
        if _connects(url, connect_timeout_s):
            return True
        _up_until.pop(uri, None)
        return False
    try:
        if not _connects(url, connect_timeout_s):
            raise ConnectionError(url)
        with urllib.request.urlopen(url, timeout=answer_timeout_s):
            pass
    except urllib.error.HTTPError:
        pass  # it answered
    except (OSError, ValueError):
        _up_until.pop(uri, None)
        return False
    _up_until[uri] = time.monotonic() + REMEMBER_UP_S
    return True


def forget(uri: str) -> None:
    """The store failed a request: probe it again next time."""
    _up_until.pop(uri, None)


def unavailable(uri: str) -> str | None:
    """Why the store at ``uri`` cannot take a delivery now, or None when it can; it is neither created nor
    waited for: a local store (SQLite file, folder) that does not exist, an HTTP store that fails the probe."""
    database = sqlite_path(uri)
    if database is not None:
        present = database.is_file() and database.stat().st_size > 0
        return None if present else f"no MLflow store at {database}"
    if uri.startswith(("file:", "/", "./", "../")):
        folder = Path(unquote(urlsplit(uri).path) if uri.startswith("file:") else uri)
        return None if folder.is_dir() else f"no MLflow store at {folder}"
    if is_remote(uri) and not store_reachable(uri):
        return (
            f"the MLflow store {strip_credentials(uri)} does not answer (no connection within "
            f"{CONNECT_TIMEOUT_S:g} s, or no answer within {ANSWER_TIMEOUT_S:g} s)"
        )
    return None
