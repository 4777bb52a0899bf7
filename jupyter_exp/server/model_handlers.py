"""REST handlers of the model registry (docs/rest-api.md, docs/models.md): the registered models, one
model's versions, and registering a checkpoint through the same core function as ``%register`` (the
promotion alias gated by the verdict: 409 when the run has not reproduced). Authenticated and authorized on
``jupyter_exp`` (``write`` for the POST), on the base handler of handlers.py."""

from __future__ import annotations

from typing import Any

import tornado
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from jupyter_exp.config import JupyterExp
from jupyter_exp.models.catalog import list_models, model_detail
from jupyter_exp.models.registry import register
from jupyter_exp.server.handlers import BaseHandler, json_body

MODEL_NAME = r"(?P<name>[^/]+)"
MAX_REF = 300


def _registration(body: Any) -> tuple[str, str | None]:
    """The checkpoint and alias of a ``POST models/<name>/versions`` body (400 for anything else)."""
    if not isinstance(body, dict):
        raise tornado.web.HTTPError(400, "the body must be a JSON object")
    ref, alias = body.get("checkpoint"), body.get("alias")
    if not isinstance(ref, str) or not ref.strip() or len(ref) > MAX_REF:
        raise tornado.web.HTTPError(
            400, 'checkpoint is required: a model id (m-...), "RUN", "RUN@STEP", "RUN@best" or "RUN@last"'
        )
    if alias is not None and not isinstance(alias, str):
        raise tornado.web.HTTPError(400, 'alias must be a string (e.g. "candidate") or null')
    return ref.strip(), alias


class ModelsHandler(BaseHandler):
    """The registered models with their aliases."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.answer({"models": await self.in_thread(list_models)})


class ModelHandler(BaseHandler):
    """One registered model: its versions with verdict, aliases and provenance."""

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        alias = (self.exp_settings or JupyterExp()).promotion_alias
        self.answer(await self.in_thread(lambda client: model_detail(client, name, alias)))


class ModelVersionsHandler(BaseHandler):
    """Register a checkpoint as a version of the model (``%register``'s core, its gate included)."""

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        ref, alias = _registration(json_body(self.request.body))
        settings = self.exp_settings or JupyterExp()
        done = await self.in_thread(lambda client: register(client, settings, ref, name, alias))
        self.answer(done.document(), status=201)


ROUTES = [
    ("models", ModelsHandler),
    (f"models/{MODEL_NAME}", ModelHandler),
    (f"models/{MODEL_NAME}/versions", ModelVersionsHandler),
]


def model_routes() -> list[tuple[str, type[BaseHandler]]]:
    """This module's routes, relative to the server's base URL."""
    return [(url_path_join("jupyter-exp", route), handler) for route, handler in ROUTES]
