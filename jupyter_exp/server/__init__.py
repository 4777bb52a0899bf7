"""jupyter_server extension: exports the store root to kernels, serves the sidebar's REST API and ends
the runs of dead kernels KILLED."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..config import ROOT_ENV


def _load_jupyter_server_extension(server_app: Any) -> None:
    from ..config import JupyterExp, resolve_store
    from .handlers import setup_handlers
    from .reaper import KernelReaper

    root = Path(os.path.expanduser(server_app.root_dir)).resolve()
    # Kernels started by this server inherit its environment: they resolve the same default store.
    os.environ.setdefault(ROOT_ENV, str(root))
    settings = JupyterExp(parent=server_app)  # c.JupyterExp.* applies
    web_app = server_app.web_app
    web_app.settings["jupyter_exp"] = settings
    setup_handlers(web_app)
    clients = web_app.settings["jupyter_exp_clients"]
    reaper = KernelReaper(
        server_app.kernel_manager,
        lambda: clients.get(resolve_store(settings)),
        interval_s=settings.reaper_interval_s,
        stale_after_s=settings.stale_after_s,
        log=server_app.log,
    )
    web_app.settings["jupyter_exp_reaper"] = reaper
    reaper.start(getattr(server_app, "event_logger", None))
    server_app.log.info("jupyter-exp: tracking root %s", os.environ[ROOT_ENV])
