"""REST handler of the sidebar's sweep view (docs/rest-api.md): a sweep's trials, best trial and param
importance (query/sweeps.py), on the base handler of handlers.py: authenticated, authorized on
``jupyter_exp``; a run that is no sweep's parent is a one-line 400, an unknown one a 404."""

from __future__ import annotations

import tornado
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from jupyter_exp.query.sweeps import sweep_document
from jupyter_exp.server.handlers import RUN_ID, BaseHandler


class SweepHandler(BaseHandler):
    """``GET sweeps/<parent run id>`` (a unique prefix of 6+ characters too)."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        self.answer(await self.in_thread(lambda client: sweep_document(client, run_id)))


ROUTES = [(f"sweeps/{RUN_ID}", SweepHandler)]


def sweep_routes() -> list[tuple[str, type[BaseHandler]]]:
    """This module's routes, relative to the server's base URL."""
    return [(url_path_join("jupyter-exp", route), handler) for route, handler in ROUTES]
