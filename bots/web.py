"""The web role's ASGI app: health, and (when configured) Slack's routes."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from core.bootstrap import App, health_check


def create_web_app(app: App, routes: Sequence[BaseRoute] = ()) -> Starlette:
    check = health_check(app)

    async def healthz(request: Request) -> JSONResponse:
        healthy, body = await check()
        return JSONResponse(body, status_code=200 if healthy else 503)

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), *routes])
