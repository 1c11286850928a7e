"""Weekly digests (`settings every week on monday`): the week's papers in one digest, ranked together, labelled as
the week's and not as a catch-up, each subscription still represented within the cap."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bots.console.adapter import CONSOLE_DESTINATION
from core.commands import ChangeSetting, Import, parse_command
from core.digest.deliver import run_digest
from core.model.context import Actor, Destination
from core.model.enums import RunKind
from core.model.papers import PaperRecord
from core.service import handle
from core.storage import ledger, repos
from core.views import ExportView, ImportReport, Problem, SettingsView, StatusView
from tests.digest.conftest import RecordingSink
from tests.fakes import ask_text

MONDAY = datetime(2024, 12, 2, 8, 0, tzinfo=UTC)
LAST_MONDAY = MONDAY - timedelta(days=7)


def _paper(number: int, title: str, abstract: str, day: date) -> PaperRecord:
    return PaperRecord(title=title, abstract=abstract, arxiv_id=f"2411.{number:05d}", versions=(1,),
                       categories=("cs.LG",), primary_category="cs.LG", announce_type="new", announced=day)


# One paper a day, Tuesday to Monday: the strongest diffusion paper came on Tuesday, the weakest on Friday.
WEEK = [
    (MONDAY - timedelta(days=6), _paper(1, "Diffusion models beat diffusion baselines",
                                        "Score-based diffusion with diffusion guidance.", date(2024, 11, 26))),
    (MONDAY - timedelta(days=5), _paper(2, "Diffusion for tabular data", "We study tabular generation.",
                                        date(2024, 11, 27))),
    (MONDAY - timedelta(days=4), _paper(3, "Graph neural networks at scale", "Graph neural networks pass messages on graphs.",
                                        date(2024, 11, 28))),
    (MONDAY - timedelta(days=3), _paper(4, "A survey of generative models", "Mentions diffusion once.",
                                        date(2024, 11, 29))),
    (MONDAY - timedelta(hours=2), _paper(5, "Graph neural networks for molecules", "Molecules.",
                                         date(2024, 12, 2))),
]


async def _week(app: Any, *commands: str) -> int:
    for command in ("subscribe topic diffusion", 'subscribe topic "graph neural networks"', "settings max 3",
                    *commands):
        view, text = await ask_text(app, command)
        assert not isinstance(view, Problem), text
    async with app.db.session() as session:
        row = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        row.created_at = MONDAY - timedelta(days=60)
        row.last_digest_at = LAST_MONDAY  # last week's digest went out
        session.add(row)
        for arrived, paper in WEEK:
            await repos.upsert_papers(session, [paper], now=arrived)
        await session.commit()
    assert row.id is not None
    return row.id


async def _digest(app: Any, destination: int) -> tuple[Any, RecordingSink, RunKind]:
    sink = RecordingSink()
    app.sinks["console"] = sink
    outcome = await run_digest(app, destination)
    assert outcome.state == "done", outcome
    async with app.db.session() as session:
        run = await ledger.latest_run(session, destination)
    assert run is not None
    return sink.views[0], sink, run.kind


def test_the_command_words_parse_exactly() -> None:
    assert parse_command("settings every week on monday") == ChangeSetting("every", "week on monday")
    assert parse_command("settings every day") == ChangeSetting("every", "day")


async def test_a_weekly_digest_ranks_the_whole_week_and_is_the_weeks(app_factory: Any) -> None:
    app = app_factory(now=MONDAY)
    destination = await _week(app, "settings every week on monday")
    view, sink, kind = await _digest(app, destination)
    assert view.title == "Paper Radar: this week's digest" and view.note is None  # not "Catching up on 7 days"
    assert kind == RunKind.SCHEDULED
    # The cap of 3 is shared by turns across the whole week: Tuesday's strong diffusion paper first, then the
    # best graph paper, then the next diffusion paper; Friday's passing mention of diffusion waits.
    assert sink.paper_ids() == ["arXiv:2411.00001", "arXiv:2411.00003", "arXiv:2411.00002"]
    assert [(m.label, m.matched) for m in view.matched_by] == [("diffusion", 3), ('"graph neural networks"', 2)]
    assert view.more_count == 2
    text = sink.text.getvalue()
    assert "this week's digest" in text and "Catching up" not in text


async def test_the_same_week_for_a_daily_channel_is_a_catch_up(app_factory: Any) -> None:
    app = app_factory(now=MONDAY)
    destination = await _week(app)  # daily, Monday to Friday: four digests went missing
    view, _, kind = await _digest(app, destination)
    assert view.title == "Paper Radar digest" and kind == RunKind.CATCHUP
    assert view.note is not None and view.note.startswith("Catching up on 7 days")


async def test_a_weekly_channels_first_digest_covers_seven_days(app_factory: Any) -> None:
    app = app_factory(now=MONDAY)
    destination = await _week(app, "settings every week on monday")
    async with app.db.session() as session:
        row = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        row.last_digest_at = None
        session.add(row)
        await session.commit()
    view, _, kind = await _digest(app, destination)
    assert kind == RunKind.SCHEDULED and view.note is None
    assert view.total_matched == 5  # Tuesday's papers too, not only the last day and a half


async def test_settings_say_weekly_and_the_next_digest_is_monday(app_factory: Any) -> None:
    app = app_factory(now=MONDAY + timedelta(days=2))
    await ask_text(app, "subscribe category cs.LG")
    view, text = await ask_text(app, "settings every week on monday")
    assert isinstance(view, SettingsView) and view.weekdays == "every week on Monday"
    assert "each covers the seven days before it" in text
    assert view.next_digest is not None and view.next_digest.date() == date(2024, 12, 9)
    status, _ = await ask_text(app, "status")
    assert isinstance(status, StatusView) and status.next_run is not None
    assert status.next_run.date() == date(2024, 12, 9)
    # Moving a weekly digest to another day keeps it weekly; a list of days makes it daily again.
    view, _ = await ask_text(app, "settings days fri")
    assert isinstance(view, SettingsView) and view.weekdays == "every week on Friday"
    view, _ = await ask_text(app, "settings every day")
    assert isinstance(view, SettingsView) and view.weekdays == "mon-fri"
    view, text = await ask_text(app, "settings every fortnight")
    assert isinstance(view, Problem) and "every week on monday" in text


async def test_weekly_survives_export_and_import(app_factory: Any) -> None:
    app = app_factory(now=MONDAY)
    await ask_text(app, "subscribe category cs.LG")
    await ask_text(app, "settings every week on thursday")
    exported, _ = await ask_text(app, "export")
    assert isinstance(exported, ExportView)
    other = Destination("discord", "G1", "42")
    manager = Actor("discord", "me", can_manage=True)
    report = await handle(Import(exported.payload), manager, other, app=app)
    assert isinstance(report, ImportReport) and not report.skipped
    async with app.db.session() as session:
        row = await repos.ensure_destination(session, other)
    assert (row.cadence, row.weekdays) == ("weekly", "thu")
    # A daily export read into a weekly channel makes it daily on the exported days.
    payload = json.loads(exported.payload)
    payload["settings"].update({"every": "day", "days": "mon,wed"})
    await handle(Import(json.dumps(payload)), manager, other, app=app)
    async with app.db.session() as session:
        row = await repos.ensure_destination(session, other)
    assert (row.cadence, row.weekdays) == ("daily", "mon,wed")


async def test_the_weeks_backlog_comes_with_digest_more_and_its_papers_can_be_rated(app_factory: Any) -> None:
    app = app_factory(now=MONDAY)
    destination = await _week(app, "settings every week on monday")
    await _digest(app, destination)
    more, text = await ask_text(app, "digest more")
    # The two papers past the week's cap, numbered on from the digest, each still with its subscription's why.
    assert [i.paper_id for i in more.items] == ["arXiv:2411.00005", "arXiv:2411.00004"]
    assert more.first_number == 4 and "4." in text and "5." in text
    liked, _ = await ask_text(app, "like 2411.00003")
    assert not isinstance(liked, Problem)
    _, text = await ask_text(app, "feedback")
    assert "1 rating" in text
