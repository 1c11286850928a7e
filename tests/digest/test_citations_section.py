"""`follow citations <paper>`: a "New citations" section of works citing a followed paper, bounded (at most ten a
digest, with a count of the rest), each work once per channel, on OpenAlex's recorded `cites:` list."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bots.discord.limits import check_message_limits
from bots.discord.render_digest import render_digest as discord_digest
from bots.slack.render_digest import render_digest as slack_digest
from core.commands import FollowCitations, parse_command
from core.digest.deliver import run_digest
from core.model.context import Actor, Destination
from core.model.enums import RunKind
from core.service import handle
from core.sources.openalex import parse_work
from core.views import DigestView, ImportReport, Notice, Problem, StatusView, SubscriptionList
from tests.digest.conftest import RecordingSink, console_channel_last_digest, digest_recorded
from tests.fakes import SourceRouter, ask_text, read_json
from tests.slack.blockcheck import check_message

NOW = datetime(2025, 10, 30, 9, 0, tzinfo=UTC)
WORK = "W2741809807"
CITED = "cites *The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles* (2018)"
SYNTHETIC = Path(__file__).parent.parent / "fixtures"


def _router(recordings: Path, listing: Any = None) -> SourceRouter:
    cites = read_json(recordings / "openalex" / f"list_works_filter_cites_{WORK}_per_page50.wrapper.json")["data"]
    return (SourceRouter()  # later routes win: the work's own record over the list
            .add("openalex", "/works", cites if listing is None else listing)
            .add("openalex", f"/works/{WORK}", read_json(SYNTHETIC / f"synthetic_openalex_work_{WORK}.json"))
            # Semantic Scholar knows none of the citing works here: their lines go without a citing sentence.
            .add("semantic_scholar", "/graph/v1/paper/", httpx.Response(404, json={"error": "Paper not found"})))


def _dois(recordings: Path) -> list[str]:
    """The citing works in OpenAlex's order, by the id papers are deduplicated on (arXiv's when it has one)."""
    cites = read_json(recordings / "openalex" / f"list_works_filter_cites_{WORK}_per_page50.wrapper.json")["data"]
    return [parse_work(r).canonical_id for r in cites["results"] if r.get("doi")]


async def _channel(app: Any) -> int:
    view, text = await ask_text(app, f"follow citations {WORK}")
    assert isinstance(view, Notice) and "as #1" in text and "(1,021 so far)" in text, text
    return await console_channel_last_digest(app, NOW - timedelta(days=1))


async def _digest(app: Any, destination: int) -> tuple[DigestView, RecordingSink]:
    return await digest_recorded(app, destination, RunKind.NOW)


def test_the_command_words_parse() -> None:
    assert parse_command(f"follow citations {WORK}") == FollowCitations(WORK)
    assert parse_command("follow citations 10.7717/peerj.4375") == FollowCitations("10.7717/peerj.4375")


async def test_new_citations_are_bounded_counted_and_never_sent_twice(app_factory: Any, recordings: Path) -> None:
    router = _router(recordings)
    app = app_factory(router, now=NOW, OPENALEX_API_KEY="k")
    destination = await _channel(app)
    view, sink = await _digest(app, destination)
    dois = _dois(recordings)
    assert sink.paper_ids() == dois[:10]
    assert {i.section for i in view.items} == {"New citations"} and view.total_matched == 0
    assert view.items[0].why[0].text == CITED
    assert view.items[-1].why[0].text == f"{CITED} · and 1,011 more new citations of it"
    text = sink.text.getvalue()
    assert "── New citations ──" in text and "Web of Science (WoS) and Scopus" in text
    # The list call went out once, bounded to one page, for the days since the last digest.
    (call,) = [r for r in router.calls("openalex") if r.url.path.endswith("/works")]
    assert call.url.params["filter"] == f"cites:{WORK},from_publication_date:2025-10-28"
    # The next digest shows the next ten: none of the first ten again.
    later = app_factory(_router(recordings), now=NOW + timedelta(days=1), OPENALEX_API_KEY="k")
    view, sink = await _digest(later, destination)
    assert sink.paper_ids() == dois[10:20]
    assert view.items[-1].why[0].text.endswith("and 1,001 more new citations of it")


async def test_citations_render_within_slack_and_discord_limits(app_factory: Any, recordings: Path) -> None:
    app = app_factory(_router(recordings), now=NOW, OPENALEX_API_KEY="k")
    view, _ = await _digest(app, await _channel(app))
    fresh = replace(view, pages=(), page_count=0)
    slack = slack_digest(fresh)
    for message in slack:
        check_message(message.payload())
    assert "*New citations*" in json.dumps([m.blocks for m in slack])
    assert [p for m in slack for p in m.paper_ids] == [i.paper_id for i in view.items]
    discord = discord_digest(fresh)
    for part in discord:
        assert check_message_limits(part.payload()) == []
    assert [p for m in discord for p in m.paper_ids] == [i.paper_id for i in view.items]


async def test_an_openalex_failure_is_said_and_the_section_comes_later(app_factory: Any, recordings: Path) -> None:
    app = app_factory(_router(recordings, httpx.Response(503)), now=NOW, OPENALEX_API_KEY="k")
    destination = await _channel(app)
    sink = RecordingSink()
    app.sinks["console"] = sink
    outcome = await run_digest(app, destination, kind=RunKind.NOW)
    assert outcome.state == "empty" and sink.paper_ids() == []  # nothing to send, and nothing claimed
    status, text = await ask_text(app, "status")
    assert isinstance(status, StatusView) and any("OpenAlex did not answer" in p for p in status.problems)
    assert "cost 1 OpenAlex list call a day" in text


async def test_citations_need_a_key_are_listed_and_survive_export_and_import(app_factory: Any,
                                                                              recordings: Path) -> None:
    keyless = app_factory(_router(recordings), now=NOW)
    view, text = await ask_text(keyless, f"follow citations {WORK}")
    assert isinstance(view, Problem) and "OPENALEX_API_KEY" in text
    app = app_factory(_router(recordings), now=NOW, OPENALEX_API_KEY="k")
    await _channel(app)
    view, text = await ask_text(app, f"follow citations {WORK}")
    assert isinstance(view, Notice) and "already follows" in text
    listed, _ = await ask_text(app, "list")
    assert isinstance(listed, SubscriptionList) and listed.items[0].kind == "citations"
    assert listed.items[0].label.startswith("The state of OA") and listed.items[0].label.endswith("(2018)")
    exported, _ = await ask_text(app, "export")
    other = Destination("slack", "T1", "C9")
    report = await handle(parse_command("import " + exported.payload), Actor("slack", "U1", can_manage=True),
                          other, app=app)
    assert isinstance(report, ImportReport) and len(report.added) == 1 and "citations" in report.added[0]
    # Without the key, status says what does not come and what turns it on.
    status, text = await ask_text(keyless, "status")
    assert isinstance(status, StatusView) and "OPENALEX_API_KEY" in text
