"""The clock: per-channel schedules in their own time zones, catch-up, delays for a failing feed, sources merged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bots.console.adapter import CONSOLE_DESTINATION
from core.app import set_current_app
from core.digest import schedule
from core.digest.ingest import ingest
from core.model.context import Destination
from core.model.papers import AuthorRef, PaperRecord
from core.storage import repos
from core.storage.models import LookupCacheRow, SourceStatusRow
from core.subscriptions.timing import digest_trigger, next_digest
from tests.digest.conftest import THURSDAY, RecordingSink, feed_router
from tests.fakes import ask_text

PARIS = ZoneInfo("Europe/Paris")


def test_local_time_is_kept_across_daylight_saving() -> None:
    # Summer time ends in Paris on Sunday 27 October 2024: 08:00 stays 08:00 local, UTC moves by an hour.
    before = next_digest("08:00", "mon-sun", "Europe/Paris", datetime(2024, 10, 26, 12, 0, tzinfo=UTC))
    after = next_digest("08:00", "mon-sun", "Europe/Paris", datetime(2024, 10, 27, 12, 0, tzinfo=UTC))
    assert before == datetime(2024, 10, 27, 8, 0, tzinfo=PARIS) and before.astimezone(UTC).hour == 7
    assert after == datetime(2024, 10, 28, 8, 0, tzinfo=PARIS) and after.astimezone(UTC).hour == 7
    summer = next_digest("08:00", "mon-sun", "Europe/Paris", datetime(2024, 10, 25, 12, 0, tzinfo=UTC))
    assert summer is not None and summer.astimezone(UTC).hour == 6


def test_a_time_that_does_not_exist_still_fires_that_day() -> None:
    # 02:30 does not exist in New York on 9 March 2025 (clocks jump from 02:00 to 03:00).
    fired = next_digest("02:30", "mon-sun", "America/New_York", datetime(2025, 3, 9, 5, 0, tzinfo=UTC))
    assert fired is not None and fired.date().isoformat() in ("2025-03-09", "2025-03-10")


def test_previous_fire_time_looks_back() -> None:
    trigger = digest_trigger("08:00", "mon-fri", "Europe/Paris")
    # Monday noon: the last scheduled digest was that morning; on Sunday it was Friday's.
    assert schedule.previous_fire_time(trigger, datetime(2024, 11, 25, 12, 0, tzinfo=UTC)) == datetime(
        2024, 11, 25, 8, 0, tzinfo=PARIS)
    assert schedule.previous_fire_time(trigger, datetime(2024, 11, 24, 12, 0, tzinfo=UTC)) == datetime(
        2024, 11, 22, 8, 0, tzinfo=PARIS)


async def test_reconcile_follows_channel_settings(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        assert await schedule.reconcile(app, scheduler) == 0  # no subscriptions: no job
        await ask_text(app, "subscribe category cs.LG")
        await ask_text(app, "settings timezone Asia/Tokyo")
        assert await schedule.reconcile(app, scheduler) == 1
        job = scheduler.get_jobs()[0]
        assert str(job.trigger.timezone) == "Asia/Tokyo" and "hour='8'" in str(job.trigger)
        assert await schedule.reconcile(app, scheduler) == 0  # nothing changed, nothing touched
        await ask_text(app, "settings time 07:15")
        assert await schedule.reconcile(app, scheduler) == 1
        assert "minute='15'" in str(scheduler.get_jobs()[0].trigger)
        await ask_text(app, "pause")
        assert await schedule.reconcile(app, scheduler) == 1 and scheduler.get_jobs() == []
    finally:
        scheduler.shutdown(wait=False)


async def test_catch_up_after_missed_days_sends_one_capped_digest(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await ask_text(app, "subscribe category cs.LG")
    await ask_text(app, "settings max 5")
    await ingest(app, researchers=False)
    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        destination.created_at = THURSDAY - timedelta(days=10)
        destination.last_digest_at = THURSDAY - timedelta(days=3)  # the service was down since Monday
        session.add(destination)
        await session.commit()
    outcomes = await schedule.catch_up(app)
    assert [o.state for o in outcomes] == ["done"]
    assert len(sink.views) == 1 and len(sink.views[0].items) == 5
    assert sink.views[0].note and sink.views[0].note.startswith("Catching up on 3 days")
    assert sink.views[0].more_count > 0
    assert await schedule.catch_up(app) == []  # caught up: a second start-up sends nothing


async def test_digest_waits_for_a_failing_feed_then_goes_out_with_a_note(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await ask_text(app, "subscribe category cs.LG")
    await ingest(app, researchers=False)
    async with app.db.session() as session:
        feed = await session.get(SourceStatusRow, "arXiv feeds")
        feed.ok, feed.message = False, "arXiv feeds could not be reached"  # the next morning's ingest failed
        session.add(feed)
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        await session.commit()
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)
    schedule._scheduler = scheduler
    set_current_app(app)
    try:
        assert await schedule.digest_job(destination.id) is None  # delayed, not sent
        assert scheduler.get_job(f"digest-delay:{destination.id}") is not None
        outcome = await schedule.digest_job(destination.id, delays=schedule.DIGEST_DELAYS)
        assert outcome is not None and outcome.state == "done"
        assert sink.views[0].note and "Partial digest" in sink.views[0].note
    finally:
        set_current_app(None)
        schedule._scheduler = None
        scheduler.shutdown(wait=False)


async def test_the_same_paper_from_two_sources_is_one_item(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await ask_text(app, "subscribe category cs.RO")
    await ingest(app, researchers=False)
    # OpenAlex reports the DexDiffuser preprint again (arXiv DOI, author ids): it merges into the arXiv row.
    duplicate = PaperRecord(title="DexDiffuser", arxiv_id="2411.18562", doi="10.48550/arxiv.2411.18562",
                            authors=(AuthorRef("Zhixuan Liang", openalex_id="A1"),), sources=("openalex",))
    async with app.db.session() as session:
        await repos.upsert_papers(session, [duplicate], now=app.now())
        await session.commit()
        row = await repos.get_paper(session, "arXiv:2411.18562")
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
    assert row is not None and row.sources == ["arxiv", "openalex"]
    from core.digest.deliver import run_digest

    await ask_text(app, "settings max 50")
    await run_digest(app, destination.id)
    ids = sink.paper_ids()
    assert ids.count("arXiv:2411.18562") == 1 and len(ids) == len(set(ids))


async def test_a_crowded_minute_is_delivered_a_few_channels_at_a_time(app_factory, recordings) -> None:  # type: ignore[no-untyped-def]
    """Twelve channels all set to 08:00: every one gets its digest, never more than the bound at once."""
    app = app_factory(feed_router(recordings), now=THURSDAY, RADAR_DIGEST_CONCURRENCY="3")
    inside, most = 0, 0

    class SlowSink(RecordingSink):
        async def send_digest(self, destination, view, mark_sent, *, previous=()):  # type: ignore[no-untyped-def]
            nonlocal inside, most
            inside += 1
            most = max(most, inside)
            try:
                await asyncio.sleep(0.02)  # a platform's pacing: the run holds its slot while it waits
                await super().send_digest(destination, view, mark_sent, previous=previous)
            finally:
                inside -= 1

    sink = SlowSink()
    app.sinks["console"] = sink
    ids = []
    async with app.db.session() as session:
        for n in range(12):
            destination = await repos.ensure_destination(session, Destination("console", "local", f"ch{n}"))
            await repos.add_subscription(session, destination, kind="category", query="cs.LG")
            ids.append(destination.id)
        await session.commit()
    await ingest(app, researchers=False)
    set_current_app(app)
    try:
        outcomes = await asyncio.gather(*(schedule.digest_job(i) for i in ids))
    finally:
        set_current_app(None)
    assert [o.state for o in outcomes if o is not None] == ["done"] * 12
    received: dict[str, list[str]] = {}
    for destination, paper, _message in sink.messages:
        received.setdefault(destination.channel_id, []).append(paper)
    assert sorted(received) == sorted(f"ch{n}" for n in range(12))
    first = received["ch0"]
    assert first and len(set(first)) == len(first)  # each paper once
    assert all(papers == first for papers in received.values())  # the same subscription, the same digest
    assert most == 3


async def _cache_keys(app) -> set[str]:  # type: ignore[no-untyped-def]
    """The lookup cache rows physically stored, expired or not (reads already hide the expired ones)."""
    async with app.db.session() as session:
        return {row.key for row in (await session.exec(LookupCacheRow.__table__.select())).all()}  # type: ignore[attr-defined,call-overload]


async def test_the_daily_job_purges_expired_lookup_answers(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    async with app.db.session() as session:
        await repos.cache_put(session, "paper:old", {"n": 1}, timedelta(hours=1), now=THURSDAY - timedelta(hours=2))
        await repos.cache_put(session, "paper:fresh", {"n": 2}, timedelta(hours=1), now=THURSDAY)
        await session.commit()
    assert await _cache_keys(app) == {"paper:old", "paper:fresh"}
    set_current_app(app)
    try:
        await schedule.purge_cache_job()
    finally:
        set_current_app(None)
    assert await _cache_keys(app) == {"paper:fresh"}


async def test_the_clock_purges_the_lookup_cache_at_start_and_daily(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    async with app.db.session() as session:
        await repos.cache_put(session, "paper:old", {"n": 1}, timedelta(hours=1), now=THURSDAY - timedelta(days=3))
        await session.commit()
    scheduler = AsyncIOScheduler(timezone="UTC")
    await schedule.start_clock(app, scheduler)
    try:
        assert await _cache_keys(app) == set()  # purged at start-up, before any daily run
        job = scheduler.get_job("purge-lookup-cache")
        assert job is not None and job.func is schedule.purge_cache_job
        assert "hour='3'" in str(job.trigger)
    finally:
        schedule.stop_clock(scheduler)
