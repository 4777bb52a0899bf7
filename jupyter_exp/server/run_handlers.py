"""REST handlers for run management, a run's artifacts in JupyterLab's viewers and metric histories for its
charts (docs/rest-api.md), on the base handler of handlers.py: authenticated, authorized on ``jupyter_exp``
(``write`` for the POSTs), the store's own permissions deciding after that (its 403 is one line)."""

from __future__ import annotations

from typing import Any

import tornado
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from jupyter_exp.query.artifact_view import artifact_content
from jupyter_exp.query.history import metric_histories
from jupyter_exp.query.runs_matrix import runs_matrix
from jupyter_exp.server.handlers import RUN_ID, BaseHandler, json_body
from jupyter_exp.tracking.manage import delete_run, rename_run, restore_run, set_note, update_tags


def _body(handler: BaseHandler) -> dict[str, Any]:
    body = json_body(handler.request.body)
    if not isinstance(body, dict):
        raise tornado.web.HTTPError(400, "the body must be a JSON object")
    return body


class RenameHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        name = _body(self).get("name")
        stored = await self.in_thread(lambda client: rename_run(client, run_id, name))
        self.answer({"run_id": run_id, "run_name": stored})


class NoteHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        note = _body(self).get("note")
        stored = await self.in_thread(lambda client: set_note(client, run_id, note))
        self.answer({"run_id": run_id, "note": stored})


class TagsHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        body = _body(self)
        set_tags, delete = body.get("set", {}), body.get("delete", [])
        tags = await self.in_thread(lambda client: update_tags(client, run_id, set_tags, delete))
        self.answer({"run_id": run_id, "tags": tags})


class DeleteHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        stage = await self.in_thread(lambda client: delete_run(client, run_id))
        self.answer({"run_id": run_id, "lifecycle": stage})


class RestoreHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        stage = await self.in_thread(lambda client: restore_run(client, run_id))
        self.answer({"run_id": run_id, "lifecycle": stage})


class ArtifactHandler(BaseHandler):
    """One artifact for a read-only viewer: ``?path=`` relative to the run's artifacts."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        path = self.get_query_argument("path", "") or ""
        max_bytes = int(self.settings.get("jupyter_exp_snapshot_max_mb", 50) * 1e6)
        self.answer(await self.in_thread(lambda client: artifact_content(client, run_id, path, max_bytes)))


class HistoryHandler(BaseHandler):
    """Metric histories with steps and times, for a run's charts (several runs overlaid)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        run_ids = [await self.full_run_id(run_id) for run_id in self.list_argument("run_ids")]
        keys = self.list_argument("keys")
        max_points = self.int_argument("max_points", 1000)
        self.answer(await self.in_thread(lambda client: metric_histories(client, run_ids, keys, max_points)))


class TableHandler(BaseHandler):
    """Params, last metric values and tags of the runs asked for, or of an experiment's runs."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        run_ids = [await self.full_run_id(run_id) for run_id in self.list_argument("run_ids")]
        experiment = self.get_query_argument("experiment", "") or None
        limit = self.int_argument("max_results", 1000)
        self.answer(await self.in_thread(lambda client: runs_matrix(client, run_ids, experiment, limit)))


ROUTES = [
    (f"runs/{RUN_ID}/rename", RenameHandler),
    (f"runs/{RUN_ID}/note", NoteHandler),
    (f"runs/{RUN_ID}/tags", TagsHandler),
    (f"runs/{RUN_ID}/delete", DeleteHandler),
    (f"runs/{RUN_ID}/restore", RestoreHandler),
    (f"runs/{RUN_ID}/artifact", ArtifactHandler),
    ("history", HistoryHandler),
    ("table", TableHandler),
]


def run_routes() -> list[tuple[str, type[BaseHandler]]]:
    """This module's routes, relative to the server's base URL."""
    return [(url_path_join("jupyter-exp", route), handler) for route, handler in ROUTES]
