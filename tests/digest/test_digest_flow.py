"""The daily digest end to end on the real 1504-item feed: ingest, match, rank, claim, deliver once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import select

from bots.console.adapter import CONSOLE_DESTINATION
from core.commands import Import
from core.digest.deliver import resume_pending, run_digest, start_run
from core.digest.ingest import ingest
from core.digest.plan import plan_digest, window_for
from core.model.sink import DeliveryError
from core.service import handle
from core.storage import repos
from core.storage.models import DeliveryRow, DestinationRow
from core.views import DigestView, Notice, Problem, StatusView
from tests.digest.conftest import RecordingSink, retry_wait_over
from tests.fakes import ask_text


async def _destination(app) -> DestinationRow:  # type: ignore[no-untyped-def]
    async with app.db.session() as session:
        return await repos.ensure_destination(session, CONSOLE_DESTINATION)


async def _subscribe(app, *commands: str) -> None:  # type: ignore[no-untyped-def]
    for command in commands:
        view, text = await ask_text(app, command)
        assert not isinstance(view, Problem), text


async def test_topic_category_and_researcher_with_why_lines(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _subscribe(app, 'subscribe topic diffusion model -medical', "subscribe category cs.RO",
                     "settings max 50")
    from core.model.context import Actor

    manager = Actor("console", "me", can_manage=True)
    payload = {"format": "paper-radar/1", "subscriptions": [
        {"kind": "researcher", "name": "Hyewon Jeong", "orcid": "0000-0002-1825-0097"}]}
    await handle(Import(json.dumps(payload)), manager, CONSOLE_DESTINATION, app=app)
    report = await ingest(app, researchers=False)
    assert report.stored == 1504 and report.new == 935 and report.updates == 569 and not report.stale
    destination = await _destination(app)
    async with app.db.session() as session:
        plan = await plan_digest(session, destination, window_for(destination, app.now()))
    view, text = await ask_text(app, "digest now")
    assert isinstance(view, Notice) and "Sent the digest" in text, text
    digest = sink.views[0]
    assert digest.items, "the real feed has diffusion and robotics papers"
    ids = sink.paper_ids()
    assert len(ids) == len(set(ids))  # every paper once
    # An imported researcher whose works were not read yet (the ingest skipped researchers) is recognised by
    # name alone on arXiv: a capped "possibly by" guess, shown last, below what the topic and category brought.
    assert digest.more_count and ids[-1] == "arXiv:2411.17702"
    guess = digest.items[-1]
    assert [r.text for r in guess.why] == ["possibly by Hyewon Jeong (name match only)"] and guess.why[0].possible
    shown = plan.items[: plan.shown]
    assert shown[-1].match.possible and not shown[-1].match.followed
    assert not any(item.match.possible for item in shown[:-1])
    # A DexDiffuser robotics paper matches the topic and the category: one item, both reasons.
    dex = next(i for i in digest.items if i.paper_id == "arXiv:2411.18562")
    kinds = sorted(r.kind for r in dex.why)
    assert kinds == ["category", "topic"]
    assert any('"diffusion"' in r.text for r in dex.why) and any("cs.RO" in r.text for r in dex.why)
    # Replacements (new versions of old papers) are left out unless the channel asked for updates.
    assert all(not i.is_update for i in digest.items)
    printed = sink.text.getvalue()
    assert "why: " in printed and "https://arxiv.org/abs/2411.18562" in printed
    # Nothing is ever sent twice: the next digest has nothing new.
    view, text = await ask_text(app, "digest now")
    assert "No new papers" in text and len(sink.paper_ids()) == len(ids)


async def test_cap_then_digest_more(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _subscribe(app, "subscribe category cs.LG", "settings max 5")
    await ingest(app, researchers=False)
    await ask_text(app, "digest now")
    first = sink.views[0]
    assert len(first.items) == 5 and first.more_count > 0
    assert f"…and {first.more_count} more" in sink.text.getvalue()
    more, _text = await ask_text(app, "digest more")
    assert isinstance(more, DigestView) and len(more.items) == 5
    assert not {i.paper_id for i in more.items} & {i.paper_id for i in first.items}


async def test_updates_only_when_asked(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _subscribe(app, "subscribe category math.CO")
    await ingest(app, researchers=False)
    preview, _ = await ask_text(app, "digest preview")
    assert isinstance(preview, DigestView) and preview.preview
    assert all(not i.is_update for i in preview.items)
    await _subscribe(app, "settings updates on")
    await _subscribe(app, "settings max 50")
    preview, text = await ask_text(app, "digest preview")
    assert isinstance(preview, DigestView)
    # A revised older paper is labelled so, and comes after every new paper of its tier (category, here).
    flags = [i.is_update for i in preview.items]
    assert any(flags) and flags == sorted(flags), flags
    (old,) = [i for i in preview.items if i.paper_id == "arXiv:1401.3665"]
    assert old.update_label == "revised to v4, first posted Jan 2014", [i.update_label for i in preview.items]
    assert "[revised to v4, first posted Jan 2014]" in text
    assert sink.messages == []  # previews send nothing
    await ask_text(app, "digest now")
    (sent,) = sink.views
    assert [(i.paper_id, i.update_label) for i in sent.items] == [(i.paper_id, i.update_label) for i in preview.items]


async def test_crash_between_claim_and_send_is_resumed_once(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _subscribe(app, "subscribe category cs.RO")
    await ingest(app, researchers=False)
    destination = await _destination(app)
    async with app.db.session() as session:
        plan = await plan_digest(session, destination, window_for(destination, app.now()))
    run = await start_run(app, destination, plan, kind="scheduled")  # claimed ... and the process dies here
    assert sink.messages == []
    outcomes = await resume_pending(app)  # the restarted clock
    assert [o.state for o in outcomes] == ["done"]
    assert sink.paper_ids() == [i.paper_id for i in plan.items[: destination.max_items]]
    assert await resume_pending(app) == []
    async with app.db.session() as session:
        rows = (await session.exec(select(DeliveryRow).where(DeliveryRow.run_id == run.id))).all()
    assert {r.state for r in rows} == {"sent"} and all(r.message_id for r in rows)


async def test_failure_mid_digest_resumes_where_it_stopped(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _subscribe(app, "subscribe category cs.LG", "settings max 6")
    await ingest(app, researchers=False)
    destination = await _destination(app)
    sink.fail_after, sink.error = 2, DeliveryError("Slack answered 429", retry_after=30)
    outcome = await run_digest(app, destination.id)
    assert outcome.state == "retry" and outcome.sent == 2
    sink.fail_after = None
    await retry_wait_over(app, outcome.run_id)
    outcomes = await resume_pending(app)
    assert [o.state for o in outcomes] == ["done"]
    ids = sink.paper_ids()
    assert len(ids) == 6 == len(set(ids))
    assert sink.views[1].items[0].paper_id == ids[2]  # continued in order from the third paper


async def test_lost_channel_pauses_and_keeps_subscriptions(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _subscribe(app, "subscribe category cs.LG")
    await ingest(app, researchers=False)
    destination = await _destination(app)
    sink.fail_after, sink.error = 0, DeliveryError("the channel was archived (is_archived)", pause=True)
    outcome = await run_digest(app, destination.id)
    assert outcome.state == "paused"
    status, text = await ask_text(app, "status")
    assert isinstance(status, StatusView) and status.paused and "is_archived" in text
    listed, _ = await ask_text(app, "list")
    assert len(listed.items) == 1
    async with app.db.session() as session:
        assert (await session.exec(select(DeliveryRow))).all() == []  # unsent claims released: nothing lost
    sink.fail_after = None
    await _subscribe(app, "resume")
    outcome = await run_digest(app, destination.id)
    assert outcome.state == "done" and outcome.sent == destination.max_items


async def test_quiet_day_sends_nothing_unless_asked(app_factory, synthetic, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from tests.fakes import SourceRouter

    body = (synthetic / "synthetic_arxiv_rss_empty.xml").read_bytes()
    router = SourceRouter().add("arxiv_rss", "/rss/", httpx.Response(200, content=body))
    app = app_factory(router, now=datetime(2024, 11, 30, 12, 0, tzinfo=UTC))  # a Saturday
    app.sinks["console"] = sink
    await _subscribe(app, "subscribe category cs.LG")
    report = await ingest(app, researchers=False)
    assert report.quiet and report.complete and not report.stale
    destination = await _destination(app)
    assert (await run_digest(app, destination.id)).state == "empty" and sink.messages == []
    await _subscribe(app, "settings quiet-notice on")
    async with app.db.session() as session:
        row = await session.get(DestinationRow, destination.id)
        row.last_digest_at = None
        session.add(row)
        await session.commit()
    assert (await run_digest(app, destination.id, kind="now")).state == "done"
    assert "no new papers" in sink.text.getvalue()


async def test_stale_feed_is_not_a_quiet_day(app_factory, recordings, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    from tests.digest.conftest import feed_router

    app = app_factory(feed_router(recordings), now=datetime(2024, 11, 29, 12, 0, tzinfo=UTC))  # Friday
    app.sinks["console"] = sink
    await _subscribe(app, "subscribe category cs.LG")
    report = await ingest(app, researchers=False)
    assert report.stale and not report.complete and report.stored == 0
    _status, text = await ask_text(app, "status")
    assert "still shows 2024-11-28" in text

