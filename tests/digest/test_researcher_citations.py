"""`follow citations <researcher>`: new works citing a followed researcher's most cited papers, each saying which
of their papers it cites, bounded (since the last digest, ten shown, the rest counted), once per channel, with the
citing sentence where Semantic Scholar has it, and never held up or lost when Semantic Scholar fails.

OpenAlex: the recorded author A5023888391 (Jason Priem) and the recorded `cites:W2741809807` list; which works
are his most cited is a synthetic page (no recording of that call exists). Semantic Scholar: a synthetic
`/references` page shaped like the recorded ones (`contexts`, `intents`, `citedPaper`), and synthetic 429 / 504
answers (no recording of those exists for this call).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bots.discord.limits import check_message_limits
from bots.discord.render_digest import render_digest as discord_digest
from bots.slack.render_digest import render_digest as slack_digest
from core.commands import FollowCitations, parse_command
from core.model.context import Actor, Destination
from core.model.enums import RunKind
from core.service import handle
from core.views import DigestView, HelpView, ImportReport, Notice, Problem, StatusView, SubscriptionList
from tests.digest.conftest import RecordingSink, console_channel_last_digest, digest_recorded
from tests.fakes import FakeTime, SourceRouter, ask_text, read_json
from tests.slack.blockcheck import check_message

NOW = datetime(2025, 10, 30, 9, 0, tzinfo=UTC)
AUTHOR = "A5023888391"
WORK, OTHER = "W2741809807", "W4000000777"
SYNTHETIC = Path(__file__).parent.parent / "fixtures"
CITED = ("cites Jason Priem's *The state of OA: a large-scale analysis of the prevalence and impact of Open Access "
         "articles* (2018)")
FIRST_CITING = "DOI:10.3390/publications9010012"  # the recorded list's first citing work, as S2 is asked for it
SENTENCE = "Open access articles now make up a large and growing share of the literature"


def _cites(recordings: Path) -> Any:
    return read_json(recordings / "openalex" / f"list_works_filter_cites_{WORK}_per_page50.wrapper.json")["data"]


def _router(recordings: Path, s2: httpx.Response | None = None) -> SourceRouter:
    cites, top = _cites(recordings), read_json(SYNTHETIC / f"synthetic_openalex_most_cited_{AUTHOR}.json")

    def works(request: httpx.Request) -> httpx.Response:  # one path, two billed lists: told apart by the filter
        wanted = request.url.params.get("filter", "")
        return httpx.Response(200, json=top if wanted.startswith("author.id:") else cites)

    references = read_json(SYNTHETIC / "synthetic_s2_references_contexts.json")
    return (SourceRouter()
            .add("openalex", "/works", works)
            .add("openalex", f"/authors/{AUTHOR}", read_json(recordings / "openalex" / "single_author_mmgeorge.json"))
            .add("semantic_scholar", "/graph/v1/paper/", httpx.Response(404, json={"error": "Paper not found"}))
            .add("semantic_scholar", f"/graph/v1/paper/{FIRST_CITING}/references",
                 s2 if s2 is not None else httpx.Response(200, json=references)))


async def _follow(app: Any) -> int:
    view, text = await ask_text(app, f"follow citations {AUTHOR}")
    assert isinstance(view, Notice) and "as #1" in text and "Jason Priem's work" in text, text
    assert "*The state of OA" in text and "2 most cited papers" in text
    return await console_channel_last_digest(app, NOW - timedelta(days=1))


async def _digest(app: Any, destination: int) -> tuple[DigestView, RecordingSink]:
    return await digest_recorded(app, destination, RunKind.NOW)


def _dois(recordings: Path) -> list[str]:
    from core.sources.openalex import parse_work

    return [parse_work(r).canonical_id for r in _cites(recordings)["results"] if r.get("doi")]


def test_a_researcher_target_parses_like_a_paper_target() -> None:
    assert parse_command(f"follow citations {AUTHOR}") == FollowCitations(AUTHOR)
    assert parse_command("follow citations 0000-0001-6187-6610") == FollowCitations("0000-0001-6187-6610")
    assert parse_command("follow citations Jason Priem") == FollowCitations("Jason Priem")


async def test_new_citations_of_a_researcher_say_which_paper_bounded_once_with_the_citing_sentence(
        app_factory: Any, recordings: Path) -> None:
    router = _router(recordings)
    app = app_factory(router, now=NOW, OPENALEX_API_KEY="k")
    destination = await _follow(app)
    view, sink = await _digest(app, destination)
    dois = _dois(recordings)
    assert sink.paper_ids() == dois[:10]
    assert {i.section for i in view.items} == {"New citations"}
    assert view.items[0].why[0].text == CITED
    assert view.items[-1].why[0].text == f"{CITED} · and 1,011 more new citations of their papers"
    # Semantic Scholar's sentence is under the one citation it has one for, with why it cites.
    assert view.items[0].quote.startswith(f"“{SENTENCE}") and view.items[0].quote.endswith("(background)")
    assert all(not item.quote for item in view.items[1:])
    text = " ".join(sink.text.getvalue().split())
    assert "── New citations ──" in text and f"cited as: “{SENTENCE}" in text
    # One billed list call for the citations, the researcher's most cited works joined with `|`, since the day
    # before the last digest; the works themselves were asked once, when the channel followed.
    lists = [r for r in router.calls("openalex") if r.url.path.endswith("/works")]
    assert [r.url.params["filter"] for r in lists] == [
        f"author.id:{AUTHOR}", f"cites:{WORK}|{OTHER},from_publication_date:2025-10-28"]
    assert lists[0].url.params["sort"] == "cited_by_count:desc"
    # Semantic Scholar was asked for the references of the citations shown, never of the famous paper itself.
    asked = [r.url.path for r in router.calls("semantic_scholar")]
    assert len(asked) == 10 and all(p.endswith("/references") for p in asked)
    # The next day brings the next ten: none of the first ten again, and the sentences are not asked again.
    later_router = _router(recordings)
    later = app_factory(later_router, now=NOW + timedelta(days=1), OPENALEX_API_KEY="k")
    view, sink = await _digest(later, destination)
    assert sink.paper_ids() == dois[10:20]
    assert view.items[-1].why[0].text.endswith("and 1,001 more new citations of their papers")
    # The most cited works are kept for a week: the next day costs one list call only.
    assert [r.url.params["filter"].split(",")[0] for r in later_router.calls("openalex", "/works")] == [
        f"cites:{WORK}|{OTHER}"]


async def test_the_citing_sentence_renders_within_slack_and_discord_limits_with_the_rating_buttons(
        app_factory: Any, recordings: Path) -> None:
    app = app_factory(_router(recordings), now=NOW, OPENALEX_API_KEY="k")
    view, _ = await _digest(app, await _follow(app))
    fresh = replace(view, pages=(), page_count=0)
    slack = slack_digest(fresh)
    for message in slack:
        check_message(message.payload())
    blocks = json.dumps([m.blocks for m in slack], ensure_ascii=False)
    assert "*New citations*" in blocks and f":speech_balloon: “{SENTENCE}" in blocks
    assert blocks.count('"radar_like"') == 10  # 👍/👎 under every citation too
    assert [p for m in slack for p in m.paper_ids] == [i.paper_id for i in view.items]
    discord = discord_digest(fresh)
    for part in discord:
        assert check_message_limits(part.payload()) == []
    descriptions = [e.description or "" for m in discord for e in m.embeds]
    assert any(f"> “{SENTENCE}" in d for d in descriptions)
    labels = [b.label for m in discord for b in m.buttons]
    # A section paper's buttons name it by its title, since it has no number.
    assert labels[0].startswith("👍 ") and not labels[0][2:].strip().isdecimal()
    assert [p for m in discord for p in m.paper_ids] == [i.paper_id for i in view.items]


@pytest.mark.parametrize("failure", [
    httpx.Response(429, headers={"Retry-After": "600"}, json={"message": "Too Many Requests"}),
    httpx.Response(504, json={"message": "Endpoint request timed out"}),
], ids=["429", "504"])
async def test_a_failing_semantic_scholar_neither_delays_nor_drops_a_citation(
        app_factory: Any, recordings: Path, failure: httpx.Response) -> None:
    router = _router(recordings, s2=failure)
    time = FakeTime()
    app = app_factory(router, now=NOW, time=time, OPENALEX_API_KEY="k")
    view, sink = await _digest(app, await _follow(app))
    assert sink.paper_ids() == _dois(recordings)[:10]
    assert view.items[0].why[0].text == CITED and not any(item.quote for item in view.items)
    # The first failure ends the lookups and is not retried: the other citations are not held up by it, and
    # nobody waits the 600 s it asked for.
    assert len(router.calls("semantic_scholar")) == 1 and sum(time.slept) == 0


async def test_status_list_export_import_and_help_know_a_followed_researchers_citations(
        app_factory: Any, recordings: Path) -> None:
    app = app_factory(_router(recordings), now=NOW, OPENALEX_API_KEY="k")
    await _follow(app)
    again, text = await ask_text(app, f"follow citations {AUTHOR}")
    assert isinstance(again, Notice) and "already follows the citations of Jason Priem as #1" in text
    listed, text = await ask_text(app, "list")
    assert isinstance(listed, SubscriptionList) and listed.items[0].kind == "citations"
    assert listed.items[0].label == "Jason Priem" and "most cited papers of OpenAlex A5023888391" in text
    status, text = await ask_text(app, "status")
    assert isinstance(status, StatusView)
    assert ("New citations of 1 followed researcher cost 1 OpenAlex list call a day" in text
            and "1 a week to renew the researcher's 5 most cited papers" in text), text
    exported, _ = await ask_text(app, "export")
    assert f'"query": "{AUTHOR}"' in exported.payload
    other = Destination("slack", "T1", "C9")
    report = await handle(parse_command("import " + exported.payload), Actor("slack", "U1", can_manage=True),
                          other, app=app)
    assert isinstance(report, ImportReport) and len(report.added) == 1 and "Jason Priem" in report.added[0]
    helped, text = await ask_text(app, "help follow")
    assert isinstance(helped, HelpView) and "follow citations <researcher" in text


async def test_namesakes_are_listed_with_the_id_that_follows_each(app_factory: Any, recordings: Path) -> None:
    search = read_json(SYNTHETIC / "synthetic_openalex_authors_search.json")
    router = _router(recordings).add("openalex", "/authors", search)
    app = app_factory(router, now=NOW, OPENALEX_API_KEY="k")
    view, text = await ask_text(app, "follow citations Maria Garcia")
    assert isinstance(view, Problem), text
    assert "follow citations A" in text
