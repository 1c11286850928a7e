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
        await repos.upsert_papers(session, [PaperRecord(title="A", arxiv_id="2411.00001", versions=(1,))], now=NOW)
        await session.commit()
    view, text = await ask_text(app, "status")
    assert isinstance(view, StatusView)
    assert view.last_run_state == "failed" and view.papers_today == 1 and view.subscriptions == 1
    assert any("channel_not_found" in p for p in view.problems)
    assert any("stale" in p for p in view.problems)
    assert "Next digest: Fri 29 Nov 2024 08:00 CET" in text


async def _status_in(app, channel: str, zone: str) -> tuple[StatusView, str]:  # type: ignore[no-untyped-def]
    from bots.console.render import render
    from core.commands import ChangeSetting, Status
    from core.model.context import Actor, Destination
    from core.service import handle

    where, actor = Destination("console", "local", channel), Actor("console", "me", can_manage=True)
    await handle(ChangeSetting("timezone", zone), actor, where, app=app)
    view = await handle(Status(), actor, where, app=app)
    assert isinstance(view, StatusView)
    return view, render(view)


async def test_papers_ingested_today_count_the_channels_own_day_east_and_west_of_utc(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(now=NOW)  # Thursday 12:00 UTC: Friday 01:00 in Auckland, Thursday 04:00 in Los Angeles
    first_seen = {
        "2411.00001": NOW - timedelta(minutes=30),  # Auckland: Friday 00:30; Los Angeles: Thursday 03:30
        "2411.00002": NOW - timedelta(hours=2),  # Auckland: Thursday 23:00; Los Angeles: Thursday 02:00
        "2411.00003": NOW - timedelta(hours=5),  # Auckland: Thursday 20:00; Los Angeles: Wednesday 23:00
        "2411.00004": NOW - timedelta(hours=13),  # Wednesday 23:00 UTC: yesterday everywhere
    }
    async with app.db.session() as session:
        for arxiv_id, seen in first_seen.items():
            await repos.upsert_papers(session, [PaperRecord(title=arxiv_id, arxiv_id=arxiv_id, versions=(1,))],
                                      now=seen)
        await session.commit()
    auckland, auckland_text = await _status_in(app, "akl", "Pacific/Auckland")
    los_angeles, los_angeles_text = await _status_in(app, "lax", "America/Los_Angeles")
    london, _ = await _status_in(app, "lon", "UTC")
    assert (auckland.papers_today, los_angeles.papers_today, london.papers_today) == (1, 2, 3)
    assert "Papers ingested today: 1" in auckland_text and "Papers ingested today: 2" in los_angeles_text


async def test_status_tells_notes_from_problems_and_says_what_to_do(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(now=NOW)
    view, text = await ask_text(app, "status")
    assert isinstance(view, StatusView) and view.problems == ()
    assert view.notes == ("This channel follows nothing yet: `subscribe topic <query>`, `subscribe category cs.LG` "
                          "or `follow <name>` starts its digest.",)
    assert text.endswith("ℹ " + view.notes[0] + "\nNo problems.")
    await ask_text(app, "subscribe category cs.LG")
    from bots.console.adapter import CONSOLE_DESTINATION

    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        assert destination.id is not None
        session.add(DigestRunRow(destination_id=destination.id, state="failed", error="Slack said channel_not_found",
                                 started_at=NOW - timedelta(hours=3), item_count=0))
        await session.commit()
    view, text = await ask_text(app, "status")
    assert isinstance(view, StatusView) and view.notes == ()
    assert ("The last digest did not go out: Slack said channel_not_found. Once that is fixed, `digest now` sends "
            "what it missed.") in view.problems
    # Nothing read today's feed yet: a problem, with what to do.
    assert any("has not been read yet" in p and "tell whoever runs Paper Radar" in p for p in view.problems)
    assert "⚠ The last digest did not go out" in text and "No problems." not in text
