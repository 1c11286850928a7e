"""The web role's ASGI app: health, and (when configured) Slack's routes."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from core import __version__
from core.app import App
from core.storage.db import head_revision


def create_web_app(app: App, routes: Sequence[BaseRoute] = ()) -> Starlette:
    head = head_revision()

    async def healthz(request: Request) -> JSONResponse:
        reachable = await app.db.ping()
        revision = await app.db.schema_revision() if reachable else None
        body = {
            "status": "ok" if reachable and revision == head else "degraded",
            "version": __version__,
            "database": "ok" if reachable else "unreachable",
            "database_backend": "sqlite" if app.db.is_sqlite else "postgresql",
            "schema": revision,
            "schema_expected": head,
        }
        return JSONResponse(body, status_code=200 if reachable else 503)

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), *routes])
