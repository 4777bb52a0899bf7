"""An execute request sent the way JupyterLab sends one: with the cell id in its metadata.

Standard library only, so that the replay kernel's driver (and ``%load_ext``, which reaches it through the
magics) does not import nbformat or nbclient (``kernel_run.py`` does, for whole notebooks).
"""

from __future__ import annotations

from typing import Any


def send_execute_request(
    client: Any,
    code: str,
    cell_id: str | None,
    silent: bool = False,
    store_history: bool = True,
    stop_on_error: bool = True,
) -> str:
    """Send code the way JupyterLab does, with the cell id in the metadata; returns the message id."""
    content = {
        "code": code,
        "silent": silent,
        "store_history": store_history,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": stop_on_error,
    }
    message = client.session.msg("execute_request", content, metadata={"cellId": cell_id} if cell_id else {})
    client.shell_channel.send(message)
    msg_id: str = message["header"]["msg_id"]
    return msg_id
