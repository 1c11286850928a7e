"""Two clock processes on one database: no paper is ever sent twice, and one finishes what the other left."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bots.console.adapter import CONSOLE_DESTINATION
from core.digest.deliver import resume_pending, run_digest, start_run
from core.digest.ingest import ingest
from core.digest.plan import plan_digest, window_for
from core.storage import repos
from core.storage.models import DigestRunRow, utcnow
from tests.digest.conftest import THURSDAY, RecordingSink, feed_router
from tests.fakes import ask_text


async def test_two_clocks_racing_send_each_paper_once(app_factory, recordings) -> None:  # type: ignore[no-untyped-def]
    first = app_factory(feed_router(recordings), now=THURSDAY)
    second = app_factory(feed_router(recordings), now=THURSDAY)
    sink_a, sink_b = RecordingSink(), RecordingSink()
    first.sinks["console"], second.sinks["console"] = sink_a, sink_b
    await ask_text(first, "subscribe category cs.LG")
    await ingest(first, researchers=False)
    async with first.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
    outcomes = await asyncio.gather(run_digest(first, destination.id), run_digest(second, destination.id))
    sent = sink_a.paper_ids() + sink_b.paper_ids()
    assert len(sent) == len(set(sent)) == destination.max_items
    assert sorted(o.state for o in outcomes)[0] in ("done", "empty", "skipped")
    assert await resume_pending(first) == [] and await resume_pending(second) == []


async def test_a_dead_clocks_run_is_finished_by_the_other_after_its_lease(app_factory, recordings) -> None:  # type: ignore[no-untyped-def]
    dead = app_factory(feed_router(recordings), now=THURSDAY)
    alive = app_factory(feed_router(recordings), now=THURSDAY)
    sink = RecordingSink()
    alive.sinks["console"] = sink
    await ask_text(dead, "subscribe category cs.RO")
    await ingest(dead, researchers=False)
    async with dead.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        plan = await plan_digest(session, destination, window_for(destination, dead.now()))
    run = await start_run(dead, destination, plan, kind="scheduled")  # claimed, then the process was killed
    assert await resume_pending(alive) == [] or sink.messages == []  # its lease still holds: hands off
    assert sink.messages == []
    async with alive.db.session() as session:
        row = await session.get(DigestRunRow, run.id)
        row.lease_until = utcnow() - timedelta(seconds=1)  # ten minutes later, nobody renewed it
        session.add(row)
        await session.commit()
    outcomes = await resume_pending(alive)
    assert [o.state for o in outcomes] == ["done"]
    assert sink.paper_ids() == [i.paper_id for i in plan.items[: destination.max_items]]
