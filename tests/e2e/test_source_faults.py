"""When the sources fail: arXiv down for a day, a stale feed, damaged XML and JSON, OpenAlex's budget spent,
Semantic Scholar answering 429 after 429.

Each scenario drives the service as its clock and its channels would: ingest (core/digest/ingest.py), the
scheduled digest job with its delays for a failing feed (core/digest/schedule.py), catch-up after a restart,
and `status` and lookups typed at the console. A day passes by making a second App on the same database with
a later clock. What a channel would notice is asserted: the digest is delayed, or partial with a note, or
caught up later, but never lost or sent twice; `status` names the failing source while it fails and stops
once it recovers; lookups answer with a friendly Problem, never the apology for an unexpected error; and no
subscription or ledger row is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bots.console.adapter import CONSOLE_DESTINATION
from bots.discord.limits import check_message_limits
from bots.discord.render_digest import render_digest as render_discord_digest
from core.app import set_current_app
from core.bootstrap import App
from core.digest import schedule
from core.digest.deliver import RunOutcome
from core.digest.ingest import FEED_KEY, IngestReport, ingest
from core.storage import repos
from core.storage.models import DeliveryRow, DigestRunRow, SourceStatusRow, SubscriptionRow
from core.views import Problem, View
from tests.digest.conftest import THURSDAY, RecordingSink
from tests.fakes import FakeTime, SourceRouter, ask_text, make_app, read_json

TUESDAY_DIGEST = datetime(2024, 11, 26, 8, 0, tzinfo=UTC)  # the channel's last good digest
WEDNESDAY_DIGEST = datetime(2024, 11, 27, 8, 0, tzinfo=UTC)
WEDNESDAY = datetime(2024, 11, 27, 12, 0, tzinfo=UTC)  # 07:00 in New York: the day arXiv is down
FRIDAY = datetime(2024, 11, 29, 12, 0, tzinfo=UTC)
SMALL_FEED_DAY = datetime(2024, 12, 2, 12, 0, tzinfo=UTC)  # synthetic_arxiv_rss_small.xml is Monday's feed
AUTHOR = "A5000000001"
FOLLOW = json.dumps({"format": "paper-radar/1", "subscriptions": [
    {"kind": "researcher", "name": "Zoë Ångström-Nakamura", "openalex_id": AUTHOR}]}, ensure_ascii=False)
JOURNAL_PAPER = "doi:10.1000/jmlr.2024.77"
S2_API = "/graph/v1"


def journal_work() -> dict[str, Any]:
    """A followed researcher's journal paper, as OpenAlex lists it (it reaches the digest without arXiv)."""
    return {
        "id": "https://openalex.org/W4999", "doi": "https://doi.org/10.1000/jmlr.2024.77",
        "title": "Optimal Transport on Sparse Graphs", "display_name": "Optimal Transport on Sparse Graphs",
        "publication_date": "2024-11-26", "publication_year": 2024,
        "primary_location": {"source": {"display_name": "Journal of Machine Learning Research", "type": "journal"}},
        "authorships": [{"author_position": "first", "author": {"id": f"https://openalex.org/{AUTHOR}",
                                                                  "display_name": "Zoë Ångström-Nakamura"}}],
    }


def works_listing(*works: dict[str, Any]) -> dict[str, Any]:
    return {"meta": {"count": len(works), "next_cursor": None}, "results": list(works)}


def real_feed(recordings: Path) -> bytes:
    return (recordings / "arxiv_rss" / "rss_all_archives_2024-11-28.xml").read_bytes()


def xml(body: bytes, status: int = 200, content_type: str = "application/rss+xml") -> httpx.Response:
    return httpx.Response(status, content=body, headers={"content-type": content_type})


# ---------------------------------------------------------------- what must never be lost


@dataclass(frozen=True)
class Kept:
    subscriptions: frozenset[tuple[Any, ...]]
    ledger: dict[tuple[int, str, int], tuple[str, str | None]]  # (destination, paper, revision) -> (state, message)


async def kept(app: App) -> Kept:
    async with app.db.session() as session:
        subs = (await session.exec(select(SubscriptionRow))).all()
        rows = (await session.exec(select(DeliveryRow))).all()
    return Kept(
        frozenset((s.destination_id, s.number, s.kind, s.query, s.openalex_id, s.display_name) for s in subs),
        {(r.destination_id, r.paper_id, r.revision): (r.state, r.message_id) for r in rows},
    )


async def assert_nothing_lost(app: App, before: Kept) -> Kept:
    """Every subscription is still there; every ledger row is still there, and a sent one is unchanged."""
    after = await kept(app)
    assert before.subscriptions <= after.subscriptions, before.subscriptions - after.subscriptions
    for key, (state, message) in before.ledger.items():
        assert key in after.ledger, f"ledger row {key} was lost"
        if state == "sent":
            assert after.ledger[key] == (state, message), key
    return after


# ---------------------------------------------------------------- the channel and the clock


async def open_channel(app: App, last_digest: datetime = TUESDAY_DIGEST) -> int:
    """A channel that subscribed long ago and last had a digest at `last_digest` (Tuesday morning)."""
    for command in ("subscribe category cs.LG", 'subscribe topic "diffusion model" -medical', f"import {FOLLOW}",
                    "settings max 5"):
        view, text = await ask_text(app, command)
        assert not isinstance(view, Problem), text
    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        destination.created_at = TUESDAY_DIGEST - timedelta(days=10)
        destination.last_digest_at = last_digest
        session.add(destination)
        await session.commit()
        assert destination.id is not None
        return destination.id


@contextlib.asynccontextmanager
async def clock_process(app: App) -> AsyncIterator[AsyncIOScheduler]:
    """The clock role for `app`, its scheduler paused so that the test fires jobs itself."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)
    schedule._scheduler = scheduler
    set_current_app(app)
    try:
        yield scheduler
    finally:
        set_current_app(None)
        schedule._scheduler = None
        scheduler.shutdown(wait=False)


async def fire_digest_job(scheduler: AsyncIOScheduler, destination_id: int,
                          between: Callable[[], Awaitable[None]] | None = None) -> tuple[RunOutcome, int]:
    """The scheduled digest, then each delayed retry it schedules, until it sends: (outcome, delays taken)."""
    delays = 0
    while True:
        outcome = await schedule.digest_job(destination_id, delays)
        if outcome is not None:
            return outcome, delays
        job = scheduler.get_job(f"digest-delay:{destination_id}")
        assert job is not None, "the digest neither went out nor was delayed"
        assert job.trigger.run_date == schedule.current_app().now() + schedule.DIGEST_DELAY
        delays = job.args[1]
        job.remove()
        assert delays <= schedule.DIGEST_DELAYS, "the digest waited for the feed without end"
        if between is not None:
            await between()


async def a_day_passes(app: App) -> None:
    """Run rows carry wall-clock times (leases, the 30-minute slot rule): move them back a day."""
    async with app.db.session() as session:
        for run in (await session.exec(select(DigestRunRow))).all():
            run.started_at -= timedelta(days=1)
            run.finished_at = run.finished_at - timedelta(days=1) if run.finished_at else None
            session.add(run)
        await session.commit()


async def feed_status(app: App, key: str = FEED_KEY) -> SourceStatusRow | None:
    async with app.db.session() as session:
        return await session.get(SourceStatusRow, key)


async def status_text(app: App) -> str:
    _view, text = await ask_text(app, "status")
    return text


def channel_app(app_factory: Callable[..., App], router: SourceRouter, now: datetime, *,
                openalex_key: str | None = "test-key-not-secret") -> tuple[App, RecordingSink]:
    app = app_factory(router, now=now, **({"OPENALEX_API_KEY": openalex_key} if openalex_key else {}))
    sink = RecordingSink()
    app.sinks["console"] = sink
    return app, sink


# ---------------------------------------------------------------- arXiv down for a day, then back


async def test_arxiv_down_for_a_day_then_back(app_factory: Callable[..., App], recordings: Path) -> None:
    down = SourceRouter().add("arxiv_rss", "/", xml(b"<html><body>503 Service Unavailable</body></html>", 503,
                                                    "text/html"))
    down.add("openalex", "/works", works_listing(journal_work()))
    wednesday, sink = channel_app(app_factory, down, WEDNESDAY)
    destination = await open_channel(wednesday)
    before = await kept(wednesday)

    report = await ingest(wednesday)
    assert not report.complete and report.stored == 1  # OpenAlex still brought the researcher's journal paper
    assert any("arXiv feeds" in p and "HTTP 503" in p for p in report.problems), report.problems
    # Retried a few times, then left to the clock's next ingest: not hammered.
    assert len(down.calls("arxiv_rss")) == wednesday.sources.arxiv_rss.retry.attempts == 4
    row = await feed_status(wednesday)
    assert row is not None and not row.ok and "HTTP 503" in (row.message or "")
    assert "⚠ arXiv feeds: arXiv feeds is having trouble (HTTP 503); retrying" in await status_text(wednesday)

    async with clock_process(wednesday) as scheduler:
        outcome, delays = await fire_digest_job(scheduler, destination)
    # It waited for the feed three times, half an hour apart, then went out partial, saying so.
    assert delays == schedule.DIGEST_DELAYS and outcome.state == "done"
    (partial,) = sink.views
    assert [i.paper_id for i in partial.items] == [JOURNAL_PAPER]
    assert partial.note and partial.note.startswith("Partial digest: arXiv feeds is having trouble (HTTP 503)")
    assert "Note: Partial digest" in sink.text.getvalue()
    assert "Partial digest: arXiv feeds is having trouble" in await status_text(wednesday)
    before = await assert_nothing_lost(wednesday, before)
    assert before.ledger[(destination, JOURNAL_PAPER, 0)][0] == "sent"

    # Thursday: arXiv is back. The feed is stored, the digest covers what arrived since Wednesday's.
    await a_day_passes(wednesday)
    back = SourceRouter().add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
    back.add("openalex", "/works", works_listing(journal_work()))
    thursday, sink = channel_app(app_factory, back, THURSDAY)
    report = await ingest(thursday)
    assert report.complete and report.stored == 1504 + report.works_stored and report.problems == []
    row = await feed_status(thursday)
    assert row is not None and row.ok and str(row.feed_date) == "2024-11-28"
    async with clock_process(thursday) as scheduler:
        outcome, delays = await fire_digest_job(scheduler, destination)
    assert delays == 0 and outcome.state == "done" and outcome.sent == 5
    (whole,) = sink.views
    assert whole.note is None and whole.more_count > 0
    assert JOURNAL_PAPER not in sink.paper_ids()  # Wednesday's paper is not sent twice
    assert all(i.paper_id.startswith("arXiv:2411.") for i in whole.items)
    text = await status_text(thursday)
    assert "No problems." in text and "Papers ingested today: 1504" in text
    await assert_nothing_lost(thursday, before)


async def test_a_short_outage_delays_the_digest_which_then_goes_out_whole(
        app_factory: Callable[..., App], recordings: Path) -> None:
    answers = iter([xml(b"", 502)] * 4)  # the 00:30 ingest fails; the retry twenty minutes later works
    router = SourceRouter().add("arxiv_rss", "/rss/", lambda r: next(answers, xml(real_feed(recordings))))
    app, sink = channel_app(app_factory, router, THURSDAY)
    destination = await open_channel(app, last_digest=WEDNESDAY_DIGEST)
    assert not (await ingest(app, researchers=False)).complete

    async def ingest_retry() -> None:
        assert (await ingest(app, researchers=False)).complete

    async with clock_process(app) as scheduler:
        outcome, delays = await fire_digest_job(scheduler, destination, between=ingest_retry)
    assert delays == 1 and outcome.state == "done" and outcome.sent == 5
    assert sink.views[0].note is None  # whole: no "Partial digest" note
    assert "No problems." in await status_text(app)


async def test_a_digest_delayed_across_a_restart_is_caught_up(app_factory: Callable[..., App], recordings: Path) -> None:
    down = SourceRouter().add("arxiv_rss", "/", lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused")))
    down.add("openalex", "/works", works_listing())
    wednesday, sink = channel_app(app_factory, down, WEDNESDAY)
    destination = await open_channel(wednesday)
    report = await ingest(wednesday)
    assert any("arXiv feeds could not be reached" in p for p in report.problems), report.problems
    async with clock_process(wednesday):
        assert await schedule.digest_job(destination) is None  # delayed ... and the clock process dies
    assert sink.views == []
    before = await kept(wednesday)

    await a_day_passes(wednesday)
    thursday, sink = channel_app(app_factory, SourceRouter().add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
                                 .add("openalex", "/works", works_listing()), THURSDAY)
    assert (await ingest(thursday)).complete
    outcomes = await schedule.catch_up(thursday)  # the restarted clock, before it schedules anything
    assert [o.state for o in outcomes] == ["done"]
    (digest,) = sink.views
    assert digest.note and digest.note.startswith("Catching up on 2 days")
    assert len(digest.items) == 5 and digest.more_count > 0  # capped, the rest one command away
    assert await schedule.catch_up(thursday) == []
    more, text = await ask_text(thursday, "digest more")
    assert not isinstance(more, Problem), text
    await assert_nothing_lost(thursday, before)


# ---------------------------------------------------------------- a stale feed is not a quiet day


async def test_a_stale_feed_is_reported_and_never_looks_like_a_quiet_day(
        app_factory: Callable[..., App], recordings: Path) -> None:
    router = SourceRouter().add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
    router.add("openalex", "/works", works_listing())
    thursday, sink = channel_app(app_factory, router, THURSDAY)
    destination = await open_channel(thursday)
    await ask_text(thursday, "settings quiet-notice on")
    assert (await ingest(thursday)).complete
    async with clock_process(thursday) as scheduler:
        await fire_digest_job(scheduler, destination)
    sent_thursday = sink.paper_ids()
    before = await kept(thursday)
    await a_day_passes(thursday)

    # Friday: arXiv still serves Thursday's feed.
    friday, sink = channel_app(app_factory, router, FRIDAY)
    report = await ingest(friday)
    assert report.stale and not report.quiet and report.stored == 0
    text = await status_text(friday)
    assert "the feed still shows 2024-11-28 (expected 2024-11-29)" in text and "Papers ingested today: 0" in text
    async with clock_process(friday) as scheduler:
        outcome, delays = await fire_digest_job(scheduler, destination)
    assert delays == schedule.DIGEST_DELAYS and outcome.state == "done"
    (view,) = sink.views
    assert view.items == () and view.note and "the feed still shows 2024-11-28" in view.note
    # The channel asked for a notice on empty days: it also says why the day is empty (the feed is late).
    printed = sink.text.getvalue()
    assert "Note: Partial digest: the feed still shows 2024-11-28 (expected 2024-11-29)" in printed, printed
    (message,) = [m.payload() for m in render_discord_digest(view)]
    assert check_message_limits(message) == [] and "still shows 2024-11-28" in json.dumps(message)
    assert not set(sink.paper_ids()) & set(sent_thursday)
    await assert_nothing_lost(friday, before)


# ---------------------------------------------------------------- damaged XML


def one_bad_item(feed: bytes) -> bytes:
    """The real feed with a stray `&` in one abstract: the document is no longer well-formed XML."""
    at = feed.index(b"<description>", feed.index(b"<item>")) + len(b"<description>")
    return feed[:at] + b"Fish & chips " + feed[at:]


async def test_damaged_feeds_are_reported_and_a_damaged_item_costs_only_itself(
        app_factory: Callable[..., App], recordings: Path) -> None:
    feed = real_feed(recordings)
    serving: list[httpx.Response] = [xml(one_bad_item(feed))]
    router = SourceRouter().add("arxiv_rss", "/rss/", lambda request: serving[-1])
    router.add("openalex", "/works", works_listing())
    app, _sink = channel_app(app_factory, router, THURSDAY)
    destination = await open_channel(app)

    report = await ingest(app)
    assert report.complete and report.skipped == 1 and report.stored == 1503  # the other 1503 items came in
    async with clock_process(app) as scheduler:
        outcome, delays = await fire_digest_job(scheduler, destination)
    assert delays == 0 and outcome.sent == 5
    before = await kept(app)

    damaged = {
        "truncated": (xml(feed[: len(feed) // 2]), "sent an incomplete or damaged feed"),
        "an HTML error page": (xml(b"<!DOCTYPE html><html><body><h1>Oops</h1>", 200, "text/html"),
                               "answered with a web page instead of a feed"),
        "empty": (xml(b""), "sent an incomplete or damaged feed"),
        "JSON": (httpx.Response(200, json={"error": "maintenance"}), "sent an incomplete or damaged feed"),
        "another document": (xml(b"<?xml version='1.0'?><note>hello</note>"),
                             "answered with something that is not a feed (<note>)"),
    }
    for name, (answer, says) in damaged.items():
        serving.append(answer)
        report = await ingest(app)  # the clock's retry, later the same morning
        assert not report.complete and report.stored == 0, name
        assert any(says in p for p in report.problems), (name, report.problems)
        assert f"⚠ arXiv feeds: arXiv feeds {says}" in await status_text(app), name
        before = await assert_nothing_lost(app, before)
    async with app.db.session() as session:
        assert len((await session.exec(select(DeliveryRow))).all()) == 5


FEED_FUZZ_EXAMPLES = 60


@st.composite
def damaged_feed(draw: st.DrawFn, feed: bytes) -> bytes:
    """The synthetic feed cut short, spliced, or with bytes overwritten."""
    data = bytearray(feed)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["cut", "overwrite", "insert", "delete"]))
        junk = draw(st.binary(min_size=1, max_size=16) | st.sampled_from(
            [b"&", b"<", b"]]>", b"</item>", b"<item>", b"\x00", b"\xff\xfe", b"</rss>", b"<!--", b"&#0;"]))
        if action == "cut":
            del data[at:]
        elif action == "overwrite":
            data[at : at + len(junk)] = junk
        elif action == "insert":
            data[at:at] = junk
        else:
            del data[at : at + len(junk)]
    return bytes(data)


def test_any_damage_to_a_feed_is_a_reported_problem_or_a_partial_ingest(database_url: str, synthetic: Path) -> None:
    feed = (synthetic / "synthetic_arxiv_rss_small.xml").read_bytes()
    serving: list[bytes] = [feed]
    router = SourceRouter().add("arxiv_rss", "/rss/", lambda request: xml(serving[-1]))
    with asyncio.Runner() as runner:
        app = make_app(database_url, router, now=SMALL_FEED_DAY)

        async def ingest_damaged(data: bytes) -> IngestReport:
            serving.append(data)
            report = await ingest(app, researchers=False)
            row = await feed_status(app)
            assert row is not None and row.ok == report.complete, (row, report)
            if not report.complete:
                assert report.stored == 0 and (report.problems or report.stale) and row.message
            return report

        @settings(max_examples=FEED_FUZZ_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(damaged_feed(feed))
        def check(data: bytes) -> None:
            runner.run(ingest_damaged(data))

        try:
            view, text = runner.run(ask_text(app, "subscribe category cs.LG"))
            assert not isinstance(view, Problem), text
            assert runner.run(ingest_damaged(feed)).stored == 4
            check()
        finally:
            runner.run(app.aclose())
    assert len(router.calls("arxiv_rss")) > FEED_FUZZ_EXAMPLES  # every damaged feed was fetched and read


# ---------------------------------------------------------------- damaged JSON


# Each damage, and whether it is unreadable (a well-formed object with wrong types reads as an empty answer).
BAD_JSON: dict[str, httpx.Response] = {
    "an HTML page": httpx.Response(200, text="<html><body>Bad gateway</body></html>",
                                   headers={"content-type": "text/html"}),
    "cut short": httpx.Response(200, text='{"meta": {"count": 1}, "results": [{"id": "https://openalex.org/A1", "di',
                                headers={"content-type": "application/json"}),
    "a list": httpx.Response(200, json=[1, 2, 3]),
    "a string": httpx.Response(200, json="maintenance"),
    "null": httpx.Response(200, json=None),
    "wrong types": httpx.Response(200, json={"meta": {"count": "²", "next_cursor": 7}, "results": {"a": 1},
                                             "data": "x", "total": "²", "next": "³", "display_name": ["x"]}),
}


def bad_json_router(answer: httpx.Response, recordings: Path) -> SourceRouter:
    router = SourceRouter()
    for source in ("openalex", "semantic_scholar", "huggingface"):
        router.add(source, "/", answer)
    router.add("arxiv_api", "/api/query", xml(
        (recordings / "arxiv_api" / "id_1605.08386_s0_m100_199195aa31ad.xml").read_bytes(), 200,
        "application/atom+xml"))
    return router


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def errors_logged() -> Iterator[list[logging.LogRecord]]:
    """ERROR records (`handle` logs every unexpected exception there) while the block runs."""
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.records
    finally:
        logging.getLogger().removeHandler(handler)


def assert_friendly(view: View, text: str, asked: str) -> None:
    assert not (isinstance(view, Problem) and view.code == "internal"), f"{asked}: {text}"
    assert text.strip() and "Traceback" not in text, asked


LOOKUPS = ["researcher Ada Lovelace", "researcher A5023888391", "follow 0000-0002-1825-0097", "paper 10.1000/xyz",
           "trending 2024-11-27", "researcher s2:48000001"]


@pytest.mark.parametrize("damage", BAD_JSON, ids=list(BAD_JSON))
async def test_damaged_json_gives_friendly_answers_and_a_partial_ingest(
        app_factory: Callable[..., App], recordings: Path, damage: str) -> None:
    router = bad_json_router(BAD_JSON[damage], recordings)
    router.add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
    app, _sink = channel_app(app_factory, router, THURSDAY)
    await open_channel(app)
    before = await kept(app)
    with errors_logged() as errors:
        for asked in LOOKUPS:
            view, text = await ask_text(app, asked)
            assert_friendly(view, text, asked)
            if not (damage == "a list" and asked.startswith("trending")):  # a list of unreadable items: none
                assert isinstance(view, Problem) and view.code in ("source_down", "not_found"), (asked, text)
        # A paper arXiv knows still gets its card: the extras from the other sources are left out.
        view, text = await ask_text(app, "paper 1605.08386")
        assert not isinstance(view, Problem) and "Heat-bath random walks with Markov bases" in text
        report = await ingest(app)
    assert errors == [], [r.getMessage() for r in errors]
    assert report.complete and report.stored == 1504  # the feed came in; the researcher's works wait
    if damage != "wrong types":
        assert any(p.startswith("OpenAlex: ") for p in report.problems), report.problems
        assert "⚠ OpenAlex: " in await status_text(app)
    await assert_nothing_lost(app, before)


JSON_FUZZ_EXAMPLES = 80
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
    | st.sampled_from(["²", "٣", "-", "", "A5023888391", "https://openalex.org/A1", "2401.01234", "10.1/x"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["meta", "results", "count", "next_cursor", "id", "display_name", "data", "total", "next", "authorId",
         "name", "paper", "title", "upvotes", "paperId", "externalIds", "orcid", "works_count", "authorships",
         "summary_stats", "counts_by_year", "year", "doi", "author"]), inner, max_size=6),
    max_leaves=20,
)


def test_any_json_from_the_scholarly_apis_gets_a_friendly_answer(database_url: str, recordings: Path) -> None:
    body: list[Any] = [None]
    router = SourceRouter()
    for source in ("openalex", "semantic_scholar", "huggingface"):
        router.add(source, "/", lambda request: httpx.Response(200, json=body[-1]))
    with asyncio.Runner() as runner, errors_logged() as errors:
        app = make_app(database_url, router, now=THURSDAY, OPENALEX_API_KEY="test-key-not-secret")

        async def ask_all(value: Any) -> None:
            body.append(value)
            async with app.db.session() as session:  # no answer may come from an earlier example's cache
                await repos.cache_purge(session, now=app.now() + timedelta(days=400))
                await session.commit()
            for asked in LOOKUPS:
                view, text = await ask_text(app, asked)
                assert_friendly(view, text, f"{asked} with {json.dumps(value)[:300]}")

        @settings(max_examples=JSON_FUZZ_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(JSON_VALUES)
        def check(value: Any) -> None:
            runner.run(ask_all(value))

        try:
            check()
        finally:
            runner.run(app.aclose())
    assert errors == [], [r.getMessage() for r in errors[:5]]
    assert len(body) > JSON_FUZZ_EXAMPLES and len(router.requests) > JSON_FUZZ_EXAMPLES


# ---------------------------------------------------------------- OpenAlex's daily budget spent


def budget_spent(request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, json={"error": "Rate limit exceeded", "message": "Daily budget exhausted"},
                          headers={"X-RateLimit-Remaining-USD": "0", "X-RateLimit-Reset": "43200"})


async def test_openalex_budget_spent_falls_back_stops_asking_and_recovers(
        app_factory: Callable[..., App], recordings: Path, synthetic: Path) -> None:
    router = SourceRouter().add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
    router.add("openalex", "/", budget_spent)
    people = read_json(synthetic / "synthetic_researcher_s2.json")
    router.add("semantic_scholar", f"{S2_API}/author/search", people["author_search"])
    router.add("semantic_scholar", f"{S2_API}/author/48000001", people["author"])
    router.add("semantic_scholar", f"{S2_API}/author/48000001/papers", people["author_papers"])
    app, sink = channel_app(app_factory, router, THURSDAY)
    destination = await open_channel(app, last_digest=WEDNESDAY_DIGEST)
    await ask_text(app, 'import {"format": "paper-radar/1", "subscriptions": [{"kind": "researcher", '
                        '"name": "Second Person", "openalex_id": "A5000000002"}]}')
    before = await kept(app)

    report = await ingest(app)
    assert report.stored == 1504 and report.researchers_checked == 0
    assert any("OpenAlex: daily API budget is used up" in p for p in report.problems), report.problems
    assert len(router.calls("openalex")) == 1  # the first 429 said the budget is spent: nobody else is asked
    assert "⚠ OpenAlex: daily API budget is used up" in await status_text(app)
    # The clock's next ingest that day does not ask again.
    await ingest(app)
    assert len(router.calls("openalex")) == 1

    # Lookups: a name falls back to Semantic Scholar without asking OpenAlex; an OpenAlex id cannot.
    view, text = await ask_text(app, "researcher Ada Quillfeather")
    assert not isinstance(view, Problem) and "Source: Semantic Scholar" in text, text
    assert len(router.calls("openalex")) == 1
    view, text = await ask_text(app, "researcher A5023888391")
    assert isinstance(view, Problem) and view.code == "rate_limited", text
    assert "OpenAlex's daily API budget is used up; it resets tomorrow." in text
    async with clock_process(app) as scheduler:
        outcome, delays = await fire_digest_job(scheduler, destination)
    assert delays == 0 and outcome.sent == 5 and sink.views[0].note is None  # OpenAlex does not hold it up
    before = await assert_nothing_lost(app, before)

    # Next day the budget is back: OpenAlex is asked again, and `status` stops reporting it.
    await a_day_passes(app)
    router.add("openalex", "/works", works_listing(journal_work()))
    friday, _sink = channel_app(app_factory, router, FRIDAY)
    report = await ingest(friday, researchers=True)
    assert report.researchers_checked == 2 and report.works_stored >= 1
    assert "OpenAlex" not in await status_text(friday)
    await assert_nothing_lost(friday, before)


# ---------------------------------------------------------------- Semantic Scholar's 429 storms


def too_many(request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, json={"message": "Too Many Requests. Please wait and try again or apply for a key."})


async def test_a_semantic_scholar_429_storm_waits_boundedly_then_answers_friendly(
        app_factory: Callable[..., App], synthetic: Path) -> None:
    storm = SourceRouter().add("semantic_scholar", "/", too_many)
    time = FakeTime()
    # No OpenAlex key: name searches go to Semantic Scholar. The retry policy alone is under test here, so the
    # lookup's deadline is out of its way (under the default one a storm ends sooner: see test_slow_sources).
    app = app_factory(storm, time=time, radar_lookup_deadline_s="600")
    per_lookup: list[list[float]] = []
    for _ in range(4):
        slept = len(time.slept)
        view, text = await ask_text(app, "researcher Ada Quillfeather")
        per_lookup.append(time.slept[slept:])
        assert isinstance(view, Problem) and view.code == "rate_limited", text
        assert "Semantic Scholar is rate limiting us" in text and "try again in a few minutes" in text
    policy = app.sources.semantic_scholar.retry
    assert len(storm.calls("semantic_scholar")) == 4 * policy.attempts  # bounded retries, every time
    for waits in per_lookup:
        backoff = [w for w in waits if w >= 2.0]  # the pacer's 1.5 s spacing aside
        assert len(backoff) == policy.attempts - 1
        assert backoff == sorted(backoff), waits  # each wait at least as long as the last
        assert max(waits) <= 60.0, waits  # no single wait over a minute
        assert sum(waits) <= 5 * 60, waits  # a person waits minutes at worst, well inside Discord's 15
    assert per_lookup[0][-1] > per_lookup[0][0]  # the waits grow

    # The storm passes: the next lookup answers without waiting out the old penalty.
    s2_person = read_json(synthetic / "synthetic_researcher_s2.json")
    storm.add("semantic_scholar", f"{S2_API}/author/search", s2_person["author_search"])
    storm.add("semantic_scholar", f"{S2_API}/author/48000001", s2_person["author"])
    storm.add("semantic_scholar", f"{S2_API}/author/48000001/papers", s2_person["author_papers"])
    slept = len(time.slept)
    view, text = await ask_text(app, "researcher Ada Quillfeather")
    assert not isinstance(view, Problem) and "Source: Semantic Scholar" in text, text
    assert sum(time.slept[slept:]) <= 10.0


async def test_a_429_storm_during_ingest_stops_asking_and_keeps_the_feed(
        app_factory: Callable[..., App], recordings: Path) -> None:
    router = SourceRouter().add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
    router.add("semantic_scholar", "/", too_many)
    app, _sink = channel_app(app_factory, router, THURSDAY, openalex_key=None)
    await ask_text(app, 'import {"format": "paper-radar/1", "subscriptions": ['
                        '{"kind": "researcher", "name": "One", "s2_id": "48000001"}, '
                        '{"kind": "researcher", "name": "Two", "s2_id": "48000002"}]}')
    before = await kept(app)
    report = await ingest(app)
    assert report.stored == 1504 and report.complete
    assert any("Semantic Scholar: is rate limiting us" in p for p in report.problems), report.problems
    assert len(router.calls("semantic_scholar")) == app.sources.semantic_scholar.retry.attempts  # one person only
    assert "⚠ Semantic Scholar: is rate limiting us" in await status_text(app)
    await assert_nothing_lost(app, before)
