"""A channel, a feed, a sink that records what the channel would see, and a database that fails on demand."""

from __future__ import annotations

import functools
import io
import logging
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from bots.console.adapter import CONSOLE_DESTINATION
from bots.console.sink import ConsoleSink
from core.digest.deliver import run_digest
from core.model.context import Destination
from core.model.enums import RunKind
from core.model.sink import DeliveryError, MarkSent
from core.storage import ledger, repos
from core.storage.models import DigestRunRow
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


FEED = "arxiv_rss/rss_all_archives_2024-11-28.xml"
_ITEM = re.compile(rb"<item>.*?</item>", re.S)
_CATEGORY = re.compile(rb"<category>([^<]*)</category>")


async def digest_recorded(app: Any, destination: int, kind: RunKind = RunKind.SCHEDULED
                          ) -> tuple[DigestView, RecordingSink]:
    """Run one channel's digest into a fresh `RecordingSink` on the console; it must go out whole."""
    recording = RecordingSink()
    app.sinks["console"] = recording
    outcome = await run_digest(app, destination, kind=kind)
    assert outcome.state == "done", outcome
    return recording.views[0], recording


async def console_channel_last_digest(app: Any, when: datetime) -> int:
    """The console channel, as if its last digest went out at `when`; its id."""
    async with app.db.session() as session:
        row = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        row.last_digest_at = when
        session.add(row)
        await session.commit()
    assert row.id is not None
    return row.id


async def retry_wait_over(app: Any, run_id: int | None) -> None:
    """A run waiting to retry (a 429) finished an hour ago: its retry wait is over."""
    async with app.db.session() as session:
        run = await session.get(DigestRunRow, run_id)
        run.finished_at = datetime.now(UTC) - timedelta(hours=1)
        session.add(run)
        await session.commit()


def all_archives_path(recordings: Path) -> str:
    """The path the recorded feed was fetched from (its self link): every archive, joined with `+`."""
    found = re.search(rb'<atom:link href="https?://[^/"]+(/rss/[^"]+)"', (recordings / FEED).read_bytes())
    assert found is not None
    return found.group(1).decode()


@functools.cache
def _recorded_items(path: Path) -> tuple[bytes, bytes, tuple[tuple[bytes, frozenset[str]], ...]]:
    body = path.read_bytes()
    items = list(_ITEM.finditer(body))
    head, tail = body[: items[0].start()], body[items[-1].end():]
    return head, tail, tuple((m.group(0), frozenset(c.decode() for c in _CATEGORY.findall(m.group(0))))
                             for m in items)


def announcements(recordings: Path) -> Callable[[httpx.Request], httpx.Response]:
    """arXiv's feed server on the recorded day: `/rss/<names joined by +>` lists the items in any of those
    archives or categories, so the all-archives request gets the whole 1,504-item document and `cs+stat.ML`
    only its part, as the real server answers."""
    whole = (recordings / FEED).read_bytes()
    everything = all_archives_path(recordings)

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == everything:
            body = whole
        else:
            names = request.url.path.removeprefix("/rss/").split("+")
            head, tail, items = _recorded_items(recordings / FEED)
            kept = [item for item, categories in items
                    if any(c == n or c.startswith(f"{n}.") for c in categories for n in names)]
            body = head + b"\n".join(kept) + tail
        return httpx.Response(200, content=body, headers={"content-type": "application/xml"})

    return respond


def feed_router(recordings: Path) -> SourceRouter:
    return SourceRouter().add("arxiv_rss", "/rss/", announcements(recordings))


def recommendations(recordings: Path) -> httpx.Response:
    """Semantic Scholar's recommendations as recorded (a real `forpaper` answer, titles only), whatever paper is
    asked about: `similar` shows them as Semantic Scholar's."""
    from tests.sources.cassettes import Cassette

    (recorded,) = Cassette.load(recordings / "semanticscholar" / "cassette_test_get_recommended_papers.yaml").interactions
    return httpx.Response(recorded.status, content=recorded.body, headers={"content-type": "application/json"})


def learning_router(recordings: Path) -> SourceRouter:
    """The day's feed, and Semantic Scholar's recommendations for `similar`."""
    return feed_router(recordings).add("semantic_scholar", "/recommendations/v1/papers/forpaper/",
                                       recommendations(recordings))


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def channel_app(app_factory, recordings: Path, sink: RecordingSink) -> Any:  # type: ignore[no-untyped-def]
    app = app_factory(feed_router(recordings), now=THURSDAY)
    app.sinks["console"] = sink
    return app


@contextmanager
def database_down(*operations: str, on_calls: Collection[int] | None = None) -> Iterator[list[str]]:
    """These ledger operations fail as they do while the database is unreachable: every call, or only their
    `on_calls`-th (counted from 1; the others go through). Yields the names of the calls that failed."""
    failed: list[str] = []
    saved = {name: getattr(ledger, name) for name in operations}
    calls: Counter[str] = Counter()

    def failing(name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            if on_calls is None or calls[name] in on_calls:
                failed.append(name)
                raise OperationalError("UPDATE deliveries ...", {}, ConnectionRefusedError(111, "Connection refused"))
            return await saved[name](*args, **kwargs)
        return call

    for name in operations:
        setattr(ledger, name, failing(name))
    try:
        yield failed
    finally:
        for name, operation in saved.items():
            setattr(ledger, name, operation)


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Log records that carry a traceback: an outage should leave warning lines, not these."""
    return [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]
