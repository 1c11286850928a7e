"""The channels of a minute: digest jobs that fire together are planned and claimed together, and every channel
gets exactly the digest it would have got alone, once, even with two clocks or a job cancelled midway."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from core.app import set_current_app
from core.digest import deliver, plan, schedule
from core.digest.deliver import resume_pending
from core.digest.ingest import ingest
from core.digest.leases import delivering
from core.digest.plan import plan_digest, window_for
from core.model.context import Destination
from core.storage import digest_inputs, ledger, repos
from core.storage.models import DigestRunRow
from tests.digest.conftest import THURSDAY, RecordingSink, feed_router

INTERESTS = [("category", "cs.LG"), ("category", "cs.CV"), ("topic", "diffusion"), ("topic", '"dark matter"'),
             ("category", "quant-ph"), ("topic", "language model -survey"), ("category", "math.PR")]


async def _channels(app: Any, count: int) -> list[int]:
    """`count` console channels, each with two interests of its own (neighbours share one)."""
    ids = []
    async with app.db.session() as session:
        for n in range(count):
            row = await repos.ensure_destination(session, Destination("console", "local", f"room-{n}"))
            for kind, query in (INTERESTS[n % len(INTERESTS)], INTERESTS[(n + 1) % len(INTERESTS)]):
                await repos.add_subscription(session, row, kind=kind, query=query)
            assert row.id is not None
            ids.append(row.id)
        await session.commit()
    return ids


async def _alone(app: Any, ids: list[int]) -> dict[str, list[str]]:
    """What each channel's digest would show if it were planned on its own (read-only: a preview)."""
    shown = {}
    async with app.db.session() as session:
        for destination_id in ids:
            channel = await digest_inputs.digest_channel(session, destination_id)
            assert channel is not None
            one = await plan_digest(session, channel, window_for(channel, app.now()))
            shown[f"room-{destination_id - ids[0]}"] = [i.paper_id for i in one.shown_items]
    return shown


def _received(sink: RecordingSink) -> dict[str, list[str]]:
    got: dict[str, list[str]] = {}
    for where, paper, _message in sink.messages:
        got.setdefault(where.channel_id, [])
        if paper:
            got[where.channel_id].append(paper)
    return got


@pytest.fixture
async def minute(app_factory, recordings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    app = app_factory(feed_router(recordings), now=THURSDAY)
    ids = await _channels(app, 24)
    await ingest(app, researchers=False)
    batches: list[int] = []
    real = plan.plan_many

    async def counted(session: Any, destinations: Any, *args: Any, **kwargs: Any) -> Any:
        batches.append(len(destinations))
        return await real(session, destinations, *args, **kwargs)

    monkeypatch.setattr(deliver, "plan_many", counted)
    set_current_app(app)
    yield app, ids, batches
    set_current_app(None)


async def test_jobs_firing_together_are_planned_together_and_each_gets_its_own_digest(minute) -> None:  # type: ignore[no-untyped-def]
    app, ids, batches = minute
    sink = RecordingSink()
    app.sinks["console"] = sink
    expected = await _alone(app, ids)
    outcomes = await asyncio.gather(*(schedule.digest_job(i) for i in ids))
    assert batches == [24]  # one plan for the minute's 24 channels, not 24
    assert [o.state for o in outcomes if o is not None] == ["done"] * 24
    assert _received(sink) == expected  # the same digest each would have had alone, in the same order
    assert all(expected.values()) and len({tuple(v) for v in expected.values()}) > 3  # and they differ
    async with app.db.session() as session:
        runs = (await session.exec(DigestRunRow.__table__.select())).all()  # type: ignore[attr-defined]
    assert len(runs) == 24
    # The next tick finds nothing to resume, and a job firing again in the same slot sends nothing.
    assert await resume_pending(app) == []
    again = await asyncio.gather(*(schedule.digest_job(i) for i in ids[:3]))
    assert [o.state for o in again if o is not None] == ["skipped"] * 3 and len(sink.paper_ids()) == sum(
        len(v) for v in expected.values())


async def test_two_clocks_firing_the_same_minute_send_each_paper_once(minute, app_factory, recordings) -> None:  # type: ignore[no-untyped-def]
    first, ids, _batches = minute
    second = app_factory(feed_router(recordings), now=THURSDAY)
    sink_a, sink_b = RecordingSink(), RecordingSink()
    first.sinks["console"], second.sinks["console"] = sink_a, sink_b
    expected = await _alone(first, ids)

    async def clock(app: Any) -> list[Any]:
        set_current_app(app)  # each clock's jobs find their own App (a task copies the context it starts in)
        return list(await asyncio.gather(*(schedule.digest_job(i) for i in ids)))

    await asyncio.gather(asyncio.create_task(clock(first)), asyncio.create_task(clock(second)))
    got_a, got_b = _received(sink_a), _received(sink_b)
    assert not set(got_a) & set(got_b)  # each channel's digest came from one clock only
    assert {**got_a, **got_b} == expected
    assert await resume_pending(first) == [] and await resume_pending(second) == []


async def _runs(app: Any) -> int:
    async with app.db.session() as session:
        return len((await session.exec(DigestRunRow.__table__.select())).all())  # type: ignore[attr-defined]


async def test_a_job_cancelled_after_its_claim_is_delivered_by_the_tick(minute) -> None:  # type: ignore[no-untyped-def]
    app, ids, _batches = minute
    sink = RecordingSink()
    app.sinks["console"] = sink
    expected = await _alone(app, ids[:4])
    slots = schedule.digest_slots(app)
    held = [await slots.acquire() for _ in range(app.settings.digest_concurrency)]  # every slot busy
    try:
        jobs = [asyncio.create_task(schedule.digest_job(i)) for i in ids[:4]]
        for _ in range(1000):  # claimed (the runs are committed), then waiting for a slot
            if await _runs(app) == 4:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        assert delivering(app) == set(range(1, 5))
        for job in jobs:
            job.cancel()  # SIGTERM: the clock stops before delivering
        await asyncio.gather(*jobs, return_exceptions=True)
    finally:
        for _ in held:
            slots.release()
    assert sink.messages == [] and not delivering(app)  # nothing sent, and nothing left marked as under way
    outcomes = await resume_pending(app)  # the next tick (or start) finds the claimed runs and sends them
    assert sorted(o.state for o in outcomes) == ["done"] * 4
    assert _received(sink) == expected


async def test_one_channel_that_cannot_be_planned_does_not_hold_up_the_others(minute, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    app, ids, _batches = minute
    sink = RecordingSink()
    app.sinks["console"] = sink
    expected = await _alone(app, ids)
    broken = ids[5]
    real = plan.select

    def select(one: Any, *args: Any, **kwargs: Any) -> None:
        if one.destination_id == broken:
            raise ZeroDivisionError("a bug on this channel's data")
        real(one, *args, **kwargs)

    monkeypatch.setattr(plan, "select", select)
    caplog.set_level(logging.ERROR)
    outcomes = await asyncio.gather(*(schedule.digest_job(i) for i in ids))
    states = {o.destination_id: o.state for o in outcomes if o is not None}
    assert states.pop(broken) == "failed" and set(states.values()) == {"done"}
    del expected["room-5"]
    assert _received(sink) == expected
    assert any(f"destination {broken}" in r.getMessage() for r in caplog.records)


async def test_a_paper_arriving_between_two_batches_of_a_minute_is_in_the_later_batchs_digests(minute) -> None:  # type: ignore[no-untyped-def]
    """Each batch of a minute reads the arrivals of its own windows: a paper stored after the first batch was
    planned reaches the channels of the next batch."""
    from core.model.papers import PaperRecord

    app, ids, _batches = minute
    app.sinks["console"] = RecordingSink()
    first = await deliver.claim_runs(app, [deliver.RunRequest(i) for i in ids[:12]])
    assert all(hasattr(run, "item_count") for run in first.values())
    fresh = PaperRecord(title="Diffusion bridges for dark matter maps", arxiv_id="2411.99999", versions=(1,),
                        abstract="We train a diffusion model on dark matter maps.", categories=("astro-ph.CO",),
                        primary_category="astro-ph.CO", announce_type="new", announced=THURSDAY.date(),
                        sources=("arxiv",))
    async with app.db.session() as session:
        await repos.upsert_papers(session, [fresh], now=app.now())
        await session.commit()
    later = await deliver.claim_runs(app, [deliver.RunRequest(i) for i in ids[12:]])
    checked = 0
    async with app.db.session() as session:
        for destination_id in ids[12:]:
            run = later[destination_id]
            assert hasattr(run, "backlog")
            subscriptions = await digest_inputs.channels_subscriptions(session, [destination_id])
            queries = {s.query for s in subscriptions[destination_id]}
            stored = await ledger.get_run(session, run.id)
            assert stored is not None and stored.more_count == run.more_count
            papers = [i.paper_id for i in await ledger.run_items(session, run.id)] + list(stored.more_ids)
            if queries & {"diffusion", '"dark matter"'}:
                assert "arXiv:2411.99999" in papers, destination_id
                checked += 1
    assert checked >= 4



async def test_the_made_tables_starting_afresh_change_no_digest(minute, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Past `PLANNED_KEPT` planned items a matcher's made tables are emptied (memory at 100,000 channels): the digests
    planned after that are the same."""
    app, ids, _batches = minute
    sink = RecordingSink()
    app.sinks["console"] = sink
    expected = await _alone(app, ids)
    monkeypatch.setattr(plan, "PLANNED_KEPT", 5)
    outcomes = await asyncio.gather(*(schedule.digest_job(i) for i in ids))
    assert [o.state for o in outcomes if o is not None] == ["done"] * 24
    assert _received(sink) == expected
    latest = list(plan._MATCHERS.values())[-1]  # the matcher these channels used (the most recent)
    # Emptied: with every table past the cap of 5, only the last one made is kept.
    assert latest.planned_count == sum(map(len, latest.planned.values()))
    assert 0 < latest.planned_count <= max(map(len, latest.planned.values()))
