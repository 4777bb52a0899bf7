"""A loopback HTTP proxy in front of the gateway that keeps every request it forwards (method, path,
headers, body), so that a test can read exactly what jupyter-exp and the Jupyter server sent.

Only HTTP goes through it (``GatewayClient.url``); the kernels' websockets go to the gateway directly
(``GatewayClient.ws_url``): they carry messages to a started kernel, not its environment.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from tests.faults.mlflow_server import free_port

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return f"{self.method} {self.path}\n{self.headers}\n{self.body.decode(errors='replace')}"


class RecordingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[Recorded] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="gateway-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(60):
            raise RuntimeError("the recording proxy did not start")

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        proxy = self

        class Forward(RequestHandler):
            async def _forward(self) -> None:
                request = self.request
                proxy.requests.append(
                    Recorded(request.method or "", request.uri or "", dict(request.headers), request.body)
                )
                headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = HTTPRequest(
                    proxy.upstream + (request.uri or ""),
                    method=request.method or "GET",
                    headers=headers,
                    body=request.body if request.method in ("POST", "PUT", "PATCH") else None,
                    request_timeout=300,
                    allow_nonstandard_methods=True,
                )
                try:
                    response = await AsyncHTTPClient().fetch(upstream)
                except HTTPClientError as error:
                    if error.response is None:
                        raise
                    response = error.response
                self.set_status(response.code, response.reason)
                for name, value in response.headers.get_all():
                    if name.lower() not in HOP_BY_HOP:
                        self.set_header(name, value)
                if response.body:
                    self.write(response.body)

            get = post = delete = patch = put = _forward

        server = HTTPServer(Application([(r"/.*", Forward)]))
        server.listen(self.port, "127.0.0.1")
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            server.stop()
            loop.close()

    def bodies(self) -> list[Recorded]:
        return [r for r in self.requests if r.body]

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(30)
