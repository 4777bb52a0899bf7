"""Who the user is to the tracking store: the name ``mlflow.user`` holds and the sidebar's "mine" matches.

On a shared ``mlflow server`` with authentication that is the account MLflow's client authenticates as
(``MLFLOW_TRACKING_USERNAME``); otherwise, as MLflow itself records it, the operating system's user name.
"""

from __future__ import annotations

import getpass
import os

USERNAME_ENV = "MLFLOW_TRACKING_USERNAME"


def store_user() -> str | None:
    name = os.environ.get(USERNAME_ENV, "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container without passwd entry
        return None


def is_shared_store(tracking_uri: str) -> bool:
    """A store other people write to as well: an MLflow server or a database server, not a local file."""
    scheme = tracking_uri.split(":", 1)[0].lower() if ":" in tracking_uri else ""
    return scheme not in ("", "file", "sqlite")
