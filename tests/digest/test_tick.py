"""The clock's minute tick: it never resumes a run this process is still delivering, and it starts the digest
of a channel whose slot passed without a run (its job failed before claiming: the database was down)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from core.app import set_current_app
from core.digest import schedule
from core.digest.ingest import ingest
from core.model.context import Destination
from core.model.sink import MarkSent
from core.storage import repos
from core.storage.models import DestinationRow, DigestRunRow
from core.views import DigestView
from tests.digest.conftest import THURSDAY, RecordingSink, database_down, feed_router, tracebacks


class SlowSink(RecordingSink):
    """A platform that takes its time over every message, as Slack does at one message per second."""

    async def send_digest(self, destination: Destination, view: DigestView, mark_sent: MarkSent, *,
                          previous: Sequence[str] = ()) -> None:
        async def slowly(paper_ids: Sequence[str], message_id: str) -> None:
            await asyncio.sleep(0.01)
            await mark_sent(paper_ids, message_id)

        await super().send_digest(destination, view, slowly, previous=previous)


async def test_a_tick_during_a_long_burst_sends_nothing_twice(app_factory: Any, recordings: Any) -> None:
    app = app_factory(feed_router(recordings), now=THURSDAY, RADAR_DIGEST_CONCURRENCY="4")
    app.sinks["console"] = sink = SlowSink()
    ids = []
    async with app.db.session() as session:
        for n in range(16):
            destination = await repos.ensure_destination(session, Destination("console", "local", f"ch{n}"))
            await repos.add_subscription(session, destination, kind="category", query="cs.LG")
            ids.append(destination.id)
        await session.commit()
    await ingest(app, researchers=False)
    set_current_app(app)
    try:
        burst = asyncio.gather(*(schedule.digest_job(i) for i in ids))
        for _ in range(4):  # ticks while runs are being delivered (each run's state is `sending`, leased to us)
            await asyncio.sleep(0.15)
            await schedule.tick_job()
        outcomes = await burst
        await schedule.tick_work_done()
    finally:
        set_current_app(None)
    assert [o.state for o in outcomes if o is not None] == ["done"] * 16
    received: dict[str, list[str]] = {}
    for where, paper, _message in sink.messages:
        received.setdefault(where.channel_id, []).append(paper)
    assert sorted(received) == sorted(f"ch{n}" for n in range(16))
    for papers in received.values():
        assert len(papers) == len(set(papers)) == 10, papers  # every paper of the digest once


async def test_a_digest_job_that_fails_before_claiming_is_started_by_the_next_tick(
    channel_app: Any, sink: RecordingSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = channel_app
    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, Destination("console", "local", "morning"))
        await repos.add_subscription(session, destination, kind="category", query="cs.LG")
        destination.digest_time, destination.weekdays, destination.timezone = "11:00", "mon-sun", "UTC"
        destination.created_at = THURSDAY - timedelta(days=10)
        destination.last_digest_at = THURSDAY - timedelta(days=1)
        session.add(destination)
        await session.commit()
    await ingest(app, researchers=False)
    set_current_app(app)
    try:
        # 11:00: the job fires while the database is down; it claims nothing and says so in one line.
        with database_down("create_runs") as failed:
            assert await schedule.digest_job(destination.id) is None
        assert failed == ["create_runs"] and sink.messages == []
        await schedule.tick_job()  # 12:00 (the app's clock): the slot passed an hour ago without a run
        await schedule.tick_work_done()
        assert len(sink.paper_ids()) == 10
        await schedule.tick_job()  # served: the next tick starts nothing
        await schedule.tick_work_done()
    finally:
        set_current_app(None)
    assert len(sink.paper_ids()) == 10 == len(set(sink.paper_ids()))
    async with app.db.session() as session:
        runs = (await session.exec(select(DigestRunRow))).all()
        stored = await session.get(DestinationRow, destination.id)
    assert [r.state for r in runs] == ["done"] and stored is not None and stored.last_digest_at is not None
    assert tracebacks(caplog) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "did not start" in warnings[0], warnings


async def test_the_tick_leaves_alone_a_slot_that_is_served_or_not_yet_missed(channel_app: Any,
                                                                            sink: RecordingSink) -> None:
    app = channel_app
    async with app.db.session() as session:
        for name, time, last in (("served", "11:00", THURSDAY - timedelta(minutes=55)),  # its digest went out
                                 ("just now", "11:59", THURSDAY - timedelta(days=1)),  # its job is starting
                                 ("long ago", "04:00", THURSDAY - timedelta(days=1))):  # past the grace: catch-up's
            destination = await repos.ensure_destination(session, Destination("console", "local", name))
            await repos.add_subscription(session, destination, kind="category", query="cs.LG")
            destination.digest_time, destination.weekdays, destination.timezone = time, "mon-sun", "UTC"
            destination.created_at, destination.last_digest_at = THURSDAY - timedelta(days=10), last
            session.add(destination)
        await session.commit()
    await ingest(app, researchers=False)
    set_current_app(app)
    try:
        assert await schedule.serve_missed_slots(app) == []
    finally:
        set_current_app(None)
    assert sink.messages == []
