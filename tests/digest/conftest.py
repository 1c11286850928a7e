"""A channel, a feed and a sink that records what the channel would see."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bots.console.sink import ConsoleSink
from core.model.context import Destination
from core.model.sink import DeliveryError, MarkSent
from core.views import DigestView
from tests.fakes import SourceRouter

THURSDAY = datetime(2024, 11, 28, 12, 0, tzinfo=UTC)  # the real feed's day, 07:00 in New York


@dataclass
class RecordingSink:
    """Posts into a list, one 'message' per digest item (so failures can strike between items)."""

    messages: list[tuple[Destination, str, str]] = field(default_factory=list)  # (where, paper id, message id)
    views: list[DigestView] = field(default_factory=list)
    fail_after: int | None = None  # raise after this many messages
    error: DeliveryError | Exception | None = None
    text: io.StringIO = field(default_factory=io.StringIO)

    def paginate(self, view: DigestView) -> list[tuple[str, ...]]:
        return [(item.paper_id,) for item in view.items]  # as it posts: one message per paper

    async def send_digest(self, destination: Destination, view: DigestView, mark_sent: MarkSent, *,
                          previous: Sequence[str] = ()) -> None:
        self.views.append(view)
        await ConsoleSink(self.text).send_digest(destination, view, _ignore, previous=previous)
        for item in view.items:
            if self.fail_after is not None and len(self.messages) >= self.fail_after:
                assert self.error is not None
                raise self.error
            message_id = f"m{len(self.messages) + 1}"
            self.messages.append((destination, item.paper_id, message_id))
            await mark_sent([item.paper_id], message_id)
        if not view.items:
            self.messages.append((destination, "", f"m{len(self.messages) + 1}"))
            await mark_sent([], f"m{len(self.messages)}")

    def paper_ids(self) -> list[str]:
        return [paper for _, paper, _ in self.messages if paper]


async def _ignore(paper_ids: Sequence[str], message_id: str) -> None:
    return None


def feed_router(recordings: Path) -> SourceRouter:
    body = (recordings / "arxiv_rss" / "rss_all_archives_2024-11-28.xml").read_bytes()
    return SourceRouter().add("arxiv_rss", "/rss/", httpx.Response(200, content=body,
                                                                   headers={"content-type": "application/xml"}))


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def channel_app(app_factory, recordings: Path, sink: RecordingSink) -> Any:  # type: ignore[no-untyped-def]
    app = app_factory(feed_router(recordings), now=THURSDAY)
    app.sinks["console"] = sink
    return app
