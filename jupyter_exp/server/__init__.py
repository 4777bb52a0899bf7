"""jupyter_server extension: exports the store root to kernels and serves the sidebar's REST API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..config import ROOT_ENV


def _load_jupyter_server_extension(server_app: Any) -> None:
    from ..config import JupyterExp
    from .handlers import setup_handlers

    root = Path(os.path.expanduser(server_app.root_dir)).resolve()
    # Kernels started by this server inherit its environment: they resolve the same default store.
    os.environ.setdefault(ROOT_ENV, str(root))
    server_app.web_app.settings["jupyter_exp"] = JupyterExp(parent=server_app)  # c.JupyterExp.* applies
    setup_handlers(server_app.web_app)
    server_app.log.info("jupyter-exp: tracking root %s", os.environ[ROOT_ENV])
