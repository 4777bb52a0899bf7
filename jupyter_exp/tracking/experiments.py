"""A store's experiments, id -> name, remembered for half a minute: a list of one experiment or a comparison
on a tracking server then costs one request instead of two, and a renamed experiment shows its new name
within ``NAMES_TTL_S`` seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient


NAMES_TTL_S = 30.0
_names: dict[str, tuple[float, dict[str, str]]] = {}  # tracking URI -> (good until, id -> name)
_names_lock = threading.Lock()


def experiments(client: MlflowClient) -> dict[str, str]:
    """Active experiments, id -> name, read now (and remembered for ``experiment_names``)."""
    from mlflow.entities import ViewType

    found: dict[str, str] = {}
    token = None
    while True:
        page = client.search_experiments(ViewType.ACTIVE_ONLY, max_results=1000, page_token=token)
        found.update({e.experiment_id: e.name for e in page})
        token = page.token
        if not token:
            break
    with _names_lock:
        _names[str(client.tracking_uri)] = (time.monotonic() + NAMES_TTL_S, found)
    return found


def experiment_names(client: MlflowClient, wanted: Iterable[str] = ()) -> dict[str, str]:
    """``experiments`` as read in the last ``NAMES_TTL_S`` seconds, read again when older or when it does
    not hold one of ``wanted`` (ids or names). On a tracking server this saves a list or a comparison one
    request of two; a renamed experiment shows its new name within half a minute."""
    with _names_lock:
        good_until, names = _names.get(str(client.tracking_uri), (0.0, {}))
    if good_until > time.monotonic():
        known = set(names) | set(names.values())
        if all(w in known for w in wanted):
            return names
    return experiments(client)
