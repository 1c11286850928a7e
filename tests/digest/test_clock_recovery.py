"""The clock after a gap: a missed or killed ingest is run again, start-up digests use the crowded minute's
bound and stop when told, two clocks' ingests take turns, and a failed start-up reports its own error."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import create_engine, inspect

from bots.console.adapter import CONSOLE_DESTINATION
from core import bootstrap
from core.app import set_current_app
from core.digest import schedule
from core.digest.ingest import FEED_KEY, INGEST_LEASE, ingest
from core.model.context import Destination
from core.model.papers import AuthorRef, PaperRecord
from core.storage import leases, repos
from core.storage.models import SourceStatusRow
from tests.digest.conftest import THURSDAY, RecordingSink, feed_router
from tests.fakes import SourceRouter, ask_text

WEDNESDAY = date(2024, 11, 27)
BEFORE_REBUILD = datetime(2024, 11, 28, 5, 0, tzinfo=UTC)  # 00:00 in New York: today's feed is not built yet
AFTER_REBUILD = datetime(2024, 11, 28, 6, 0, tzinfo=UTC)  # 01:00 in New York: the 00:30 ingest should be in


async def _feed_read_on(app: Any, day: date, at: datetime) -> None:
    """The feed as the last good ingest left it: `day`'s feed read at `at`."""
    async with app.db.session() as session:
        session.add(SourceStatusRow(key=FEED_KEY, ok=True, feed_date=day, last_ok_at=at, items=1504))
        await session.commit()


async def _feed_date(app: Any) -> date | None:
    async with app.db.session() as session:
        row = await session.get(SourceStatusRow, FEED_KEY)
        return row.feed_date if row else None


async def _status_problems(app: Any) -> tuple[str, ...]:
    view, _text = await ask_text(app, "status")
    return view.problems  # type: ignore[attr-defined,no-any-return]


def _stop_clock(scheduler: AsyncIOScheduler) -> None:
    schedule.stop_clock(scheduler)
    set_current_app(None)


# ---------------------------------------------------------------- 5: a missed ingest is run again


async def test_an_ingest_missed_while_the_clock_was_down_runs_at_start_up(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings)
    app = app_factory(router, now=THURSDAY)
    await ask_text(app, "subscribe category cs.LG")
    # The clock was down from Wednesday morning to Thursday 07:00 New York time: the 00:30 ingest never ran.
    await _feed_read_on(app, WEDNESDAY, datetime(2024, 11, 27, 5, 31, tzinfo=UTC))
    problems = await _status_problems(app)
    assert any("today's feed (Thu 28 Nov) has not been read yet" in p for p in problems), problems

    scheduler = AsyncIOScheduler(timezone="UTC")
    await schedule.start_clock(app, scheduler)
    try:
        assert await _feed_date(app) == date(2024, 11, 28)
        assert len(router.calls("arxiv_rss")) == 1
        assert await _status_problems(app) == ()  # read now: nothing to report
    finally:
        _stop_clock(scheduler)


async def test_the_tick_reads_a_feed_that_a_killed_ingest_left_unread(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings)
    now = [BEFORE_REBUILD]
    app = app_factory(router)
    app.now = lambda: now[0]
    await ask_text(app, "subscribe category cs.LG")
    await _feed_read_on(app, WEDNESDAY, datetime(2024, 11, 27, 5, 31, tzinfo=UTC))
    scheduler = AsyncIOScheduler(timezone="UTC")
    await schedule.start_clock(app, scheduler)  # before the rebuild: nothing is owed yet
    set_current_app(app)
    try:
        assert router.calls("arxiv_rss") == []
        # 01:00: the 00:30 ingest was killed before it wrote anything, and APScheduler moved on to tomorrow.
        now[0] = AFTER_REBUILD
        assert any("has not been read yet" in p for p in await _status_problems(app))
        async with app.db.session() as session:  # another clock is ingesting: this one leaves it to it
            assert await leases.take(session, INGEST_LEASE, "other-host:1:x", timedelta(minutes=1))
            await session.commit()
        await schedule.tick_job()
        if schedule._owed_ingest is not None:
            await schedule._owed_ingest
        assert router.calls("arxiv_rss") == []
        async with app.db.session() as session:  # ... and was killed before reading the feed: its lease ends
            await leases.release(session, INGEST_LEASE, "other-host:1:x")
            await session.commit()
        await schedule.tick_job()
        assert schedule._owed_ingest is not None
        await schedule._owed_ingest
        assert await _feed_date(app) == date(2024, 11, 28)
        await schedule.tick_job()  # read: the next tick asks arXiv nothing
        if schedule._owed_ingest is not None:
            await schedule._owed_ingest
        assert len(router.calls("arxiv_rss")) == 1
        assert await _status_problems(app) == ()
    finally:
        _stop_clock(scheduler)


async def test_a_feed_still_unreadable_at_start_up_makes_catch_up_digests_say_partial(app_factory) -> None:  # type: ignore[no-untyped-def]
    down = SourceRouter().add("arxiv_rss", "/", httpx.Response(503, text="Service Unavailable"))
    app = app_factory(down, now=THURSDAY)
    sink = RecordingSink()
    app.sinks["console"] = sink
    await ask_text(app, "subscribe category cs.LG")
    await _feed_read_on(app, WEDNESDAY, datetime(2024, 11, 27, 5, 31, tzinfo=UTC))
    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        destination.created_at = THURSDAY - timedelta(days=10)
        destination.last_digest_at = THURSDAY - timedelta(days=2)
        session.add(destination)
        # Wednesday's papers are in; Thursday's are what the unread feed holds.
        await repos.upsert_papers(session, [PaperRecord(
            title="Wednesday's paper", arxiv_id="2411.17001", versions=(1,), categories=("cs.LG",),
            primary_category="cs.LG", announce_type="new", announced=WEDNESDAY)], now=THURSDAY - timedelta(hours=20))
        await session.commit()
    scheduler = AsyncIOScheduler(timezone="UTC")
    await schedule.start_clock(app, scheduler)
    try:
        assert down.calls("arxiv_rss")  # it tried, at start-up
        (view,) = sink.views
        assert view.note and "Partial digest: arXiv feeds is having trouble (HTTP 503)" in view.note
    finally:
        _stop_clock(scheduler)


# ---------------------------------------------------------------- 6: two clocks, one database


async def test_two_clocks_ingesting_at_once_take_turns(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    routers = [feed_router(recordings), feed_router(recordings)]
    first, second = (app_factory(router, now=THURSDAY) for router in routers)
    await ask_text(first, "subscribe category cs.LG")
    reports = await asyncio.gather(ingest(first), ingest(second))  # both clocks' 00:30 job
    ran = [r for r in reports if r.busy_with is None]
    assert len(ran) == 1 and ran[0].stored == 1504 and ran[0].complete
    skipped = next(r for r in reports if r.busy_with is not None)
    assert skipped.complete  # nothing to retry: the other clock did the work
    run = bootstrap.ManualIngest(skipped, expected=date(2024, 11, 28), not_stored_before=0)
    assert bootstrap.describe_ingest(run)[0].startswith("another ingest is running")  # what `radar ingest` says
    assert sum(len(r.calls("arxiv_rss")) for r in routers) == 1
    assert await _feed_date(first) == date(2024, 11, 28)
    # Done, the lease is free again: the next ingest (either clock) runs.
    assert (await ingest(second, researchers=False)).busy_with is None


async def test_papers_stored_by_two_writers_at_once_are_merged_not_refused(db) -> None:  # type: ignore[no-untyped-def]
    from_feed = [PaperRecord(title=f"Paper {n}", arxiv_id=f"2411.0000{n}", versions=(1,), sources=("arxiv",))
                 for n in range(1, 4)]
    from_openalex = PaperRecord(title="Paper 2", arxiv_id="2411.00002", doi="10.48550/arxiv.2411.00002",
                                authors=(AuthorRef("Ada", openalex_id="A1"),), sources=("openalex",))
    async with db.session() as one, db.session() as other:
        await repos.upsert_papers(one, from_feed)  # not committed yet: the other writer cannot see these
        racing = asyncio.create_task(repos.upsert_papers(other, [from_openalex, from_feed[0]]))
        await asyncio.sleep(0.3)
        await one.commit()
        await racing
        await other.commit()
    async with db.session() as session:
        merged = await repos.get_paper(session, "arXiv:2411.00002")
        assert merged is not None and merged.sources == ["arxiv", "openalex"] and merged.doi
        assert all([await repos.get_paper(session, f"arXiv:2411.0000{n}") for n in range(1, 4)])


async def test_a_failed_start_up_reports_its_own_error(channel_app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(schedule, "catch_up", broken)
    scheduler = AsyncIOScheduler(timezone="UTC")
    with pytest.raises(RuntimeError, match="the database went away"):
        try:
            await schedule.start_clock(channel_app, scheduler)
        finally:
            schedule.stop_clock(scheduler)  # never started: must not hide the error with its own
    with pytest.raises(RuntimeError, match="the database went away"):
        await bootstrap.start_clock(channel_app)
    assert schedule._scheduler is None


def test_the_migrations_make_the_job_table_so_starting_clocks_never_race_to(database_url: str) -> None:
    from core.config import Settings

    settings = Settings(_env_file=None, DATABASE_URL=database_url)  # type: ignore[call-arg]
    engine = create_engine(settings.sync_database_url)
    try:
        assert inspect(engine).has_table("apscheduler_jobs")  # made by `radar db upgrade`, before any clock
    finally:
        engine.dispose()
    from core.storage.models import APSCHEDULER_JOBS

    stores = [schedule.build_scheduler(settings)._jobstores["default"] for _ in range(2)]  # type: ignore[attr-defined]
    assert stores[0].jobs_t.name == APSCHEDULER_JOBS.name == schedule.JOBS_TABLE
    assert [(c.name, str(c.type), c.primary_key, c.index) for c in stores[0].jobs_t.columns] == [
        (c.name, str(c.type), c.primary_key, c.index) for c in APSCHEDULER_JOBS.columns]
    # Two clocks' job stores starting at the same instant: each finds the table, neither fails.
    together = threading.Barrier(2)
    errors: list[BaseException] = []

    def start(store: Any) -> None:
        together.wait()
        try:
            store.start(AsyncIOScheduler(), "default")
        except BaseException as error:
            errors.append(error)
        finally:
            store.shutdown()

    threads = [threading.Thread(target=start, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# ---------------------------------------------------------------- 7: start-up in slots, and stopping


async def _owed_channels(app: Any, count: int) -> list[int]:
    ids = []
    async with app.db.session() as session:
        for n in range(count):
            destination = await repos.ensure_destination(session, Destination("console", "local", f"ch{n}"))
            await repos.add_subscription(session, destination, kind="category", query="cs.LG")
            destination.created_at = THURSDAY - timedelta(days=10)
            destination.last_digest_at = THURSDAY - timedelta(days=2)
            session.add(destination)
            ids.append(destination.id)
        await session.commit()
    return ids


class SlowSink(RecordingSink):
    """A platform's pacing: each digest holds its slot a while. Counts how many run at once."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay, self.inside, self.most, self.started = delay, 0, 0, 0
        self.three_started = asyncio.Event()

    async def send_digest(self, destination, view, mark_sent, *, previous=()):  # type: ignore[no-untyped-def]
        self.inside += 1
        self.started += 1
        self.most = max(self.most, self.inside)
        if self.started >= 3:
            self.three_started.set()
        try:
            await asyncio.sleep(self.delay)
            await super().send_digest(destination, view, mark_sent, previous=previous)
        finally:
            self.inside -= 1


async def test_start_up_catch_up_runs_as_many_channels_at_once_as_a_crowded_minute(app_factory, recordings) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(feed_router(recordings), now=THURSDAY, RADAR_DIGEST_CONCURRENCY="4")
    # Long enough that each slot is still held when the next channels start, on a busy machine too.
    sink = SlowSink(0.4)
    app.sinks["console"] = sink
    await _owed_channels(app, 12)
    await ingest(app, researchers=False)
    outcomes = await schedule.catch_up(app)
    assert sorted(o.state for o in outcomes) == ["done"] * 12
    assert sink.most == 4
    assert len({d.channel_id for d, _p, _m in sink.messages}) == 12


async def test_stop_during_start_up_ends_it_within_the_grace_and_leaves_the_rest_owed(app_factory, recordings) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(feed_router(recordings), now=THURSDAY, RADAR_DIGEST_CONCURRENCY="3")
    sink = SlowSink(0.5)
    app.sinks["console"] = sink
    await _owed_channels(app, 30)
    await ingest(app, researchers=False)
    stop = asyncio.Event()
    scheduler = AsyncIOScheduler(timezone="UTC")
    starting = asyncio.create_task(schedule.start_clock(app, scheduler, stop))
    await asyncio.wait_for(sink.three_started.wait(), timeout=30)
    stop.set()
    began = asyncio.get_running_loop().time()
    assert await starting is False
    assert asyncio.get_running_loop().time() - began < schedule.SHUTDOWN_GRACE_S + 1
    assert not scheduler.running
    schedule.stop_clock(scheduler)
    served = {d.channel_id for d, _p, _m in sink.messages}
    assert 3 <= len(served) < 30  # those in flight finished, the rest never started
    # The next start serves exactly the rest.
    sink2 = RecordingSink()
    app.sinks["console"] = sink2
    outcomes = await schedule.catch_up(app)
    assert len(outcomes) == 30 - len(served)
    assert {d.channel_id for d, _p, _m in sink2.messages} == {f"ch{n}" for n in range(30)} - served
