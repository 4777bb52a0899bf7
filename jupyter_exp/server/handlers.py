"""REST handlers under /jupyter-exp/: one authenticated base handler and one route table."""

from __future__ import annotations

import json
from typing import Any

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .._version import __version__
from ..config import resolve_store


class BaseHandler(APIHandler):
    """JSON errors with a message, never a stack trace."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        reason = self._reason
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], tornado.web.HTTPError) and exc_info[1].log_message:
            reason = exc_info[1].log_message
        self.finish(json.dumps({"message": reason, "status": status_code}))


class StoreHandler(BaseHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        location = resolve_store(self.settings.get("jupyter_exp"))
        self.finish(
            json.dumps(
                {
                    "tracking_uri": location.tracking_uri,
                    "artifact_root": location.artifact_root,
                    "root": str(location.root),
                    "version": __version__,
                }
            )
        )


ROUTES = [("store", StoreHandler)]


def setup_handlers(web_app: Any) -> None:
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$", [(url_path_join(base_url, "jupyter-exp", route), handler) for route, handler in ROUTES]
    )
