"""Test helpers for the source clients: replay vcrpy cassettes in place, and build a hub that never waits.

The recordings in ../shared/fixtures are read where they lie (never copied). vcrpy wrote two layouts over the
years (`body: {string: ...}` + `status: {code: ...}`, and httpx-style `content` + `status_code`), and gzip
bodies as binary: both are served here through `httpx.MockTransport`, matched on method, path and query (and
the JSON body, for requests that had one). A request no interaction matches fails the test loudly.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import yaml

from core.config import Settings
from core.sources.hub import SourceHub

LOOPBACK = "http://127.0.0.1:9"
_DROPPED_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection"}


class UnmatchedRequest(AssertionError):
    """The code under test sent a request the cassette does not hold."""


def _query(url: str) -> list[tuple[str, str]]:
    return sorted(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _body_bytes(response: dict[str, Any]) -> bytes:
    body: Any = response.get("content")
    if body is None:
        body = (response.get("body") or {}).get("string", b"")
    data = body if isinstance(body, bytes) else str(body or "").encode("utf-8")
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _status(response: dict[str, Any]) -> int:
    status = response.get("status")
    return int(status["code"]) if isinstance(status, dict) else int(response["status_code"])


@dataclass
class Interaction:
    method: str
    path: str
    query: list[tuple[str, str]]
    json_body: Any
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    used: bool = False


@dataclass
class Cassette:
    path: Path
    match_query: bool = True
    interactions: list[Interaction] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path, *, match_query: bool = True) -> Cassette:
        cassette = cls(path=path, match_query=match_query)
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
            request, response = raw["request"], raw["response"]
            body = request.get("body")
            headers = [
                (name, value)
                for name, values in (response.get("headers") or {}).items()
                if name.lower() not in _DROPPED_HEADERS
                for value in (values if isinstance(values, list) else [values])
            ]
            cassette.interactions.append(
                Interaction(
                    method=request["method"].upper(),
                    path=urlsplit(request["uri"]).path,
                    query=_query(request["uri"]),
                    json_body=json.loads(body) if body else None,
                    status=_status(response),
                    headers=headers,
                    body=_body_bytes(response),
                )
            )
        return cassette

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        sent_body = json.loads(request.content) if request.content else None
        for interaction in self.interactions:
            if interaction.used or interaction.method != request.method or interaction.path != request.url.path:
                continue
            if self.match_query and interaction.query != _query(str(request.url)):
                continue
            if interaction.json_body is not None and interaction.json_body != sent_body:
                continue
            interaction.used = True
            return httpx.Response(interaction.status, headers=interaction.headers, content=interaction.body)
        raise UnmatchedRequest(f"{self.path.name} holds no unused interaction for {request.method} {request.url}")

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    @property
    def all_used(self) -> bool:
        return all(interaction.used for interaction in self.interactions)


class FakeTime:
    """A clock that only moves when code sleeps, so pacing and backoff run for real and instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


def loopback_settings(**values: Any) -> Settings:
    """Settings that ignore any `.env` and point every source at loopback (paths as the recordings have them)."""
    defaults: dict[str, Any] = {
        "RADAR_OPENALEX_URL": LOOPBACK,
        "RADAR_SEMANTIC_SCHOLAR_URL": f"{LOOPBACK}/graph/v1",
        "RADAR_SEMANTIC_SCHOLAR_RECOMMENDATIONS_URL": f"{LOOPBACK}/recommendations/v1",
        "RADAR_HUGGINGFACE_URL": LOOPBACK,
        "RADAR_CONTACT_EMAIL": "",
    }
    return Settings(_env_file=None, **{**defaults, **values})  # type: ignore[call-arg]


Handler = Callable[[httpx.Request], httpx.Response]


def make_hub(handler: Handler | httpx.MockTransport, time: FakeTime | None = None, **settings: Any) -> SourceHub:
    transport = handler if isinstance(handler, httpx.MockTransport) else httpx.MockTransport(handler)
    time = time or FakeTime()
    return SourceHub(loopback_settings(**settings), transport=transport, sleep=time.sleep, clock=time.clock)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
