"""jupyter_server extension: exports the store root to kernels, serves the sidebar's REST API and ends
the runs of dead kernels (``JupyterExpApp``, configured as ``c.JupyterExpApp.*``)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Int, TraitError, validate

from jupyter_exp.config import DEPRECATED_SETTINGS, ROOT_ENV, JupyterExp, resolve_store, sweep_traits
from jupyter_exp.server.gateway_env import forward_to_gateway
from jupyter_exp.server.handlers import StoreClients, routes
from jupyter_exp.server.hashseed import draw_hash_seeds
from jupyter_exp.server.jobs import ReproductionJobs
from jupyter_exp.server.model_handlers import model_routes
from jupyter_exp.server.reaper import KernelReaper
from jupyter_exp.server.run_handlers import run_routes
from jupyter_exp.server.sweep_handlers import sweep_routes
from jupyter_exp.tracking.journal import journal_root


class JupyterExpApp(ExtensionApp):
    """The server side of jupyter-exp: the REST API, the kernel reaper and the reproduction jobs."""

    name = "jupyter_exp"
    load_other_extensions = True

    reaper_interval_s, stale_after_s = sweep_traits()

    snapshot_max_mb = Float(
        50.0,
        help="Largest notebook snapshot (MB) that Open snapshot serves; a larger one is refused (413), "
        "never parsed on the server.",
    ).tag(config=True)
    snapshot_slots = Int(2, help="Notebook snapshots parsed at the same time (each in a child process).").tag(
        config=True
    )

    @validate("snapshot_max_mb", "snapshot_slots")
    def _positive(self, proposal: Any) -> Any:
        if proposal["value"] <= 0:
            raise TraitError(
                f"JupyterExpApp.{proposal['trait'].name} must be positive, got {proposal['value']}"
            )
        return proposal["value"]

    def initialize_settings(self) -> None:
        server = self.serverapp
        assert server is not None  # set by jupyter_server before it initializes the extension
        self.log = server.log  # one logger: the server's
        root = Path(os.path.expanduser(server.root_dir)).resolve()
        # Kernels started by this server inherit its environment: they resolve the same default store.
        os.environ.setdefault(ROOT_ENV, str(root))
        settings = JupyterExp(parent=server)  # c.JupyterExp.* applies
        # a gateway's kernels get KERNEL_* copies of what they need (seeded first, then forwarded)
        forward_to_gateway(server.kernel_manager, lambda: resolve_store(settings).tracking_uri, self.log)
        draw_hash_seeds(server.kernel_manager)  # a str hash seed per kernel, recorded by its runs
        self._apply_deprecated(settings)
        clients = StoreClients()
        self.jobs = ReproductionJobs(self.log)
        self.reaper = KernelReaper(
            server.kernel_manager,
            lambda: clients.get(resolve_store(settings)),
            interval_s=self.reaper_interval_s,
            stale_after_s=self.stale_after_s,
            log=self.log,
            journal=lambda: journal_root(resolve_store(settings), settings.journal_dir),
        )
        self.settings.update(
            jupyter_exp_settings=settings,
            jupyter_exp_clients=clients,
            jupyter_exp_jobs=self.jobs,
            jupyter_exp_reaper=self.reaper,
            jupyter_exp_snapshot_max_mb=self.snapshot_max_mb,
            jupyter_exp_snapshot_slots=asyncio.Semaphore(self.snapshot_slots),
        )
        self.reaper.start(getattr(server, "event_logger", None))
        self.log.info("jupyter-exp: tracking root %s", os.environ[ROOT_ENV])

    def _apply_deprecated(self, settings: Any) -> None:
        """``c.JupyterExp.reaper_interval_s`` / ``stale_after_s`` still apply, with a warning, unless
        ``c.JupyterExpApp`` sets them."""
        assert self.serverapp is not None
        old = self.serverapp.config.get("JupyterExp", {})
        new = self.config.get(type(self).__name__, {})
        for name in DEPRECATED_SETTINGS:
            if name in old:
                self.log.warning(
                    "jupyter-exp: c.JupyterExp.%s is deprecated; use c.JupyterExpApp.%s", name, name
                )
                if name not in new:
                    setattr(self, name, getattr(settings, name))

    def initialize_handlers(self) -> None:
        self.handlers.extend(routes())
        self.handlers.extend(run_routes())
        self.handlers.extend(model_routes())
        self.handlers.extend(sweep_routes())

    async def stop_extension(self) -> None:
        """The server is stopping: no more sweeps; running reproductions cancelled (kernels shut down)."""
        self.reaper.stop()
        await self.reaper.drain()
        await self.jobs.shutdown()
