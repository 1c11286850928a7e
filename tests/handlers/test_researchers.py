"""`researcher`, `follow` and picking among namesakes, as a channel sees them in the console.

Sources answer through `SourceRouter`: real recordings read in place (OpenAlex author and work, the 2022 author
list, Semantic Scholar's author search cassette) and our own `synthetic_researcher_*` fixtures for namesakes,
co-authors, empty answers and a Semantic Scholar-only person.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sqlmodel import select

from bots.console.adapter import CONSOLE_DESTINATION
from core.commands import Follow, LookupResearcher, PickCandidate
from core.model.context import Actor
from core.researchers.profile import sparkline, works_per_year
from core.service import handle
from core.storage.models import ResearcherRow, SubscriptionRow
from core.views import Notice, PickList, Problem, ResearcherCard, SubscriptionList, Visibility
from tests.fakes import SourceRouter, ask_text
from tests.sources.cassettes import Cassette

PRIEM = "A5023888391"
PRIEM_ORCID = "0000-0001-6187-6610"
S2_API = "/graph/v1"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"error": "Not Found", "message": f"{request.url.path} does not exist"})


def openalex_routes(
    router: SourceRouter,
    *,
    search: Any = None,
    authors: dict[str, Any] | None = None,
    works: dict[str, Any] | None = None,
) -> SourceRouter:
    """`/authors?search=` answers `search`; `/authors/<id or orcid:...>` from `authors`; `/works` by author filter."""
    people = authors or {}
    by_author = works or {}

    def author(request: httpx.Request) -> httpx.Response:
        body = people.get(request.url.path.removeprefix("/authors/"))
        return httpx.Response(200, json=body) if body is not None else not_found(request)

    def works_of(request: httpx.Request) -> httpx.Response:
        filters = parse_qs(request.url.query.decode()).get("filter", [""])[0]
        for author_id, body in by_author.items():
            if f"author.id:{author_id}" in filters:
                return httpx.Response(200, json=body)
        return httpx.Response(200, json={"meta": {"count": 0, "next_cursor": None}, "results": []})

    if search is not None:
        router.add("openalex", "/authors", search)
    router.add("openalex", "/authors/", author)
    router.add("openalex", "/works", works_of)
    return router


def namesake_routes(router: SourceRouter, synthetic: Path) -> SourceRouter:
    namesakes = load(synthetic / "synthetic_researcher_namesakes.json")
    people = {r["id"].rsplit("/", 1)[-1]: r for r in namesakes["results"] if r.get("id")}
    works = {"A5100000002": load(synthetic / "synthetic_researcher_works.json")}
    return openalex_routes(router, search=namesakes, authors=people, works=works)


def priem_routes(router: SourceRouter, recordings: Path, *, with_work: bool = False) -> SourceRouter:
    body = load(recordings / "openalex/single_author_mmgeorge.json")
    works = {}
    if with_work:
        work = load(recordings / "openalex/single_work_mmgeorge.json")
        works[PRIEM] = {"meta": {"count": 1, "next_cursor": None}, "results": [work]}
    return openalex_routes(router, authors={PRIEM: body, f"orcid:{PRIEM_ORCID}": body}, works=works)


def s2_person_routes(router: SourceRouter, synthetic: Path) -> SourceRouter:
    data = load(synthetic / "synthetic_researcher_s2.json")
    router.add("semantic_scholar", f"{S2_API}/author/search", data["author_search"])
    router.add("semantic_scholar", f"{S2_API}/author/48000001", data["author"])
    router.add("semantic_scholar", f"{S2_API}/author/48000001/papers", data["author_papers"])
    return router


def empty_answers(router: SourceRouter, synthetic: Path) -> SourceRouter:
    data = load(synthetic / "synthetic_researcher_not_found.json")
    router.add("openalex", "/authors", data["openalex_authors_search"])
    router.add("semantic_scholar", f"{S2_API}/author/search", data["semanticscholar_author_search"])
    return router


async def subscriptions(app: Any) -> list[SubscriptionRow]:
    async with app.db.session() as session:
        return list((await session.exec(select(SubscriptionRow))).all())


# ---------------------------------------------------------------- pure pieces


def test_sparkline_scales_to_the_largest_value() -> None:
    assert sparkline([]) == ""
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline(range(8)) == "▁▂▃▄▅▆▇█"
    assert sparkline([0, 1, 2, 4, 8]) == "▁▂▃▅█"
    assert sparkline([3, 3, 3]) == "███"
    assert sparkline([5]) == "█"
    # Any activity shows above an empty year, however small next to the busiest one.
    assert sparkline([0, 1, 1000])[1] != "▁"
    assert len(sparkline(range(10))) == 10


def test_works_per_year_fills_missing_years_with_zero() -> None:
    rows = works_per_year([(2019, 4, 10), (2022, 7, 3)], 2024, span=6)
    assert [(r.year, r.works) for r in rows] == [(2019, 4), (2020, 0), (2021, 0), (2022, 7), (2023, 0), (2024, 0)]
    assert works_per_year([], 2024) == ()


# ---------------------------------------------------------------- cards from real recordings


async def test_card_by_openalex_id_from_recordings(app_factory: Any, recordings: Path) -> None:
    router = priem_routes(SourceRouter(), recordings, with_work=True)
    app = app_factory(router, now=datetime(2020, 6, 1, 9, 0, tzinfo=UTC), OPENALEX_API_KEY="k")

    view, text = await ask_text(app, f"researcher https://openalex.org/{PRIEM}")

    assert isinstance(view, ResearcherCard) and view.visibility is Visibility.EPHEMERAL
    assert text.startswith("Jason Priem\n  OurResearch\n")
    assert "works 60 · citations 4,245 · h-index 17 · i10 20" in text
    assert f"ORCID https://orcid.org/{PRIEM_ORCID}" in text
    assert "Topics: scientometrics and bibliometrics research, Research Data Management Practices" in text
    # Works per year 2011-2020 from counts_by_year (2016 has no row: zero), as a sparkline.
    assert [y.year for y in view.works_per_year] == list(range(2011, 2021))
    assert view.works_per_year[5].works == 0 and view.works_per_year[2].works == 10
    assert f"Works per year: 2011 {view.sparkline} 2020, max " in text and len(view.sparkline) == 10
    # Collaborators from the recorded work's authorships, the person himself left out.
    assert "Frequent collaborators: Ashley Farley (1), Bree Norlander (1), Heather Piwowar (1)" in text
    assert "Jason Priem (1)" not in text
    assert "• The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles" in text
    assert "(2018, PeerJ)" in text and "https://doi.org/10.7717/peerj.4375" in text
    assert "Source: OpenAlex" in text and f"`follow {PRIEM}`" in text
    filters = parse_qs(router.calls("openalex", "/works")[0].url.query.decode())["filter"][0]
    assert filters == f"author.id:{PRIEM},from_publication_date:2017-06-02"


async def test_second_lookup_makes_no_request(app_factory: Any, recordings: Path) -> None:
    router = priem_routes(SourceRouter(), recordings, with_work=True)
    app = app_factory(router, OPENALEX_API_KEY="k")

    first, _ = await ask_text(app, f"researcher {PRIEM}")
    asked = len(router.requests)
    again, _ = await ask_text(app, f"researcher {PRIEM}")
    by_orcid, text = await ask_text(app, f"researcher orcid.org/{PRIEM_ORCID}")

    assert asked == 2  # the profile and one page of recent works
    assert len(router.requests) == asked
    assert isinstance(again, ResearcherCard) and again == first
    assert isinstance(by_orcid, ResearcherCard) and by_orcid.name == "Jason Priem" and "PeerJ" in text
    async with app.db.session() as session:
        row = (await session.exec(select(ResearcherRow))).one()
    assert (row.openalex_id, row.orcid, row.display_name) == (PRIEM, PRIEM_ORCID, "Jason Priem")

    # A day later the saved copy has expired: ask again.
    later = app.now() + timedelta(hours=25)
    app.now = lambda: later
    await ask_text(app, f"researcher {PRIEM}")
    assert len(router.requests) == asked + 2


async def test_expired_profile_is_shown_when_openalex_is_down(app_factory: Any, recordings: Path) -> None:
    router = priem_routes(SourceRouter(), recordings)
    app = app_factory(router, OPENALEX_API_KEY="k")
    await ask_text(app, f"researcher {PRIEM}")
    later = app.now() + timedelta(days=3)
    app.now = lambda: later
    router.add("openalex", "/", httpx.Response(503))

    view, text = await ask_text(app, f"researcher {PRIEM}")

    assert isinstance(view, ResearcherCard) and view.name == "Jason Priem"
    assert "saved copy from 2024-11-28" in text and "OpenAlex is not answering right now" in text


async def test_candidates_from_the_2022_author_list(app_factory: Any, recordings: Path) -> None:
    body = load(recordings / "openalex/legacy_2022/body_test_list_of_entities_basic_paging_0.json")
    router = openalex_routes(SourceRouter(), search=body)
    app = app_factory(router, OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "researcher Kumar")

    assert isinstance(view, PickList) and view.action == "researcher"
    assert len(view.candidates) == 8 and [c.number for c in view.candidates] == list(range(1, 9))
    first = view.candidates[0]
    assert (first.name, first.institution, first.key) == ("Charles Thomas Parker", "NamesforLife", "A2479313101")
    assert first.works_count is not None and first.main_topic  # from 2022's x_concepts
    assert text.startswith("Several people match “Kumar”. Pick one:\n  1. Charles Thomas Parker — NamesforLife")
    assert "[A2479313101]" in text and "Choose with `researcher pick <n>`" in text
    search = router.calls("openalex", "/authors")[0]
    assert search.url.params["search"] == "Kumar" and search.url.params["api_key"] == "k"


# ---------------------------------------------------------------- namesakes, picking


async def test_namesakes_pick_list_then_pick_shows_the_card(app_factory: Any, synthetic: Path) -> None:
    router = namesake_routes(SourceRouter(), synthetic)
    app = app_factory(router, OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "researcher  Maria   Garcia")

    # Five results: one without an id is dropped, and a split profile sharing an ORCID is shown once.
    assert isinstance(view, PickList) and [c.key for c in view.candidates] == [
        "A5100000001", "A5100000002", "A5100000004"]
    assert "1. Maria Garcia — Universidad de Sevilla, 120 works, Heterogeneous Catalysis" in text
    assert "2. Maria Garcia — University of Toronto, 48 works, Graph Neural Networks" in text
    assert "3. Maria Garcia — 3 works, Medieval Iberian History" in text

    card, text = await ask_text(app, "researcher pick 2")

    assert isinstance(card, ResearcherCard) and card.openalex_id == "A5100000002"
    assert "University of Toronto" in text and "h-index 19" in text
    # Recent works since 2021-11-29: Kenji on three, Ana on two, Lars on one; the 2019 co-author is too old.
    # Kenji Tanaka wrongly listed among her alternative names must not hide him.
    assert card.collaborators == (("Kenji Tanaka", 3), ("Ana Ruiz", 2), ("Lars Berg", 1))
    assert "Frequent collaborators: Kenji Tanaka (3), Ana Ruiz (2), Lars Berg (1)" in text
    titles = [p.title for p in card.recent_papers]
    assert titles[:3] == ["Transport Plans for Message Passing", "Causal Effects on Graphs", "Sinkhorn Layers"]
    assert len(titles) == len({t.casefold() for t in titles})  # the preprint copy is not listed again
    assert "https://arxiv.org/abs/2406.01234" in text and "(2023, JMLR)" in text  # the venue as people cite it
    assert [y.year for y in card.works_per_year] == list(range(2015, 2025))

    requests = len(router.requests)
    again, _ = await ask_text(app, "researcher Maria Garcia")
    picked, _ = await ask_text(app, "researcher pick 2")
    assert isinstance(again, PickList) and picked == card and len(router.requests) == requests


async def test_pick_without_a_list_or_out_of_range(app_factory: Any, synthetic: Path) -> None:
    app = app_factory(namesake_routes(SourceRouter(), synthetic), OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "researcher pick 1")
    assert isinstance(view, Problem) and view.code == "not_found"
    assert "no recent list" in text and "`researcher <name>`" in text

    await ask_text(app, "researcher Maria Garcia")
    view, text = await ask_text(app, "researcher pick 7")
    assert isinstance(view, Problem) and "there is no number 7" in text and "1–3" in text

    # The list belongs to the person who asked, in this channel, for an hour.
    other = Actor("console", "someone-else", can_manage=True)
    view = await handle(PickCandidate("researcher", 1), other, CONSOLE_DESTINATION, app=app)
    assert isinstance(view, Problem) and view.code == "not_found"
    later = app.now() + timedelta(minutes=61)
    app.now = lambda: later
    view, _ = await ask_text(app, "researcher pick 1")
    assert isinstance(view, Problem) and view.code == "not_found"


# ---------------------------------------------------------------- following


async def test_follow_namesake_through_pick_list(app_factory: Any, synthetic: Path) -> None:
    router = namesake_routes(SourceRouter(), synthetic)
    app = app_factory(router, OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "follow Maria Garcia")
    assert isinstance(view, PickList) and view.action == "follow"
    assert "Choose with `follow pick <n>`" in text and not await subscriptions(app)

    view, text = await ask_text(app, "follow pick 2")

    assert isinstance(view, Notice) and view.title == "Following" and view.visibility is Visibility.CHANNEL
    assert view.actor_id and "follows Maria Garcia (University of Toronto) as #1" in text
    (record,) = await subscriptions(app)
    assert (record.kind, record.openalex_id, record.orcid, record.s2_id) == (
        "researcher", "A5100000002", "0000-0001-9876-5439", None)
    # Her alternative names are kept for matching by name; a co-author's name OpenAlex mixed in is not.
    assert record.name_variants == ["Maria Garcia", "María García", "M. García-López"]
    assert record.created_by == view.actor_id

    listed, text = await ask_text(app, "list")
    assert isinstance(listed, SubscriptionList) and "#1   researcher Maria Garcia" in text
    assert "A5100000002, ORCID 0000-0001-9876-5439" in text

    card, text = await ask_text(app, "researcher pick 2")
    assert isinstance(card, ResearcherCard) and card.followed and "This channel follows them." in text


async def test_follow_by_orcid_and_by_openalex_id_and_duplicates(app_factory: Any, recordings: Path) -> None:
    app = app_factory(priem_routes(SourceRouter(), recordings), OPENALEX_API_KEY="k")

    view, text = await ask_text(app, f"follow https://orcid.org/{PRIEM_ORCID}")
    assert isinstance(view, Notice) and "follows Jason Priem (OurResearch) as #1" in text

    for again in (f"follow {PRIEM}", f"follow https://openalex.org/{PRIEM}", f"follow {PRIEM_ORCID.replace('-', '')}"):
        view, text = await ask_text(app, again)
        assert isinstance(view, Notice) and view.title is None
        assert "already follows Jason Priem as #1" in text

    (record,) = await subscriptions(app)
    assert (record.openalex_id, record.orcid, record.display_name) == (PRIEM, PRIEM_ORCID, "Jason Priem")
    # The recording lists "Hemminger, Bradley M." among his alternative names: not a name of his.
    assert record.name_variants == ["Jason Priem", "Priem, Jason"]


async def test_follow_by_openalex_id_of_a_merged_profile(app_factory: Any, recordings: Path) -> None:
    body = load(recordings / "openalex/single_author_mmgeorge.json")
    app = app_factory(openalex_routes(SourceRouter(), authors={"A5000000099": body, PRIEM: body}),
                      OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "follow A5000000099")
    assert isinstance(view, Notice) and "Jason Priem" in text
    (record,) = await subscriptions(app)
    assert record.openalex_id == PRIEM  # the surviving id, not the merged one

    view, text = await ask_text(app, "follow A5000000099")
    assert "already follows Jason Priem as #1" in text


async def test_follow_respects_the_channel_limit(app_factory: Any, recordings: Path) -> None:
    app = app_factory(priem_routes(SourceRouter(), recordings), OPENALEX_API_KEY="k", RADAR_MAX_SUBSCRIPTIONS=1)
    await ask_text(app, "subscribe category cs.LG")

    view, text = await ask_text(app, f"follow {PRIEM}")

    assert isinstance(view, Problem) and view.code == "limit" and "at most 1 subscriptions" in text
    assert len(await subscriptions(app)) == 1


async def test_non_manager_cannot_follow(app_factory: Any, synthetic: Path) -> None:
    router = namesake_routes(SourceRouter(), synthetic)
    app = app_factory(router, OPENALEX_API_KEY="k")
    member = Actor("slack", "U_MEMBER", can_manage=False)

    for command in (Follow("Maria Garcia"), Follow(PRIEM), PickCandidate("follow", 1)):
        view = await handle(command, member, CONSOLE_DESTINATION, app=app)
        assert isinstance(view, Problem) and view.code == "permission"
    assert router.requests == [] and not await subscriptions(app)

    # Looking people up is open to everyone.
    view = await handle(LookupResearcher("Maria Garcia"), member, CONSOLE_DESTINATION, app=app)
    assert isinstance(view, PickList)


# ---------------------------------------------------------------- not found, sources failing


async def test_unknown_name_says_nobody_matched(app_factory: Any, synthetic: Path) -> None:
    router = empty_answers(SourceRouter(), synthetic)
    app = app_factory(router, OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "researcher Qwertz Nobodyson")

    assert isinstance(view, Problem) and view.code == "not_found"
    assert "Nobody matched “Qwertz Nobodyson” in OpenAlex or Semantic Scholar." in text
    assert "Check the spelling" in text and "ORCID" in text
    # OpenAlex had nobody, so Semantic Scholar was asked too.
    assert len(router.calls("openalex")) == 1 and len(router.calls("semantic_scholar")) == 1


async def test_unknown_ids_are_not_found(app_factory: Any, recordings: Path) -> None:
    app = app_factory(openalex_routes(SourceRouter()), OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "researcher A5999999999")
    assert isinstance(view, Problem) and view.code == "not_found" and "A5999999999" in text
    view, text = await ask_text(app, "follow 0000-0002-1825-0097")
    assert isinstance(view, Problem) and view.code == "not_found" and "ORCID 0000-0002-1825-0097" in text
    view, text = await ask_text(app, "researcher 0000-0002-1825-0098")
    assert isinstance(view, Problem) and view.code == "invalid" and "check digit" in text


async def test_openalex_down_falls_back_to_semantic_scholar(app_factory: Any, recordings: Path) -> None:
    tape = Cassette.load(recordings / "semanticscholar/cassette_test_search_author.yaml", match_query=False)
    router = SourceRouter().add("openalex", "/", httpx.Response(503, text="Service Unavailable"))
    router.add("semantic_scholar", f"{S2_API}/author/search", tape.handle)
    app = app_factory(router, OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "researcher turing")

    assert isinstance(view, PickList) and len(view.candidates) == 8
    assert view.candidates[0].name == "A. Turing" and view.candidates[0].key == "s2:2262347"
    assert "1. A. Turing" in text and "[s2:2262347]" in text
    assert router.calls("openalex") and len(router.calls("semantic_scholar")) == 1


async def test_without_openalex_key_semantic_scholar_answers(app_factory: Any, synthetic: Path) -> None:
    router = s2_person_routes(SourceRouter(), synthetic)
    app = app_factory(router)

    view, text = await ask_text(app, "researcher Ada Quillfeather")

    assert router.calls("openalex") == []
    assert isinstance(view, ResearcherCard) and (view.s2_id, view.orcid) == ("48000001", "0000-0003-1234-5674")
    assert text.startswith("Ada Quillfeather\n  University of Edinburgh\n  works 3 · citations 41 · h-index 2")
    assert "Frequent collaborators: Rob Inkwell (2)" in text
    assert "• Quills and Feathers in Vision Transformers (2024)" in text and "https://arxiv.org/abs/2405.00001" in text
    assert "Ink Diffusion Models (2023, CVPR)" in text and "https://doi.org/10.1000/ink.2023.2" in text
    # Every paper was seen, so the yearly counts come from them.
    assert {(y.year, y.works) for y in view.works_per_year} >= {(2021, 1), (2023, 1), (2024, 1), (2022, 0)}
    assert "Source: Semantic Scholar" in text and "`follow s2:48000001`" in text

    asked = len(router.requests)
    view, text = await ask_text(app, "follow Ada Quillfeather")
    assert isinstance(view, Notice) and "follows Ada Quillfeather (University of Edinburgh) as #1" in text
    assert len(router.requests) == asked  # candidates and profile came from the database
    (record,) = await subscriptions(app)
    assert (record.openalex_id, record.s2_id, record.orcid) == (None, "48000001", "0000-0003-1234-5674")
    assert record.name_variants == ["Ada Quillfeather", "A. Quillfeather", "Quillfeather, Ada"]
    view, text = await ask_text(app, "follow s2:48000001")
    assert "already follows Ada Quillfeather as #1" in text


async def test_openalex_budget_spent_falls_back_and_is_remembered(app_factory: Any, synthetic: Path) -> None:
    spent = httpx.Response(429, json={"error": "Rate limit exceeded", "message": "Daily budget exhausted"},
                           headers={"Retry-After": "30000", "X-RateLimit-Remaining": "0"})
    router = SourceRouter().add("openalex", "/", spent)
    s2_person_routes(router, synthetic)
    app = app_factory(router, OPENALEX_API_KEY="k")

    view, _ = await ask_text(app, "researcher Ada Quillfeather")

    assert isinstance(view, ResearcherCard) and view.source == "Semantic Scholar"
    assert len(router.calls("openalex")) == 1  # a spent budget is not retried
    await ask_text(app, "researcher Rob Inkwell")
    assert len(router.calls("openalex")) == 1  # and not asked again until it resets
    assert len(router.calls("semantic_scholar", f"{S2_API}/author/search")) == 2


async def test_both_sources_failing_gives_a_friendly_problem(app_factory: Any) -> None:
    spent = httpx.Response(429, json={"message": "Daily budget exhausted"}, headers={"Retry-After": "30000"})
    router = SourceRouter().add("openalex", "/", spent).add("semantic_scholar", "/", httpx.Response(503))
    app = app_factory(router, OPENALEX_API_KEY="k")

    view, text = await ask_text(app, "researcher Ada Quillfeather")

    assert isinstance(view, Problem) and view.code == "rate_limited"
    assert "OpenAlex's daily API budget is used up" in text and "Semantic Scholar is having trouble" in text
    assert "try again in a few minutes" in text

    router.add("openalex", "/", httpx.Response(503))
    later = app.now() + timedelta(days=1)
    app.now = lambda: later
    view, text = await ask_text(app, "researcher Someone Else")
    assert isinstance(view, Problem) and view.code == "source_down"
    assert "OpenAlex is having trouble (HTTP 503)" in text


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize("text", [
    "researcher " + "x" * 100_000,
    "researcher " + "Ada " * 100,
    "researcher ;;; !!! ???",
    "follow " + "\x00\x1b\x07" * 50 + " ?!",
    "researcher W2741809807",
    "researcher 2401.01234",
])
async def test_hostile_input_is_answered_without_asking_a_source(app_factory: Any, text: str) -> None:
    router = SourceRouter()
    app = app_factory(router, OPENALEX_API_KEY="k")
    view, rendered = await ask_text(app, text)
    assert isinstance(view, Problem) and view.code in ("usage", "invalid", "not_found")
    assert router.requests == [] and "Traceback" not in rendered


@pytest.mark.parametrize("name", ["<!channel>", "@everyone", "<@U123|admin> \u202e evil \x07"])
async def test_mentions_stay_raw_text_in_the_view(app_factory: Any, synthetic: Path, name: str) -> None:
    app = app_factory(empty_answers(SourceRouter(), synthetic), OPENALEX_API_KEY="k")
    view, text = await ask_text(app, f"researcher {name}")
    assert isinstance(view, Problem) and view.code == "not_found"
    assert "\x07" not in text and "\u202e" not in text
    if name.startswith(("<!", "@")):
        assert name in view.detail  # core keeps the text; each platform's renderer escapes it
