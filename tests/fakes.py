"""Fakes shared by handler and end-to-end tests: routed mock sources, a clock that never waits, an App.

Every source gets its own loopback port in the settings, so one `httpx.MockTransport` can tell them apart;
nothing is ever sent (MockTransport answers in-process), and a request no route expects fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bots.console.adapter import ask
from core.bootstrap import App, build_app
from core.config import Settings
from core.views import View

PORTS = {"arxiv_api": 9101, "arxiv_rss": 9102, "openalex": 9103, "semantic_scholar": 9104, "huggingface": 9105}
SOURCE_URLS = {
    "RADAR_ARXIV_API_URL": "http://127.0.0.1:9101/api",
    "RADAR_ARXIV_RSS_URL": "http://127.0.0.1:9102",
    "RADAR_OPENALEX_URL": "http://127.0.0.1:9103",
    "RADAR_SEMANTIC_SCHOLAR_URL": "http://127.0.0.1:9104/graph/v1",
    "RADAR_SEMANTIC_SCHOLAR_RECOMMENDATIONS_URL": "http://127.0.0.1:9104/recommendations/v1",
    "RADAR_HUGGINGFACE_URL": "http://127.0.0.1:9105",
}

Responder = Callable[[httpx.Request], httpx.Response]


class UnexpectedRequest(AssertionError):
    """The code under test called a source no route was set up for."""


@dataclass
class SourceRouter:
    """Routes requests by source (port) and path prefix; keeps every request for assertions."""

    routes: list[tuple[str, str, Responder]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def add(self, source: str, path_prefix: str, responder: Responder | httpx.Response | Any) -> SourceRouter:
        if isinstance(responder, httpx.Response):
            fixed = responder
            responder = lambda request: fixed  # noqa: E731
        elif not callable(responder):
            body = responder
            responder = lambda request: httpx.Response(200, json=body)  # noqa: E731
        self.routes.append((source, path_prefix, responder))
        return self

    def source_of(self, request: httpx.Request) -> str:
        for name, port in PORTS.items():
            if request.url.port == port:
                return name
        raise UnexpectedRequest(f"request to an unknown host: {request.url}")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        source = self.source_of(request)
        for name, prefix, responder in reversed(self.routes):  # later routes override earlier ones
            if name == source and request.url.path.startswith(prefix):
                return responder(request)
        raise UnexpectedRequest(f"no route for {source} {request.method} {request.url}")

    def calls(self, source: str, path_prefix: str = "") -> list[httpx.Request]:
        return [r for r in self.requests if self.source_of(r) == source and r.url.path.startswith(path_prefix)]


class FakeTime:
    """Monotonic clock and sleep for pacing and retries: sleeping advances the clock instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)


def settings_for(database_url: str, **values: Any) -> Settings:
    env = {"DATABASE_URL": database_url, **SOURCE_URLS, **{k.upper(): v for k, v in values.items()}}
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


def make_app(
    database_url: str,
    router: SourceRouter | None = None,
    *,
    now: datetime | None = None,
    time: FakeTime | None = None,
    **settings: Any,
) -> App:
    router = router or SourceRouter()
    time = time or FakeTime()
    clock_now = now or datetime(2024, 11, 28, 12, 0, tzinfo=UTC)
    return build_app(
        settings_for(database_url, **settings),
        transport=httpx.MockTransport(router),
        sleep=time.sleep,
        clock=time.clock,
        now=lambda: clock_now,
    )


async def ask_text(app: App, text: str) -> tuple[View, str]:
    """Ask as the console channel; return the View and the text the console would print."""
    from bots.console.render import render

    view = await ask(app, text)
    return view, render(view)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
