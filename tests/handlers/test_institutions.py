"""`institution <...>` as a channel sees it: the card, the pick list, and what happens when OpenAlex fails.

OpenAlex answers through `SourceRouter`: real recordings read in place (University of Florida by id and by ROR,
Bangor, the MIT autocompletes, Harvard's works, the empty search) and our own `synthetic_*` records where no
recording exists (Harvard's institution record, a "florida" autocomplete).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from bots.console.adapter import CONSOLE_DESTINATION, ask, console_actor
from bots.discord.limits import check_message_limits
from bots.discord.render import render as discord_render
from bots.slack.render import render as slack_render
from core.commands import Suggest
from core.help import help_view
from core.service import handle
from core.views import InstitutionCard, PickList, Problem, Suggestions
from tests.fakes import SourceRouter, ask_text
from tests.slack.blockcheck import check_message

OA = "openalex"
HARVARD = "I136199984"


def load(path: Path) -> Any:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["data"] if isinstance(data, dict) and "url" in data and "data" in data else data


def routes(recordings: Path, synthetic: Path, *, complete: Any = None, search: Any = None) -> SourceRouter:
    bodies = {
        "I33213144": load(recordings / f"{OA}/institution_I33213144_univ_florida.wrapper.json"),
        "ror:02y3ad647": load(recordings / f"{OA}/institution_by_ror_02y3ad647.wrapper.json"),
        "I161548249": load(recordings / f"{OA}/institution_I161548249_bangor.wrapper.json"),
        HARVARD: load(synthetic / "synthetic_openalex_institution_harvard.json"),
    }
    harvard_works = load(recordings / f"{OA}/list_works_filter_authorships.institutions.id_I136199984_per_page50.wrapper.json")
    nothing = load(recordings / f"{OA}/list_works_filter_authorships.institutions.id_quoted_ror_empty.wrapper.json")

    def institution(request: httpx.Request) -> httpx.Response:
        body = bodies.get(request.url.path.removeprefix("/institutions/"))
        return httpx.Response(200, json=body) if body else httpx.Response(404, json={"error": "Not Found"})

    def works(request: httpx.Request) -> httpx.Response:
        filters = parse_qs(request.url.query.decode()).get("filter", [""])[0]
        return httpx.Response(200, json=harvard_works if f"lineage:{HARVARD}" in filters else nothing)

    router = SourceRouter()
    router.add(OA, "/institutions", search if search is not None else
               load(recordings / f"{OA}/list_institutions_search_mearman_empty.json"))
    router.add(OA, "/institutions/", institution)
    router.add(OA, "/works", works)
    router.add(OA, "/autocomplete/institutions", complete if complete is not None else
               load(synthetic / "synthetic_openalex_autocomplete_institutions_florida.json"))
    return router


def within_limits(view: Any) -> None:
    for message in slack_render(view):
        check_message({"text": message.payload()["text"], "blocks": message.blocks})
    for outgoing in discord_render(view):
        assert check_message_limits(outgoing.payload()) == []


async def test_card_shows_the_record_its_people_and_papers_with_members_marked(
        app_factory: Any, recordings: Path, synthetic: Path) -> None:
    router = routes(recordings, synthetic)
    app = app_factory(router)

    view, text = await ask_text(app, "institution https://openalex.org/I136199984")

    assert isinstance(view, InstitutionCard) and view.name == "Harvard University"
    assert view.type == "funder" and "· funder" in text  # shown as OpenAlex says, whatever it means
    assert view.children == ("Harvard Synthetic Lab One", "Harvard Synthetic Lab Two") and view.parents == ()
    assert "Includes: Harvard Synthetic Lab One, Harvard Synthetic Lab Two" in text
    assert "works 689,218" in text and "ROR https://ror.org/03vek6s52" in text
    # The most active researchers are counted over the works that name them at Harvard.
    assert view.active_researchers[0] == ("Elizabeth Loder", 2)
    assert f"Most active since {view.active_since}: Elizabeth Loder (2)" in text
    # PRISMA has 27 authors; the one at Harvard is marked, though she is not among the first six.
    prisma = view.recent_papers[0]
    assert prisma.title.startswith("The PRISMA 2020 statement") and ("Elizabeth Loder", True) in prisma.authors
    assert ("Matthew J. Page", False) in prisma.authors and "Elizabeth Loder†" in text
    assert "The Preferred Reporting Items for Systematic reviews" in text
    assert "newest 50 works of 689,218" in view.note
    (works_call,) = router.calls(OA, "/works")
    assert works_call.url.params["filter"].startswith(f"authorships.institutions.lineage:{HARVARD},from_publication_date:")
    within_limits(view)

    again = await ask(app, "institution I136199984")
    assert again == view and len(router.calls(OA, "/works")) == 1  # kept for the lookup TTL


async def test_by_ror_the_university_florida_calls_funder(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    router = routes(recordings, synthetic)
    app = app_factory(router)

    view, text = await ask_text(app, "institution https://ror.org/02y3ad647")

    assert isinstance(view, InstitutionCard) and view.openalex_id == "I33213144"
    assert [r.url.path for r in router.calls(OA, "/institutions/")] == ["/institutions/ror:02y3ad647"]
    assert view.parents == ("State University System of Florida",) and view.more_children == 0
    assert "Gainesville, United States · funder · UF" in text
    # The works filter uses the OpenAlex id: a ROR URL there silently matches nothing.
    assert "lineage:I33213144" in router.calls(OA, "/works")[0].url.params["filter"]
    assert view.recent_papers == () and view.active_researchers == ()


async def test_a_name_with_namesakes_gives_a_pick_list_then_a_card(
        app_factory: Any, recordings: Path, synthetic: Path) -> None:
    app = app_factory(routes(recordings, synthetic))

    view, text = await ask_text(app, "institution florida")

    assert isinstance(view, PickList) and view.action == "institution" and len(view.candidates) == 3
    assert view.candidates[0].key == "I33213144" and "1. University of Florida — Gainesville, USA" in text
    assert "institution pick <n>" in text
    within_limits(view)

    card, text = await ask_text(app, "institution pick 1")
    assert isinstance(card, InstitutionCard) and card.name == "University of Florida"
    problem, text = await ask_text(app, "institution pick 9")
    assert isinstance(problem, Problem) and "there is no number 9" in text


async def test_the_exact_name_goes_straight_to_the_card(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    app = app_factory(routes(recordings, synthetic))

    view = await ask(app, "institution University of Florida")

    assert isinstance(view, InstitutionCard) and view.openalex_id == "I33213144"


async def test_mit_recording_lists_every_mit(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    mit = load(recordings / f"{OA}/autocomplete_institutions_q_MIT.results_only.json")
    app = app_factory(routes(recordings, synthetic, complete=mit))

    view, text = await ask_text(app, "institution MIT")

    assert isinstance(view, PickList) and len(view.candidates) == 8  # the pick list's cap
    assert "MIT World Peace University — Pune, India" in text
    within_limits(view)


async def test_no_match_searches_only_with_a_key(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    empty = {"meta": {"count": 0}, "results": []}
    router = routes(recordings, synthetic, complete=empty)
    keyless = app_factory(router)

    view, text = await ask_text(keyless, "institution mearman")
    assert isinstance(view, Problem) and view.code == "not_found" and "No institution matched “mearman”" in text
    assert router.calls(OA, "/institutions") == []  # the billed search is not made without a key

    keyed_router = routes(recordings, synthetic, complete=empty)
    keyed = app_factory(keyed_router, OPENALEX_API_KEY="k")
    view = await ask(keyed, "institution mearman")
    assert isinstance(view, Problem) and view.code == "not_found"
    assert [r.url.params["search"] for r in keyed_router.calls(OA, "/institutions")] == ["mearman"]


async def test_openalex_down_or_wrong_kind_of_id(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    router = routes(recordings, synthetic)
    router.add(OA, "/institutions/", httpx.Response(503, text="down"))
    app = app_factory(router)

    view, text = await ask_text(app, "institution I33213144")
    assert isinstance(view, Problem) and view.code in ("source_down", "rate_limited")
    assert "Institutions come from OpenAlex alone" in text

    view, text = await ask_text(app, "institution A5023888391")
    assert isinstance(view, Problem) and "That is a researcher" in text and "`researcher <id>`" in text
    view = await ask(app, "institution I4000000404")
    assert isinstance(view, Problem)


async def test_a_card_without_works_still_shows_the_record(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    router = routes(recordings, synthetic)
    router.add(OA, "/works", httpx.Response(503, text="down"))
    app = app_factory(router)

    view = await ask(app, "institution I161548249")

    assert isinstance(view, InstitutionCard) and view.name == "Bangor University" and view.recent_papers == ()
    assert "did not list its recent works" in view.note


async def test_autocomplete_suggests_institutions(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    mit = load(recordings / f"{OA}/autocomplete_institutions_q_MIT.results_only.json")
    router = routes(recordings, synthetic, complete=mit)
    app = app_factory(router)

    found = await handle(Suggest("institution", "mit", 5), console_actor(), CONSOLE_DESTINATION, app=app)
    again = await handle(Suggest("institution", "MIT ", 5), console_actor(), CONSOLE_DESTINATION, app=app)

    assert isinstance(found, Suggestions) and found == again and len(found.items) == 5
    assert found.items[0].label == "MIT World Peace University — Pune, India"
    assert found.items[0].value == "I4210088227"
    assert len(router.calls(OA, "/autocomplete/institutions")) == 1
    short = await handle(Suggest("institution", "m", 5), console_actor(), CONSOLE_DESTINATION, app=app)
    assert isinstance(short, Suggestions) and short.items == ()


async def test_every_institution_help_example_answers(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    app = app_factory(routes(recordings, synthetic))
    entry = help_view("institution")
    assert entry is not None
    await ask(app, "institution florida")  # so that `institution pick 2` has a list
    for example in entry.entries[0].examples:
        view = await ask(app, example)
        assert isinstance(view, InstitutionCard | PickList), (example, view)


def test_the_grammar_of_institutions() -> None:
    from core.commands import FollowInstitution, LookupInstitution, PickInstitution, UsageError, parse_command

    assert parse_command("institution  University of  Florida") == LookupInstitution("University of Florida")
    assert parse_command("institute I33213144") == LookupInstitution("I33213144")
    assert parse_command("institution pick 2") == PickInstitution(2)
    assert parse_command("follow institution https://ror.org/02y3ad647") == FollowInstitution("https://ror.org/02y3ad647")
    assert parse_command("follow institution pick 3") == PickInstitution(3, follow=True)
    assert PickInstitution(3, follow=True).mutates and not PickInstitution(3).mutates
    assert parse_command("follow Institution Mila") == FollowInstitution("Mila")
    for wrong in ("institution", "follow institution", "institution pick x", "follow institution pick 99"):
        try:
            parse_command(wrong)
        except UsageError:
            continue
        raise AssertionError(f"{wrong!r} parsed")


async def test_follow_from_a_pick_list(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    app = app_factory(routes(recordings, synthetic))

    view, text = await ask_text(app, "follow institution florida")
    assert isinstance(view, PickList) and view.action == "follow institution"
    assert "follow institution pick <n>" in text
    _, text = await ask_text(app, "follow institution pick 1")
    assert "now follows University of Florida (Gainesville, United States) as #1" in text
    card = await ask(app, "institution I33213144")
    assert isinstance(card, InstitutionCard) and card.followed
