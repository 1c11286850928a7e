"""Honest first days: a new channel's first digest is just a digest; a catch-up is only what follows a missed one;
a channel's "today" is its own, in `digest preview`, `digest now` and `status` alike."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bots.console.adapter import CONSOLE_DESTINATION
from core.app import set_current_app
from core.digest import schedule
from core.digest.deliver import run_digest
from core.digest.ingest import ingest
from core.model.enums import RunKind
from core.model.papers import PaperRecord
from core.storage import ledger, repos
from core.views import DigestView, StatusView
from tests.digest.conftest import THURSDAY, RecordingSink
from tests.fakes import ask_text


async def _channel(app: Any, *commands: str) -> int:
    for command in ("subscribe category cs.LG", *commands):
        await ask_text(app, command)
    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
    assert destination.id is not None
    return destination.id


async def _scheduled(app: Any, destination_id: int) -> None:
    """The channel's digest job, as the clock fires it at its slot."""
    set_current_app(app)
    try:
        outcome = await schedule.digest_job(destination_id)
    finally:
        set_current_app(None)
    assert outcome is not None and outcome.state == "done", outcome


async def _last_run_kind(app: Any, destination_id: int) -> RunKind:
    async with app.db.session() as session:
        run = await ledger.latest_run(session, destination_id)
    assert run is not None
    return run.kind


async def test_a_new_channels_first_digest_is_not_a_catch_up(channel_app: Any, sink: RecordingSink) -> None:
    app = channel_app
    destination = await _channel(app)
    await ingest(app, researchers=False)
    await _scheduled(app, destination)
    (digest,) = sink.views
    assert digest.items and digest.note is None  # no "Catching up on 2 days", no warning of any kind
    assert "Catching up" not in sink.text.getvalue() and "Note:" not in sink.text.getvalue()
    assert await _last_run_kind(app, destination) == RunKind.SCHEDULED
    view, text = await ask_text(app, "status")
    assert isinstance(view, StatusView) and view.problems == () and view.notes == ()
    assert "No problems." in text


async def test_a_digest_after_a_missed_one_catches_up(channel_app: Any, sink: RecordingSink) -> None:
    app = channel_app
    destination = await _channel(app)
    await ingest(app, researchers=False)
    async with app.db.session() as session:
        row = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        row.created_at = THURSDAY - timedelta(days=10)
        row.last_digest_at = THURSDAY - timedelta(days=2, hours=4)  # Tuesday's digest; Wednesday's never went out
        session.add(row)
        await session.commit()
    await _scheduled(app, destination)
    (digest,) = sink.views
    assert digest.note is not None and digest.note.startswith("Catching up on 2 days: ")
    assert await _last_run_kind(app, destination) == RunKind.CATCHUP
    # In `status` that is something to know, not something wrong.
    view, text = await ask_text(app, "status")
    assert isinstance(view, StatusView) and view.problems == ()
    assert view.notes == (f"The last digest made up for a missed one: {digest.note}",)
    assert "ℹ The last digest made up for a missed one: Catching up on 2 days" in text and "No problems." in text


async def test_monday_after_a_quiet_weekend_is_not_a_catch_up(app_factory: Any, recordings: Any) -> None:
    from tests.digest.conftest import feed_router

    monday = datetime(2024, 12, 2, 8, 0, tzinfo=THURSDAY.tzinfo)
    app = app_factory(feed_router(recordings), now=monday)
    sink = RecordingSink()
    app.sinks["console"] = sink
    destination = await _channel(app)
    async with app.db.session() as session:
        row = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        row.created_at = monday - timedelta(days=30)
        row.last_digest_at = monday - timedelta(days=3)  # Friday's digest, then nothing to announce
        session.add(row)
        await repos.upsert_papers(session, [PaperRecord(
            title="Monday's paper", arxiv_id="2412.00001", versions=(1,), categories=("cs.LG",),
            primary_category="cs.LG", announce_type="new", announced=monday.date())], now=monday - timedelta(hours=2))
        await session.commit()
    outcome = await run_digest(app, destination)  # the clock's scheduled run (its feed checks aside)
    assert outcome.state == "done" and sink.paper_ids() == ["arXiv:2412.00001"]
    assert sink.views[0].note is None and await _last_run_kind(app, destination) == RunKind.SCHEDULED


async def test_preview_and_digest_now_are_dated_with_the_channels_own_day(channel_app: Any, sink: RecordingSink) -> None:
    app = channel_app  # Thursday 12:00 UTC is already Friday 01:00 in Auckland
    await _channel(app, "settings timezone Pacific/Auckland")
    await ingest(app, researchers=False)
    preview, preview_text = await ask_text(app, "digest preview")
    await ask_text(app, "digest now")
    (sent,) = sink.views
    assert isinstance(preview, DigestView) and preview.day == sent.day == date(2024, 11, 29)
    assert "2024-11-29" in preview_text and "2024-11-29" in sink.text.getvalue()
