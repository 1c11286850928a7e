"""The web role's ASGI app: health, and (when configured) Slack's routes, behind bounds on what a client may send.

Anyone on the internet can reach this server, so what a client sends is bounded before any of it is kept:
- a body larger than RADAR_WEB_MAX_BODY is refused with 413, from its Content-Length before a byte of it is read,
  or as soon as a streamed (chunked) body passes the limit; Slack's payloads are a few KiB;
- the body must arrive within RADAR_WEB_BODY_TIMEOUT seconds (408), and the request line and headers within
  RADAR_WEB_HEADER_TIMEOUT seconds of the connection opening or of the previous answer (the connection is
  closed), so that a half-open or trickling client cannot hold a socket and a task forever.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from core.bootstrap import App, health_check
from core.config import Settings

log = logging.getLogger("radar.web")
# h11's own bound on a request line plus headers (its default, said here so that it is a decision).
MAX_HEADER_BYTES = 16 * 1024
KEEP_ALIVE_S = 5


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class BoundedRequests:
    """ASGI middleware: reads the whole body first, within the size and time limits, then hands it to the app.

    Buffering is what makes both limits simple to keep, and it costs nothing at these sizes."""

    def __init__(self, app: ASGIApp, max_body: int, body_timeout_s: float) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_declared_length(scope)
            async with asyncio.timeout(self.body_timeout_s):
                body = await self._read(receive)
        except _Refused as refusal:
            await self._refuse(scope, send, refusal.status, refusal.reason)
            return
        except TimeoutError:
            await self._refuse(scope, send, 408, f"the body took longer than {self.body_timeout_s:g}s")
            return
        if body is None:
            return  # the client went away

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # what is left to hear is the disconnect

        await self.app(scope, replay, send)

    def _check_declared_length(self, scope: Scope) -> None:
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or len(value) > 18:
                    raise _Refused(400, "the Content-Length header is not a number")
                if int(value) > self.max_body:
                    raise _Refused(413, f"a body of {int(value)} bytes (the limit is {self.max_body})")

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _Refused(413, f"a streamed body past {self.max_body} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, send: Send, status: int, reason: str) -> None:
        client = (scope.get("client") or ("?",))[0]
        log.warning("web: refused %s %r from %s: %s (%d)", scope.get("method"), scope.get("path"), client, reason,
                    status)
        body = json.dumps({"error": reason}).encode()
        # Closing the connection stops a client that is still sending: nothing more of it is read.
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body, "more_body": False})


def create_web_app(app: App, routes: Sequence[BaseRoute] = ()) -> Starlette:
    check = health_check(app)
    settings = app.settings

    async def healthz(request: Request) -> JSONResponse:
        healthy, body = await check()
        return JSONResponse(body, status_code=200 if healthy else 503)

    bounds = Middleware(BoundedRequests, max_body=settings.web_max_body, body_timeout_s=settings.web_body_timeout_s)
    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), *routes], middleware=[bounds])


def bounded_h11(header_timeout_s: float) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request line and headers are not all in within
    `header_timeout_s` of it opening (or of the previous answer on it). uvicorn alone times out only an idle
    keep-alive connection, and even that timer stops at the first byte of a next request."""

    class HeaderDeadline(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            if not self.transport.is_closing():
                self._header_timer = self.loop.call_later(header_timeout_s, self._deadline)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _deadline(self) -> None:
            self._header_timer = None
            # IDLE: no complete request head yet. A request being read or answered is the body deadline's and
            # the app's business.
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                log.debug("web: closed a connection that sent no complete request within %gs", header_timeout_s)
                self.transport.close()

    return HeaderDeadline


def server_config(web: ASGIApp, settings: Settings) -> uvicorn.Config:
    """How `radar serve` runs the web role: uvicorn on HTTP/1.1 with the header deadline and bounded headers."""
    return uvicorn.Config(web, host=settings.host, port=settings.port, log_config=None, lifespan="off",
                          http=bounded_h11(settings.web_header_timeout_s), timeout_keep_alive=KEEP_ALIVE_S,
                          h11_max_incomplete_event_size=MAX_HEADER_BYTES)
