"""The Slack harness: the real web role (Starlette + bolt) on an ASGI transport, signed requests, a fake Slack.

Requests are signed exactly as Slack signs them (slack_sdk's SignatureVerifier) and go through the same routes
`radar serve` mounts; every Web API call and every `response_url` answer lands on the loopback fake.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bots.slack.app import SlackIntegration, build_slack
from bots.web import create_web_app
from core.bootstrap import App
from tests.fakes import SourceRouter, read_json
from tests.slack.fake_slack import TEAM, FakeSlack, serve_fake

SECRET = "test-signing-secret-not-real"
BOT_TOKEN = "xoxb-test-bot-token"
CHANNEL = "C0000001"
ADMIN = "UADMIN001"
MEMBER = "UMEMBER01"
MANAGER = "UMANAGER1"  # listed in SLACK_MANAGERS, unknown to users.info
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def signed_headers(body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None,
                   signature: str | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    sig = signature or str(SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body))
    return {"content-type": content_type, "x-slack-request-timestamp": stamp, "x-slack-signature": sig}


def command_body(text: str, *, user: str, channel: str, team: str, response_url: str) -> str:
    return urlencode({
        "token": "legacy-unused", "team_id": team, "team_domain": "fake", "channel_id": channel,
        "channel_name": "research", "user_id": user, "user_name": user.lower(), "command": "/radar",
        "text": text, "api_app_id": "A0000001", "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": "1.2.3",
    })


def action_body(action_id: str, value: str, *, user: str, channel: str, team: str, response_url: str) -> str:
    payload = {
        "type": "block_actions", "api_app_id": "A0000001", "token": "legacy-unused", "trigger_id": "1.2.4",
        "team": {"id": team, "domain": "fake"}, "user": {"id": user, "team_id": team, "name": user.lower()},
        "channel": {"id": channel, "name": "research"}, "response_url": response_url,
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": channel,
                      "is_ephemeral": True},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                     "text": {"type": "plain_text", "text": "x"}, "action_ts": "1700000001.000001"}],
    }
    return "payload=" + quote(json.dumps(payload))


def event_body(event: dict[str, Any], *, team: str) -> str:
    return json.dumps({"token": "legacy-unused", "team_id": team, "api_app_id": "A0000001", "event": event,
                       "type": "event_callback", "event_id": "Ev0001", "event_time": int(time.time())})


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button of a message, in order (section accessories and actions blocks)."""
    found = []
    for block in blocks:
        if isinstance(block.get("accessory"), dict) and block["accessory"].get("type") == "button":
            found.append(block["accessory"])
        found += [e for e in block.get("elements", ()) if e.get("type") == "button"]
    return found


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + message.get("text", "")


@dataclass
class Harness:
    app: App
    slack: SlackIntegration
    fake: FakeSlack
    http: httpx.AsyncClient
    _keys: Iterator[int]

    async def post(self, path: str, body: str, content_type: str, **signing: Any) -> httpx.Response:
        return await self.http.post(path, content=body, headers=signed_headers(body, content_type, **signing))

    def _response_url(self) -> tuple[str, str]:
        key = f"r{next(self._keys)}"
        return key, self.fake.response_url(key)

    async def command(self, text: str, *, user: str = ADMIN, channel: str = CHANNEL, team: str = TEAM,
                      **signing: Any) -> tuple[httpx.Response, str]:
        """Send `/radar <text>`; returns the ack and the response_url key its later answers go to."""
        key, url = self._response_url()
        # Slack sends &, < and > of the typed text as entities.
        typed = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body = command_body(typed, user=user, channel=channel, team=team, response_url=url)
        return await self.post("/slack/events", body, "application/x-www-form-urlencoded", **signing), key

    async def ask(self, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        """The messages a person sees for `/radar <text>`: the ack's, or those posted to response_url."""
        ack, key = await self.command(text, **kwargs)
        assert ack.status_code == 200, ack.text
        if ack.content:
            return [ack.json(), *self.fake.answers(key)]
        return await self.fake.wait_for_answers(1, key)

    async def click(self, action_id: str, value: str, *, user: str = ADMIN, channel: str = CHANNEL,
                    team: str = TEAM) -> list[dict[str, Any]]:
        key, url = self._response_url()
        body = action_body(action_id, value, user=user, channel=channel, team=team, response_url=url)
        ack = await self.post("/slack/events", body, "application/x-www-form-urlencoded")
        assert ack.status_code == 200 and not ack.content, ack.text
        return await self.fake.wait_for_answers(1, key)

    async def event(self, event: dict[str, Any], *, team: str = TEAM) -> httpx.Response:
        return await self.post("/slack/events", event_body(event, team=team), "application/json")

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.slack.aclose()


def _works_by_author(body: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    def works(request: httpx.Request) -> httpx.Response:
        filters = parse_qs(request.url.query.decode()).get("filter", [""])[0]
        found = "author.id:A5100000002" in filters
        return httpx.Response(200, json=body if found else {"meta": {"count": 0, "next_cursor": None}, "results": []})

    return works


def source_router() -> SourceRouter:
    """Namesakes on OpenAlex (synthetic), a paper on arXiv/S2/HF, and a day of Hugging Face papers."""
    router = SourceRouter()
    namesakes = read_json(FIXTURES / "synthetic_researcher_namesakes.json")
    people = {r["id"].rsplit("/", 1)[-1]: r for r in namesakes["results"] if r.get("id")}

    def author(request: httpx.Request) -> httpx.Response:
        body = people.get(request.url.path.removeprefix("/authors/"))
        return httpx.Response(200, json=body) if body else httpx.Response(404, json={"error": "Not Found"})

    router.add("openalex", "/authors", namesakes)
    router.add("openalex", "/authors/", author)
    router.add("openalex", "/works", _works_by_author(read_json(FIXTURES / "synthetic_researcher_works.json")))
    router.add("arxiv_api", "/api/query", httpx.Response(
        200, content=(FIXTURES / "synthetic_arxiv_api_lookup.xml").read_bytes(),
        headers={"content-type": "application/atom+xml"}))
    router.add("semantic_scholar", "/graph/v1/paper/", read_json(FIXTURES / "synthetic_s2_paper_arxiv.json"))
    router.add("huggingface", "/api/papers/", read_json(FIXTURES / "synthetic_hf_paper_page.json"))
    router.add("huggingface", "/api/daily_papers", read_json(FIXTURES / "synthetic_hf_daily_papers_2024-03-14.json"))
    return router


@contextmanager
def serve_workspace() -> Iterator[FakeSlack]:
    """The fake Slack, serving a workspace with an admin (ADMIN) and a plain member (MEMBER)."""
    fake = FakeSlack()
    fake.add_user(ADMIN, admin=True, name="Ada Admin")
    fake.add_user(MEMBER, name="Max Member")
    with serve_fake(fake) as served:
        yield served


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with serve_workspace() as served:
        yield served


def slack_settings(fake: FakeSlack, **settings: Any) -> dict[str, Any]:
    """The settings that turn Slack on against `fake` (single-workspace mode unless SLACK_CLIENT_ID is given)."""
    values = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url, "SLACK_MANAGERS": MANAGER,
              "OPENALEX_API_KEY": "test-key", "RADAR_SLACK_RESPONSE_HOSTS": fake.base_url, **settings}
    if "SLACK_CLIENT_ID" not in values:
        values.setdefault("SLACK_BOT_TOKEN", BOT_TOKEN)
    return values


def start_harness(app: App, fake: FakeSlack) -> Harness:
    """The web role for `app` (built with `slack_settings(fake)`); close it with `harness.aclose()`."""
    slack = build_slack(app)
    assert slack is not None
    app.sinks["slack"] = slack.sink
    web = create_web_app(app, routes=slack.routes)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://radar.test")
    return Harness(app, slack, fake, http, itertools.count(1))


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_harness(app_factory: Any, fake_slack: FakeSlack) -> AsyncIterator[HarnessFactory]:
    made: list[Harness] = []

    async def factory(router: SourceRouter | None = None, **settings: Any) -> Harness:
        app = app_factory(router or source_router(), **slack_settings(fake_slack, **settings))
        harness = start_harness(app, fake_slack)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        await harness.aclose()


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness()


async def add_papers(app: App, count: int, *, category: str = "cs.LG", title: str = "Diffusion paper") -> list[str]:
    """`count` new papers in `category` that arrived an hour ago (inside the first digest's window)."""
    from datetime import timedelta

    from core.storage.models import PaperRow

    arrived = app.now() - timedelta(hours=1)
    ids = []
    async with app.db.session() as session:
        for i in range(1, count + 1):
            arxiv_id = f"2411.{i:05d}"
            ids.append(f"arXiv:{arxiv_id}")
            session.add(PaperRow(
                id=f"arXiv:{arxiv_id}", arxiv_id=arxiv_id, latest_version=1, versions=[1], title=f"{title} {i}",
                abstract=f"We study {title.lower()} number {i}. " * 8, authors=[{"name": "Ada Lovelace"}],
                categories=[category], primary_category=category, announce_type="new", announced=arrived.date(),
                sources=["arxiv"], arrived_at=arrived, first_seen_at=arrived, updated_at=arrived,
                last_announce_type="new", last_announced=arrived.date()))
        await session.commit()
    return ids
