"""Execute a notebook headlessly the way JupyterLab does: the kernel knows the notebook's path
(``JPY_SESSION_NAME``) and every execute request carries its cell id."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from jupyter_exp.capture.kernel import KERNEL_ID_ENV
from jupyter_exp.capture.notebook import SESSION_ENV
from jupyter_exp.reproduce.execute_request import send_execute_request


class CellIdNotebookClient(NotebookClient):
    """nbclient sends no cell ids; JupyterLab does (``metadata.cellId``), and records need them."""

    _current_cell_id: str | None = None

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:
        self._current_cell_id = cell.get("id")
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    async def async_start_new_kernel_client(self) -> Any:
        client = await super().async_start_new_kernel_client()
        send_plain = client.execute

        def execute(code: str, silent: bool = False, store_history: bool = True, **kwargs: Any) -> str:
            if self._current_cell_id is None or silent:
                return send_plain(code, silent=silent, store_history=store_history, **kwargs)
            return send_execute_request(
                client, code, self._current_cell_id, silent, store_history, kwargs.get("stop_on_error", True)
            )

        client.execute = execute  # type: ignore[method-assign,assignment]  # this client instance only
        return client


def execute_notebook(
    path: str | os.PathLike[str],
    kernel_name: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: int = 600,
    allow_errors: bool = False,
    save: bool = False,
) -> nbformat.NotebookNode:
    """Run every cell of ``path`` in a new kernel started in its folder; returns the executed notebook."""
    path = Path(path).resolve()
    notebook: nbformat.NotebookNode = nbformat.read(path, as_version=4)
    kernel_id = str(uuid.uuid4())
    kernel_env = {**os.environ, **(env or {}), SESSION_ENV: str(path), KERNEL_ID_ENV: kernel_id}
    options: dict[str, Any] = {
        "timeout": timeout,
        "allow_errors": allow_errors,
        "resources": {"metadata": {"path": str(path.parent)}},
    }
    if kernel_name:
        options["kernel_name"] = kernel_name
    client = CellIdNotebookClient(notebook, **options)
    client.execute(env=kernel_env, kernel_id=kernel_id)
    if save:
        nbformat.write(notebook, path)
    return notebook
