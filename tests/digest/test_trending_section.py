"""`subscribe trending [top N]`: a "Trending today" section of Hugging Face's daily papers after the matched ones,
never a paper the digest already holds or the channel already had, left out quietly on days with none."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bots.console.adapter import CONSOLE_DESTINATION
from bots.discord.limits import check_message_limits
from bots.discord.render_digest import render_digest as discord_digest
from bots.slack.render_digest import render_digest as slack_digest
from core.commands import SubscribeTrending, parse_command
from core.digest.deliver import resume_pending, run_digest
from core.model.context import Actor, Destination
from core.model.enums import RunKind
from core.model.papers import PaperRecord
from core.model.sink import DeliveryError
from core.service import handle
from core.storage import repos
from core.views import DigestView, ExportView, ImportReport, Notice, Problem, StatusView, SubscriptionList
from tests.digest.conftest import RecordingSink, digest_recorded, retry_wait_over
from tests.fakes import SourceRouter, ask_text, read_json
from tests.slack.blockcheck import check_message

FRIDAY = datetime(2026, 8, 21, 9, 0, tzinfo=UTC)
TOP = "arXiv:2608.19880"  # the recorded day's most upvoted paper (163), with its code on GitHub
NEXT = ["arXiv:2608.18580", "arXiv:2608.20335", "arXiv:2608.19799"]  # 54, 38 and 32 upvotes
AFTER = ["arXiv:2608.20336", "arXiv:2608.20202", "arXiv:2608.14022"]  # 30, 24 and 12


def _hf(recordings: Path) -> SourceRouter:
    body = read_json(recordings / "hf_daily_papers" / "daily_papers_date_2026-08-21.json")
    return SourceRouter().add("huggingface", "/api/daily_papers", body)


async def _channel(app: Any, *, matched_top: bool = True) -> int:
    for command in ("subscribe category cs.LG", "subscribe trending top 3"):
        view, text = await ask_text(app, command)
        assert not isinstance(view, Problem), text
    async with app.db.session() as session:
        row = await repos.ensure_destination(session, CONSOLE_DESTINATION)
        row.created_at = FRIDAY - timedelta(days=30)
        row.last_digest_at = FRIDAY - timedelta(days=1)
        session.add(row)
        if matched_top:  # today's arXiv announcement carries the day's most upvoted paper too
            await repos.upsert_papers(session, [PaperRecord(
                title="EnvHarness (as arXiv announced it)", arxiv_id="2608.19880", versions=(1,),
                categories=("cs.LG",), primary_category="cs.LG", announce_type="new", announced=FRIDAY.date())],
                now=FRIDAY - timedelta(hours=4))
        await session.commit()
    assert row.id is not None
    return row.id


async def _digest(app: Any, destination: int, kind: RunKind = RunKind.SCHEDULED) -> tuple[DigestView, RecordingSink]:
    return await digest_recorded(app, destination, kind)


def test_the_command_words_parse() -> None:
    assert parse_command("subscribe trending") == SubscribeTrending(5)
    assert parse_command("subscribe trending top 8") == SubscribeTrending(8)
    assert parse_command("subscribe trending 3") == SubscribeTrending(3)


async def test_trending_today_follows_the_matched_papers_without_repeating_them(app_factory: Any,
                                                                                recordings: Path) -> None:
    app = app_factory(_hf(recordings), now=FRIDAY)
    destination = await _channel(app)
    view, sink = await _digest(app, destination)
    # The day's top paper matched cs.LG: it is in the digest once, as a matched paper, and the section takes the next three.
    assert sink.paper_ids() == [TOP, *NEXT]
    assert [i.section for i in view.items] == [None, "Trending today", "Trending today", "Trending today"]
    assert view.total_matched == 1 and view.matched_items[0].paper_id == TOP
    first = view.items[1]
    assert first.why[0].text == "trending on Hugging Face: ▲ 54 upvotes · 2 comments"
    assert first.code_url == "https://github.com/StoKou/FACET-Terminal"
    text = sink.text.getvalue()
    assert "── Trending today ──" in text and "  • FACET" in text and "code: https://github.com/StoKou" in text
    # The next day's digest never sends them again: the section moves down the list.
    later = app_factory(_hf(recordings), now=FRIDAY + timedelta(days=1))
    view, sink = await _digest(later, destination, RunKind.NOW)  # `digest now`, the next day
    assert sink.paper_ids() == AFTER and view.matched_items == ()


async def test_the_section_renders_within_slack_and_discord_limits(app_factory: Any, recordings: Path) -> None:
    app = app_factory(_hf(recordings), now=FRIDAY)
    destination = await _channel(app)
    await ask_text(app, "subscribe trending top 20")
    view, _ = await _digest(app, destination)
    assert len(view.items) == 17  # the matched paper and the sixteen other papers of the day
    fresh = replace(view, pages=(), page_count=0)
    slack = slack_digest(fresh)
    for message in slack:
        check_message(message.payload())
    assert [p for m in slack for p in m.paper_ids] == [i.paper_id for i in view.items]
    blocks = json.dumps([m.blocks for m in slack])
    assert blocks.count("*Trending today*") == 1 and "|code>" in blocks
    discord = discord_digest(fresh)
    for part in discord:
        assert check_message_limits(part.payload()) == []
    assert [p for m in discord for p in m.paper_ids] == [i.paper_id for i in view.items]
    authors = [e.author.name for m in discord for e in m.embeds if e.author.name]
    assert authors[0] == "── Trending today ──" and authors[1:] == ["Trending today"] * 15
    assert discord[0].embeds[0].description and "1 new paper matches" in discord[0].embeds[0].description


async def test_a_resumed_run_sends_the_rest_of_the_section_once(app_factory: Any, recordings: Path) -> None:
    app = app_factory(_hf(recordings), now=FRIDAY)
    destination = await _channel(app)
    sink = RecordingSink(fail_after=2, error=DeliveryError("Slack answered 429", retry_after=30))
    app.sinks["console"] = sink
    outcome = await run_digest(app, destination)
    assert outcome.state == "retry" and outcome.sent == 2
    sink.fail_after = None
    await retry_wait_over(app, outcome.run_id)
    assert [o.state for o in await resume_pending(app)] == ["done"]
    assert sink.paper_ids() == [TOP, *NEXT]  # each once, across the two attempts
    last = sink.views[-1]
    assert [i.section for i in last.items] == ["Trending today", "Trending today"]
    assert last.total_matched == 1  # the header still counts only the matched paper


async def test_no_section_on_a_day_without_papers_and_a_note_when_hugging_face_fails(app_factory: Any) -> None:
    quiet = SourceRouter().add("huggingface", "/api/daily_papers", [])
    app = app_factory(quiet, now=FRIDAY + timedelta(days=1))  # a Saturday: Hugging Face lists nothing
    destination = await _channel(app)
    view, sink = await _digest(app, destination)
    assert sink.paper_ids() == [TOP] and view.note is None and "Trending" not in sink.text.getvalue()
    down = SourceRouter().add("huggingface", "/api/daily_papers", httpx.Response(503))
    failing = app_factory(down, now=FRIDAY + timedelta(days=3))
    async with failing.db.session() as session:
        await repos.upsert_papers(session, [PaperRecord(
            title="Monday's paper", arxiv_id="2608.30001", versions=(1,), categories=("cs.LG",),
            primary_category="cs.LG", announce_type="new", announced=date(2026, 8, 24))],
            now=FRIDAY + timedelta(days=3, hours=-1))
        await session.commit()
    view, sink = await _digest(failing, destination, RunKind.NOW)
    assert sink.paper_ids() == ["arXiv:2608.30001"]
    assert view.note == "Hugging Face did not answer, so this digest has no trending papers."


async def test_trending_is_listed_resized_and_survives_export_and_import(app_factory: Any) -> None:
    app = app_factory(now=FRIDAY)
    view, text = await ask_text(app, "subscribe trending")
    assert isinstance(view, Notice) and "the 5 most upvoted" in text and "#1" in text
    view, text = await ask_text(app, "subscribe trending top 8")
    assert isinstance(view, Notice) and "the 8 most upvoted" in text and "#1" in text
    listed, text = await ask_text(app, "list")
    assert isinstance(listed, SubscriptionList) and [i.label for i in listed.items] == [
        "Trending on Hugging Face (top 8)"]
    view, text = await ask_text(app, "subscribe trending top 99")
    assert isinstance(view, Problem) and "from 1 to 20" in text
    exported, _ = await ask_text(app, "export")
    assert isinstance(exported, ExportView)
    other = Destination("slack", "T1", "C9")
    report = await handle(parse_command("import " + exported.payload), Actor("slack", "U1", can_manage=True), other,
                          app=app)
    assert isinstance(report, ImportReport) and report.added == ("trending: Trending on Hugging Face (top 8)",)


async def test_status_says_what_the_digest_holds_and_when_hugging_face_failed(app_factory: Any) -> None:
    down = SourceRouter().add("huggingface", "/api/daily_papers", httpx.Response(503))
    app = app_factory(down, now=FRIDAY)
    destination = await _channel(app)
    await ask_text(app, "settings every week on friday")
    await _digest(app, destination, RunKind.NOW)
    view, text = await ask_text(app, "status")
    assert isinstance(view, StatusView)
    assert "Each digest ends with the 3 most upvoted of Hugging Face's daily papers" in text
    assert "The digest is weekly (every week on Friday)" in text
    assert view.problems[0] == "Hugging Face did not answer, so this digest has no trending papers."


async def test_preview_shows_the_section_and_claims_nothing(app_factory: Any, recordings: Path) -> None:
    app = app_factory(_hf(recordings), now=FRIDAY)
    destination = await _channel(app)
    preview, text = await ask_text(app, "digest preview")
    assert isinstance(preview, DigestView) and [i.paper_id for i in preview.items] == [TOP, *NEXT]
    assert "── Trending today ──" in text
    _, sink = await _digest(app, destination)
    assert sink.paper_ids() == [TOP, *NEXT]  # the preview held nothing back
