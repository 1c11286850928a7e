"""Answers under slow sources, through the console's `ask` path: hung and trickling sources bound every lookup
and ingest, never the commands that need no source.

The adversarial run behind these: with the arXiv API hanging, `list` and `status` came after 9 minutes; a server
trickling a byte every 5 s held a lookup for 47 minutes; a trickling feed kept ingest running for ever. Here a
"hanging" source is a route that waits for the test to release it, a "trickling" one streams its body a byte at a
time (the in-process transport has no timeouts at all, so only the deadlines can end it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from core import service
from core.app import App
from core.commands import (
    DigestNow,
    Follow,
    Help,
    ListSubscriptions,
    LookupPaper,
    PickCandidate,
    Status,
    Trending,
)
from core.digest.ingest import ingest
from core.handlers import HANDLERS
from core.views import PaperCard, PickList, Problem, ResearcherCard, SubscriptionList
from tests.fakes import SourceRouter, ask_text, read_json
from tests.handlers.test_researchers import s2_person_routes

NEVER = 20.0  # turns "waits for ever" (the old behaviour) into a failure; every test ends far sooner
AT_ONCE = 1.5  # what "answered at once" allows on a loaded CI machine
PAPER = "paper 2401.01234"


class Trickle(httpx.AsyncByteStream):
    """A body that never ends, one byte every `every` seconds (each read is quick: no read timeout trips)."""

    def __init__(self, every: float = 0.05) -> None:
        self.every = every

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(self.every)
            yield b" "


def trickling(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, stream=Trickle(), headers={"content-type": "application/xml"})


class Gate:
    """Routes that hang until the test opens the gate (then answer with `then`)."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.waiting = 0

    def hold(self, then: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> Any:
        async def held(request: httpx.Request) -> httpx.Response:
            self.waiting += 1
            await self.opened.wait()
            return then(request) if callable(then) else then

        return held


def arxiv_lookup(synthetic: Path) -> httpx.Response:
    return httpx.Response(200, content=(synthetic / "synthetic_arxiv_api_lookup.xml").read_bytes(),
                          headers={"content-type": "application/atom+xml"})


def paper_routes(synthetic: Path, router: SourceRouter | None = None) -> SourceRouter:
    router = router or SourceRouter()
    router.add("arxiv_api", "/api/query", arxiv_lookup(synthetic))
    router.add("semantic_scholar", "/graph/v1/paper/", read_json(synthetic / "synthetic_s2_paper_arxiv.json"))
    router.add("huggingface", "/api/papers/", read_json(synthetic / "synthetic_hf_paper_page.json"))
    return router


async def timed(app: App, text: str, within: float = NEVER) -> tuple[Any, str, float]:
    started = time.monotonic()
    view, rendered = await asyncio.wait_for(ask_text(app, text), within)
    return view, rendered, time.monotonic() - started


async def until(condition: Callable[[], bool]) -> None:
    """Until the started lookups have got where the test needs them (past the database, at the source)."""
    for _ in range(int(NEVER / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the lookups never got there")


# ---------------------------------------------------------------- deadlines


async def test_a_trickling_arxiv_cannot_hold_a_lookup_past_its_deadline(app_factory: Callable[..., App]) -> None:
    app = app_factory(SourceRouter().add("arxiv_api", "/api/query", trickling), RADAR_LOOKUP_DEADLINE_S="1")
    view, text, took = await timed(app, PAPER)
    assert isinstance(view, Problem) and view.code == "source_down", text
    assert "arXiv did not answer in time" in text and "Traceback" not in text
    assert took < 1.0 + AT_ONCE, took


async def test_a_hanging_extra_costs_only_its_share_not_the_card(app_factory: Callable[..., App],
                                                                 synthetic: Path) -> None:
    """Citations (Semantic Scholar) hang: the card comes when their share of the lookup's time is up, with the
    code link from Hugging Face and without the citation count."""
    gate = Gate()
    router = paper_routes(synthetic).add("semantic_scholar", "/graph/v1/paper/", gate.hold(httpx.Response(500)))
    app = app_factory(router, RADAR_LOOKUP_DEADLINE_S="2")
    view, text, took = await timed(app, PAPER)
    assert isinstance(view, PaperCard) and view.canonical_id == "arXiv:2401.01234", text
    assert view.citation_count is None and view.code_url is not None
    assert took < 2 * 0.25 + AT_ONCE, took  # the extra's quarter of the deadline, not the whole of it


async def test_a_hanging_openalex_search_leaves_time_for_semantic_scholar(app_factory: Callable[..., App],
                                                                         synthetic: Path) -> None:
    gate = Gate()
    router = s2_person_routes(SourceRouter(), synthetic).add("openalex", "/authors", gate.hold(httpx.Response(500)))
    app = app_factory(router, OPENALEX_API_KEY="test-key", RADAR_LOOKUP_DEADLINE_S="2")
    view, text, took = await timed(app, "researcher Ada Quillfeather")
    assert isinstance(view, ResearcherCard | PickList), text  # Semantic Scholar's answer, in time
    assert gate.waiting == 1 and router.calls("semantic_scholar", "/graph/v1/author/search")
    assert took < 2.0 + AT_ONCE, took


async def test_a_429_storm_gives_up_rather_than_wait_past_the_deadline(app_factory: Callable[..., App]) -> None:
    """Semantic Scholar asks us to back off (seconds, growing); waiting would end after the lookup's deadline,
    so the person is told at once instead (with real sleeps: nothing here is fake time)."""
    storm = SourceRouter().add("semantic_scholar", "/", httpx.Response(429, json={"message": "Too Many Requests"}))
    app = app_factory(storm, RADAR_LOOKUP_DEADLINE_S="1.5")
    app.sources.semantic_scholar.sleep = asyncio.sleep  # the back-off really sleeps
    view, text, took = await timed(app, "researcher Ada Quillfeather")
    assert isinstance(view, Problem) and view.code == "rate_limited", text
    assert "Semantic Scholar is rate limiting us" in text
    assert took < 1.5 + AT_ONCE, took


async def test_a_handler_stuck_outside_the_sources_is_stopped_too(app_factory: Callable[..., App],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every source request honours the deadline; anything else a lookup could hang on (a stalled database) is
    stopped a grace period later, with a Problem instead of silence."""
    async def stuck(*args: Any) -> Any:
        await asyncio.Event().wait()

    monkeypatch.setitem(HANDLERS, LookupPaper, stuck)
    monkeypatch.setattr(service, "LOOKUP_GRACE_S", 0.3)
    app = app_factory(SourceRouter(), RADAR_LOOKUP_DEADLINE_S="0.5")
    view, text, took = await timed(app, PAPER)
    assert isinstance(view, Problem) and view.title == "That took too long", text
    assert took < 0.8 + AT_ONCE, took
    assert app.sources.lookups_running == 0  # its slot is free again


# ---------------------------------------------------------------- commands that need no source


def test_only_commands_that_ask_a_source_are_bounded_as_lookups() -> None:
    assert all(service.source_bound(c) for c in (LookupPaper("x"), Follow("x"), Trending(), PickCandidate("follow", 1)))
    # `digest now` posts to the platform (it asks no source): it must never be stopped halfway or told "busy".
    assert not any(service.source_bound(c) for c in (ListSubscriptions(), Status(), Help(), DigestNow()))


async def test_list_and_status_are_answered_at_once_while_arxiv_hangs(app_factory: Callable[..., App],
                                                                      synthetic: Path) -> None:
    gate = Gate()
    router = paper_routes(synthetic).add("arxiv_api", "/api/query", gate.hold(arxiv_lookup(synthetic)))
    app = app_factory(router, RADAR_SOURCE_SLOTS="4", RADAR_LOOKUP_DEADLINE_S="30")
    await ask_text(app, "subscribe category cs.LG")
    lookups = [asyncio.create_task(ask_text(app, PAPER)) for _ in range(4)]
    await until(lambda: gate.waiting == 1 and app.sources.arxiv_api.pacer.waiting == 3)  # one at arXiv, 3 queued
    assert not any(task.done() for task in lookups)
    listing, text, _ = await timed(app, "list", within=AT_ONCE)
    assert isinstance(listing, SubscriptionList) and "cs.LG" in text, text
    status, text, _ = await timed(app, "status", within=AT_ONCE)
    assert "Traceback" not in text and not isinstance(status, Problem), text

    # The pool is full: one more lookup is told so at once instead of queueing behind the hung ones.
    busy, text, _ = await timed(app, "paper 2401.99999", within=AT_ONCE)
    assert isinstance(busy, Problem) and busy.code == "busy", text
    assert "Paper Radar is busy right now" in text and "already running 4 lookups" in text
    assert "Try again in a minute" in text

    gate.opened.set()
    answers = await asyncio.wait_for(asyncio.gather(*lookups), NEVER)
    assert all(isinstance(view, PaperCard) for view, _ in answers)
    assert app.sources.lookups_running == 0


async def test_a_backed_up_arxiv_queue_is_said_at_once(app_factory: Callable[..., App], synthetic: Path) -> None:
    gate = Gate()
    router = paper_routes(synthetic).add("arxiv_api", "/api/query", gate.hold(arxiv_lookup(synthetic)))
    app = app_factory(router, RADAR_ARXIV_QUEUE_LIMIT="3", RADAR_LOOKUP_DEADLINE_S="30")
    lookups = [asyncio.create_task(ask_text(app, PAPER)) for _ in range(4)]
    await until(lambda: gate.waiting == 1 and app.sources.arxiv_api.pacer.waiting == 3)  # one at arXiv, 3 queued
    view, text, _ = await timed(app, "paper 2401.99999", within=AT_ONCE)
    assert isinstance(view, Problem) and view.code == "busy", text
    assert "arXiv is busy right now" in text and "arXiv has 3 lookups waiting for it already" in text
    assert "Try again in a minute" in text
    # A lookup that needs no arXiv (Hugging Face's trending) is not held back by arXiv's queue.
    router.add("huggingface", "/api/daily_papers", read_json(synthetic / "synthetic_hf_daily_papers_2024-03-14.json"))
    trending, text, _ = await timed(app, "trending 2024-03-14", within=AT_ONCE)
    assert not isinstance(trending, Problem), text
    gate.opened.set()
    answers = await asyncio.wait_for(asyncio.gather(*lookups), NEVER)
    assert all(isinstance(view, PaperCard) for view, _ in answers)


# ---------------------------------------------------------------- ingest


async def test_a_trickling_feed_ends_ingest_with_a_problem_noted(app_factory: Callable[..., App]) -> None:
    router = SourceRouter().add("arxiv_rss", "/", trickling)
    app = app_factory(router, now=datetime(2024, 11, 28, 12, 0, tzinfo=UTC), RADAR_FEED_DEADLINE_S="1")
    await ask_text(app, "subscribe category cs.LG")
    started = time.monotonic()
    report = await asyncio.wait_for(ingest(app, researchers=False), NEVER)
    took = time.monotonic() - started
    assert took < 1.0 + AT_ONCE, took
    assert any("did not answer in time" in problem for problem in report.problems), report.problems
    assert report.stored == 0
    _view, text = await ask_text(app, "status")
    assert "did not answer in time" in text, text  # `status` says why today's papers are missing
