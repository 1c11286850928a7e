"""`follow` keeps what tells the person's papers from a namesake's, refuses records that are gone, follows a
merged record to the one kept, and says what does not come when a source is not configured.

OpenAlex answers come from the real recordings and our `synthetic_*` fixtures; the deleted author is
`synthetic_openalex_author_deleted.json`, shaped as OpenAlex keeps a deleted author's id answering.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx

from bots.console.adapter import CONSOLE_DESTINATION
from core.commands import Follow, LookupResearcher
from core.model.context import Actor
from core.model.researchers import ResearcherEvidence
from core.service import handle
from core.views import Notice, PickList, Problem
from tests.fakes import SourceRouter, ask_text
from tests.handlers.test_researchers import (
    PRIEM,
    load,
    namesake_routes,
    openalex_routes,
    priem_routes,
    s2_person_routes,
    subscriptions,
)

DELETED = "A5000000404"
MANAGER = Actor("console", "me", can_manage=True)


async def test_following_from_a_pick_list_keeps_their_co_authors_and_institution(
        app_factory: Any, synthetic: Path) -> None:
    app = app_factory(namesake_routes(SourceRouter(), synthetic), OPENALEX_API_KEY="k")
    await ask_text(app, "follow Maria Garcia")

    view, text = await ask_text(app, "follow pick 2")

    assert isinstance(view, Notice) and "follows Maria Garcia (University of Toronto) as #1" in text
    assert "possibly by" not in text and "OPENALEX_API_KEY" not in text  # nothing is missing
    (record,) = await subscriptions(app)
    evidence = ResearcherEvidence.from_json(record.evidence)
    assert evidence.coauthors[:2] == ("Kenji Tanaka", "Ana Ruiz") and "Old Friend" not in evidence.coauthors
    assert evidence.institutions == ("University of Toronto",)


async def test_a_deleted_record_cannot_be_followed_or_shown(app_factory: Any, synthetic: Path) -> None:
    deleted = load(synthetic / "synthetic_openalex_author_deleted.json")
    app = app_factory(openalex_routes(SourceRouter(), authors={DELETED: deleted}), OPENALEX_API_KEY="k")

    view = await handle(Follow(DELETED), MANAGER, CONSOLE_DESTINATION, app=app)

    assert isinstance(view, Problem) and view.code == "not_found" and view.title == "That record was deleted"
    assert f"This OpenAlex record ({DELETED}) was deleted" in view.detail
    assert "follow <name>" in (view.hint or "")
    assert await subscriptions(app) == []
    card = await handle(LookupResearcher(f"https://openalex.org/{DELETED}"), MANAGER, CONSOLE_DESTINATION, app=app)
    assert isinstance(card, Problem) and card.title == "That record was deleted"


async def test_a_record_left_without_works_is_refused(app_factory: Any, recordings: Path) -> None:
    emptied = copy.deepcopy(load(recordings / "openalex/single_author_mmgeorge.json"))
    emptied["works_count"] = 0
    app = app_factory(openalex_routes(SourceRouter(), authors={PRIEM: emptied}), OPENALEX_API_KEY="k")

    view, text = await ask_text(app, f"follow {PRIEM}")

    assert isinstance(view, Problem) and view.title == "Nothing to follow"
    assert f"OpenAlex lists no works for Jason Priem ({PRIEM})" in text and "merged" in text
    assert await subscriptions(app) == []


async def test_a_merged_record_is_followed_as_the_record_kept_and_the_answer_says_so(
        app_factory: Any, recordings: Path) -> None:
    router = priem_routes(SourceRouter(), recordings)
    # OpenAlex answers a merged id by redirecting to the id it kept.
    router.add("openalex", "/authors/A5000000099", httpx.Response(301, headers={"Location": f"/authors/{PRIEM}"}))
    app = app_factory(router, OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "follow A5000000099")

    assert isinstance(view, Notice) and view.title == "Following"
    assert f"OpenAlex merged the record A5000000099 into {PRIEM}: following that one." in text
    (record,) = await subscriptions(app)
    assert record.openalex_id == PRIEM


async def test_the_pick_list_does_not_offer_deleted_or_emptied_records(app_factory: Any, synthetic: Path) -> None:
    search = load(synthetic / "synthetic_researcher_namesakes.json")
    gone = load(synthetic / "synthetic_openalex_author_deleted.json")
    emptied = dict(search["results"][1], id="https://openalex.org/A5100000009", works_count=0)
    search["results"] = [search["results"][0], gone, emptied, *search["results"][1:]]
    app = app_factory(openalex_routes(SourceRouter(), search=search), OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "follow Maria Garcia")

    assert isinstance(view, PickList)
    keys = [c.key for c in view.candidates]
    assert DELETED not in keys and "A5100000009" not in keys and "Deleted Author" not in text
    assert keys[:2] == ["A5100000001", "A5100000002"]


async def test_without_an_openalex_key_the_follow_says_what_does_not_come(app_factory: Any, recordings: Path) -> None:
    app = app_factory(priem_routes(SourceRouter(), recordings, with_work=True))  # no OPENALEX_API_KEY

    view, text = await ask_text(app, f"follow {PRIEM}")

    assert isinstance(view, Notice) and view.title == "Following" and "follows Jason Priem" in text
    assert "journal and conference papers are not fetched" in text and "OPENALEX_API_KEY" in text
    assert "new arXiv papers still come" in text

    _, text = await ask_text(app, "status")
    assert "followed researchers #1 Jason Priem: journal and conference papers are not fetched" in text
    assert "set OPENALEX_API_KEY" in text


async def test_a_semantic_scholar_person_is_fully_covered_without_an_openalex_key(
        app_factory: Any, synthetic: Path) -> None:
    app = app_factory(s2_person_routes(SourceRouter(), synthetic))

    view, text = await ask_text(app, "follow Ada Quillfeather")

    assert isinstance(view, Notice) and "follows Ada Quillfeather" in text
    assert "OPENALEX_API_KEY" not in text and "not fetched" not in text
    (record,) = await subscriptions(app)
    assert ResearcherEvidence.from_json(record.evidence).coauthors == ("Rob Inkwell",)
    _, text = await ask_text(app, "status")
    assert "OPENALEX_API_KEY" not in text


async def test_when_their_works_cannot_be_read_the_follow_says_name_matches_are_guesses(
        app_factory: Any, recordings: Path) -> None:
    router = priem_routes(SourceRouter(), recordings)
    router.add("openalex", "/works", httpx.Response(503, text="Service Unavailable"))
    app = app_factory(router, OPENALEX_API_KEY="k")

    view, text = await ask_text(app, f"follow {PRIEM}")

    assert isinstance(view, Notice) and "follows Jason Priem" in text
    assert "could not be read yet" in text and "\u201cpossibly by\u201d" in text
    (record,) = await subscriptions(app)
    assert record.evidence is None  # the next ingest reads them
