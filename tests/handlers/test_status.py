"""`status` tells a channel what happened, what comes next, and what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.model.papers import PaperRecord
from core.storage import repos
from core.storage.models import DigestRunRow, SourceStatusRow
from core.views import StatusView
from tests.fakes import ask_text

NOW = datetime(2024, 11, 28, 12, 0, tzinfo=UTC)


async def test_status_of_a_new_channel(app_factory) -> None:  # type: ignore[no-untyped-def]
    view, text = await ask_text(app_factory(now=NOW), "status")
    assert isinstance(view, StatusView) and view.last_run is None and view.problems == ()
    assert "Last digest: never" in text and "No problems." in text


async def test_status_reports_runs_intake_and_problems(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(now=NOW)
    await ask_text(app, "subscribe category cs.LG")
    await ask_text(app, "settings timezone Europe/Paris")
    from bots.console.adapter import CONSOLE_DESTINATION

    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        assert destination.id is not None
        session.add(DigestRunRow(destination_id=destination.id, state="failed", error="Slack said channel_not_found",
                                 started_at=NOW - timedelta(hours=3), item_count=0))
        session.add(SourceStatusRow(key="arXiv feed cs.LG", ok=False, message="the feed is stale (2024-11-27)",
                                    last_error_at=NOW - timedelta(hours=1)))
        await repos.upsert_papers(session, [PaperRecord(title="A", arxiv_id="2411.00001", versions=(1,))])
        await session.commit()
    view, text = await ask_text(app, "status")
    assert isinstance(view, StatusView)
    assert view.last_run_state == "failed" and view.papers_today == 1 and view.subscriptions == 1
    assert any("channel_not_found" in p for p in view.problems)
    assert any("stale" in p for p in view.problems)
    assert "Next digest: Fri 29 Nov 2024 08:00 CET" in text
