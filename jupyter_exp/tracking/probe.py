"""Is the tracking server there? One short request instead of MLflow's minute of HTTP retries.

Only stores reached over HTTP are probed: a local store (SQLite, a folder) is opened directly and its
errors are errors. Any HTTP answer, even 401 or 404, means the server is up; only a connection that
cannot be made in time means it is away.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from .journal import strip_credentials

PROBE_TIMEOUT_S = 1.0
REMEMBER_UP_S = 30.0
_up_until: dict[str, float] = {}


def is_remote(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def store_reachable(uri: str, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """Whether the store at ``uri`` answers; a server seen up is not asked again for half a minute."""
    if not is_remote(uri):
        return True
    if _up_until.get(uri, 0.0) > time.monotonic():
        return True
    url = strip_credentials(uri).rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s):
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
