"""REST handlers under /jupyter-exp/ (docs/rest-api.md): one base handler and one route table, every
handler authenticated and authorized (resource ``jupyter_exp``).

Handlers are thin: parse the request, run the framework-free core (listing, compare, jobs) with MLflow
calls on a thread, answer JSON. Errors are ``{"message", "status"}``, never a stack trace; bad input is a
400 with one line, 502 only for a store that failed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import tornado
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from jupyter_exp._version import __version__
from jupyter_exp.capture.cell import key_values
from jupyter_exp.capture.secrets import redact_text
from jupyter_exp.config import JupyterExp, StoreLocation, resolve_store
from jupyter_exp.errors import JupyterExpError, StoreFailure
from jupyter_exp.models.listing import run_checkpoint_list
from jupyter_exp.query.compare_document import compare_runs, run_series
from jupyter_exp.query.documents import RunMetrics, RunsPage, StoreInfo
from jupyter_exp.query.listing import QueryError, RunQuery, list_runs, run_detail, ui_url, user_filter
from jupyter_exp.query.relations import run_relations
from jupyter_exp.server.jobs import ReproductionJobs
from jupyter_exp.server.kernel_launcher import ServerKernelLauncher
from jupyter_exp.server.snapshot import DEFAULT_MAX_MB, locate_snapshot, write_untrusted
from jupyter_exp.tracking.run_ids import is_prefix, resolve_run_id
from jupyter_exp.tracking.store import client_for

T = TypeVar("T")
RUN_ID = r"(?P<run_id>[^/]+)"
JOB_ID = r"(?P<job_id>[0-9a-f]+)"
AUTH_RESOURCE = "jupyter_exp"
SNAPSHOT_CHUNK = 1 << 20
SQLITE_INTEGERS = range(-(2**63), 2**63)
_INTEGER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|(?<![\w.])-?\d+(?![\w.])")


class StoreClients:
    """One ``MlflowClient`` per tracking URI, created (and the store with it) on first use."""

    def __init__(self) -> None:
        self._clients: dict[str, MlflowClient] = {}
        self._lock = threading.Lock()

    def get(self, location: StoreLocation) -> MlflowClient:
        with self._lock:
            client = self._clients.get(location.tracking_uri)
            if client is None:
                client = self._clients[location.tracking_uri] = client_for(location)
            return client


_MLFLOW_STATUS = {
    "INVALID_PARAMETER_VALUE": 400,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "PERMISSION_DENIED": 403,  # the tracking server's own authorization (mlflow server --app-name basic-auth)
    "UNAUTHENTICATED": 401,
}


def _http_error(error: Exception) -> tornado.web.HTTPError:
    """Our errors answer with their own ``http_status`` (jupyter_exp.errors); MLflow's by their error code;
    anything else is a bug: 500."""
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, JupyterExpError):
        if isinstance(error, StoreFailure):
            message = f"the tracking store failed: {message}"
        return tornado.web.HTTPError(error.http_status, message)
    if isinstance(error, MlflowException):
        status = _MLFLOW_STATUS.get(error.error_code, 502)
        return tornado.web.HTTPError(
            status, message if status < 500 else f"the tracking store failed: {message}"
        )
    return tornado.web.HTTPError(500, f"{type(error).__name__}: {message}")


def check_page_token(token: str) -> str:
    """A page token this API handed out: base64 of a JSON object (MLflow's search tokens)."""
    try:
        document = json.loads(base64.b64decode(token, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        document = None
    if not isinstance(document, dict) or not _plausible_offset(document.get("offset", 0)):
        raise QueryError("invalid page token: use a next_page_token this API returned, as it is")
    return token


def _plausible_offset(offset: Any) -> bool:
    """An offset a store can skip to: a whole number from 0 to 2**63 - 1 (MLflow's tokens hold one)."""
    if isinstance(offset, str) and offset.isascii() and offset.isdigit() and len(offset) < 20:
        offset = int(offset)
    return isinstance(offset, int) and not isinstance(offset, bool) and 0 <= offset < 2**63


def check_filter_integers(text: str) -> str:
    """Integers a SQL store cannot hold are refused here (MLflow would fail deep in the driver)."""
    for match in _INTEGER.finditer(text):
        literal = match.group(0)
        if literal[0] not in "'\"`" and int(literal) not in SQLITE_INTEGERS:
            raise QueryError(
                f"filter: the integer {literal[:30]} is out of range (a store holds at most 2**63 - 1)"
            )
    return text


def json_body(body: bytes) -> Any:
    """The request body as JSON; anything else (including nesting too deep to parse) is a 400."""
    try:
        return json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise tornado.web.HTTPError(400, "the body must be JSON (an object, not too deeply nested)") from None


class BaseHandler(APIHandler):
    """JSON errors with a message, never a stack trace; store access off the event loop."""

    auth_resource = AUTH_RESOURCE

    @property
    def exp_settings(self) -> JupyterExp | None:
        return self.settings.get("jupyter_exp_settings")

    @property
    def location(self) -> StoreLocation:
        return resolve_store(self.exp_settings)

    @property
    def jobs(self) -> ReproductionJobs:
        jobs: ReproductionJobs = self.settings["jupyter_exp_jobs"]
        return jobs

    async def in_thread(self, work: Callable[[MlflowClient], T]) -> T:
        """Run ``work(client)`` on a thread; core errors become HTTP errors."""
        location = self.location
        clients: StoreClients = self.settings["jupyter_exp_clients"]
        try:
            return await asyncio.to_thread(lambda: work(clients.get(location)))
        except tornado.web.HTTPError:
            raise
        except Exception as error:
            http_error = _http_error(error)
            if http_error.status_code >= 500:
                self.log.warning("jupyter-exp: %s failed: %s", self.request.path, error, exc_info=True)
            raise http_error from None

    async def full_run_id(self, run_id: str) -> str:
        """A run id of the path or query: a unique prefix of 6+ characters is that run's full id (400 naming
        the candidates when several runs start with it); a full id costs no query."""
        if not is_prefix(run_id.strip()):
            return run_id
        return await self.in_thread(lambda client: resolve_run_id(client, run_id))

    async def require(self, action: str, resource: str) -> None:
        """A permission beyond this handler's own (403 without it)."""
        allowed = await ensure_async(self.authorizer.is_authorized(self, self.current_user, action, resource))
        if not allowed:
            raise tornado.web.HTTPError(403, f"User is not authorized to {action} on resource: {resource}.")

    def int_argument(self, name: str, default: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise tornado.web.HTTPError(400, f"{name} must be an integer, got {raw!r}") from None

    def list_argument(self, name: str) -> list[str]:
        raw = self.get_query_argument(name, "") or ""
        return [part.strip() for part in raw.split(",") if part.strip()]

    def answer(self, document: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(document, allow_nan=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        reason = self._reason
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        if isinstance(error, tornado.web.HTTPError) and error.log_message:
            reason = error.log_message % error.args  # tornado doubled the %s of an argument-less message
        self.finish(json.dumps({"message": reason, "status": status_code}))


class StoreHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        location = self.location
        info: StoreInfo = {
            "tracking_uri": redact_text(location.tracking_uri),
            "artifact_root": location.artifact_root and redact_text(location.artifact_root),
            "root": str(location.root),
            "version": __version__,
            "ui_url": ui_url(location.tracking_uri),
        }
        self.answer(info)


class RunsHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        try:
            tags = key_values(self.get_query_arguments("tag"), "tag")
        except ValueError as error:
            raise tornado.web.HTTPError(400, str(error)) from None
        page_token = self.get_query_argument("page_token", None) or None
        try:
            query = RunQuery(
                notebook=self.get_query_argument("notebook", None) or None,
                experiment=self.get_query_argument("experiment", None) or None,
                status=self.get_query_argument("status", None) or None,
                tags=tags,
                user=user_filter(self.get_query_argument("user", None), self.location.tracking_uri),
                filter=check_filter_integers(self.get_query_argument("filter", "") or ""),
                order=self.get_query_argument("order", "") or "start_time DESC",
                max_results=self.int_argument("max_results", 100),
                page_token=page_token and check_page_token(page_token),
                lifecycle=self.get_query_argument("lifecycle", "") or "active",
            )
        except QueryError as error:
            raise tornado.web.HTTPError(400, str(error)) from None
        runs, token = await self.in_thread(lambda client: list_runs(client, query))
        page: RunsPage = {"runs": runs, "next_page_token": token}
        self.answer(page)


class RunHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        self.answer(await self.in_thread(lambda client: run_detail(client, run_id)))


class RelationsHandler(BaseHandler):
    """A run's parent, children, reproductions both ways; a ``--seeds`` parent's shared configuration."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        self.answer(await self.in_thread(lambda client: run_relations(client, run_id)))


class CheckpointsHandler(BaseHandler):
    """A run's checkpoints (``jupyter_exp.checkpoint()``), best first by its objective."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        settings = self.exp_settings
        self.answer(await self.in_thread(lambda client: run_checkpoint_list(client, run_id, settings)))


class MetricsHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        keys = self.list_argument("keys")
        max_points = self.int_argument("max_points", 1000)
        found = await self.in_thread(lambda client: run_series(client, run_id, keys, max_points))
        metrics: RunMetrics = {"run_id": run_id, "series": found}
        self.answer(metrics)


class SnapshotHandler(BaseHandler):
    """The run's recorded notebook, every cell untrusted, at most ``c.JupyterExpApp.snapshot_max_mb``
    (413 above), parsed in a child process (server/snapshot.py) and streamed from a file."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run_id = await self.full_run_id(run_id)
        max_bytes = int(self.settings.get("jupyter_exp_snapshot_max_mb", DEFAULT_MAX_MB) * 1e6)
        slots: asyncio.Semaphore = self.settings["jupyter_exp_snapshot_slots"]
        with tempfile.TemporaryDirectory(prefix="jupyter-exp-snapshot-") as folder:
            source = await self.in_thread(
                lambda client: locate_snapshot(client, run_id, Path(folder), max_bytes)
            )
            served = Path(folder) / "served.json"
            async with slots:  # a few at a time: each child holds a parsed notebook
                try:
                    await write_untrusted(run_id, source, served, max_bytes)
                except JupyterExpError as error:
                    raise _http_error(error) from None
            self.set_header("Content-Type", "application/json")
            self.set_header("Content-Length", str(served.stat().st_size))
            with served.open("rb") as stream:
                while chunk := await asyncio.to_thread(stream.read, SNAPSHOT_CHUNK):
                    self.write(chunk)
                    await self.flush()
        self.finish()


class CompareHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        run_ids = [await self.full_run_id(run_id) for run_id in self.list_argument("run_ids")]
        max_points = self.int_argument("max_points", 500)
        pattern = (self.exp_settings.lower_is_better or None) if self.exp_settings else None
        self.answer(await self.in_thread(lambda client: compare_runs(client, run_ids, max_points, pattern)))


class JobsHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.answer({"jobs": [job.document() for job in self.jobs.all()]})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        await self.require("execute", "kernels")  # it starts a kernel and runs recorded code
        body = json_body(self.request.body)
        launcher = ServerKernelLauncher(self.kernel_manager)
        try:
            job = await self.jobs.start(body, self.location, launcher, self.exp_settings)
        except Exception as error:
            raise _http_error(error) from None
        self.answer(job.document(), status=202)


class JobHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        try:
            self.answer(self.jobs.get(job_id).document())
        except JupyterExpError as error:
            raise _http_error(error) from None


class JobCancelHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        try:
            job = await self.jobs.cancel(job_id)
        except JupyterExpError as error:
            raise _http_error(error) from None
        self.answer(job.document())


ROUTES = [
    ("store", StoreHandler),
    ("runs", RunsHandler),
    (f"runs/{RUN_ID}", RunHandler),
    (f"runs/{RUN_ID}/metrics", MetricsHandler),
    (f"runs/{RUN_ID}/relations", RelationsHandler),
    (f"runs/{RUN_ID}/checkpoints", CheckpointsHandler),
    (f"runs/{RUN_ID}/snapshot", SnapshotHandler),
    ("compare", CompareHandler),
    ("reproductions", JobsHandler),
    (f"reproductions/{JOB_ID}", JobHandler),
    (f"reproductions/{JOB_ID}/cancel", JobCancelHandler),
]


def routes() -> list[tuple[str, type[BaseHandler]]]:
    """The route table, relative to the server's base URL (``ExtensionApp`` prefixes it)."""
    return [(url_path_join("jupyter-exp", route), handler) for route, handler in ROUTES]
