"""OpenAlex institutions: records by id and by ROR, name candidates, and works by lineage, on real recordings."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.ids import InvalidId
from core.model.institutions import InstitutionCandidate
from core.sources.http import NotFound
from core.sources.openalex_institutions import institution_path, is_ror, normalize_ror, parse_institution
from tests.sources.cassettes import load_json
from tests.sources.test_openalex import serve, source_for

OA = "openalex"
FLORIDA = f"{OA}/institution_I33213144_univ_florida.wrapper.json"
BY_ROR = f"{OA}/institution_by_ror_02y3ad647.wrapper.json"
BANGOR = f"{OA}/institution_I161548249_bangor.wrapper.json"
HARVARD_WORKS = f"{OA}/list_works_filter_authorships.institutions.id_I136199984_per_page50.wrapper.json"
QUOTED_ROR = f"{OA}/list_works_filter_authorships.institutions.id_quoted_ror_empty.wrapper.json"


def body(recordings: Path, name: str) -> Any:
    loaded = load_json(recordings / name)
    return loaded["data"] if isinstance(loaded, dict) and "data" in loaded and "url" in loaded else loaded


async def test_institution_by_id_reads_the_card_facts(recordings: Path) -> None:
    seen: list[httpx.Request] = []
    source = source_for(serve({"/institutions/I33213144": body(recordings, FLORIDA)}, seen))

    florida = await source.institution("https://openalex.org/I33213144")

    assert [r.url.path for r in seen] == ["/institutions/I33213144"]
    assert (florida.display_name, florida.openalex_id, florida.ror) == ("University of Florida", "I33213144", "02y3ad647")
    assert (florida.country, florida.city, florida.acronyms) == ("United States", "Gainesville", ("UF",))
    # Real 2025 data calls this university a "funder": it is shown as given, never interpreted.
    assert florida.type == "funder"
    assert (florida.works_count, florida.cited_by_count, florida.h_index) == (325080, 10440674, 809)
    assert [p.display_name for p in florida.parents] == ["State University System of Florida"]
    assert "National High Magnetic Field Laboratory" in [c.display_name for c in florida.children]
    assert len(florida.children) == 5 and florida.topics[0] == "Plant and animal studies"
    assert florida.counts_by_year[-1] == (2025, 7958, 533142)


async def test_institution_by_ror_in_every_spelling_resolves_to_the_openalex_record(recordings: Path) -> None:
    seen: list[httpx.Request] = []
    source = source_for(serve({"/institutions/ror:02y3ad647": body(recordings, BY_ROR)}, seen))

    for spelling in ("https://ror.org/02y3ad647", "02y3ad647", "ror.org/02Y3AD647/", "ror:02y3ad647"):
        found = await source.institution(spelling)
        assert found.openalex_id == "I33213144" and found.display_name == "University of Florida"
    assert {r.url.path for r in seen} == {"/institutions/ror:02y3ad647"}


def test_a_university_without_parents_or_children(recordings: Path) -> None:
    bangor = parse_institution(body(recordings, BANGOR))

    assert bangor.display_name == "Bangor University" and bangor.type == "funder"
    assert bangor.parents == () and bangor.children == ()
    assert [r.display_name for r in bangor.related] == ["Wrexham Maelor Hospital"]


@pytest.mark.parametrize("text", ["I33213144", "https://openalex.org/I33213144", "02y3ad647"])
def test_institution_path_takes_ids_of_both_kinds(text: str) -> None:
    assert institution_path(text) in ("institutions/I33213144", "institutions/ror:02y3ad647")


@pytest.mark.parametrize("text", ["A5023888391", "MIT", "https://example.org/02y3ad647", "02y3ad64"])
def test_anything_else_is_not_an_institution_id(text: str) -> None:
    assert not is_ror(text)
    with pytest.raises(InvalidId):
        institution_path(text)
    with pytest.raises(InvalidId):
        normalize_ror(text)


async def test_autocomplete_institutions_recording_tells_namesakes_apart(recordings: Path) -> None:
    results = load_json(recordings / f"{OA}/autocomplete_institutions_q_MIT.results_only.json")
    seen: list[httpx.Request] = []
    found = await source_for(serve({"/autocomplete/institutions": results}, seen)).autocomplete_institutions(" MIT ")

    assert seen[0].url.params["q"] == "MIT"
    assert len(found) == 10 and all(isinstance(c, InstitutionCandidate) for c in found)
    pune = found[0]
    assert (pune.display_name, pune.openalex_id, pune.hint, pune.ror) == (
        "MIT World Peace University", "I4210088227", "Pune, India", "004ymxd45")
    assert any(c.hint is None for c in found)  # OpenAlex sends no hint for some


async def test_autocomplete_keeps_only_institutions_from_the_all_entities_route(recordings: Path) -> None:
    mixed = body(recordings, f"{OA}/autocomplete_all_q_MIT.wrapper.json")
    mixed["results"].append({"id": "https://openalex.org/A5023888391", "display_name": "Mit Person",
                             "entity_type": "author"})
    found = await source_for(serve({"/autocomplete/institutions": mixed})).autocomplete_institutions("MIT")

    assert found[0].display_name == "Massachusetts Institute of Technology" and found[0].hint == "Cambridge, USA"
    assert "Mit Person" not in [c.display_name for c in found]


async def test_works_by_institution_filters_by_lineage_and_marks_members(recordings: Path) -> None:
    seen: list[httpx.Request] = []
    source = source_for(serve({"/works": body(recordings, HARVARD_WORKS)}, seen))

    listing = await source.works_by_institution("I136199984", max_results=50)

    params = seen[0].url.params
    assert params["filter"] == "authorships.institutions.lineage:I136199984"
    assert params["sort"] == "publication_date:desc" and params["per_page"] == "50"
    assert len(listing.items) == 50 and listing.total == 689218 and listing.truncated
    prisma = listing.items[0]
    assert prisma.paper.title.startswith("The PRISMA 2020 statement")
    # Of PRISMA's many authors, only the one at Harvard is the institute's member.
    assert prisma.members == ("Elizabeth Loder",) and prisma.member_ids == ("A5054045289",)
    assert "Matthew J. Page" in [a.name for a in prisma.paper.authors]
    assert all(work.members for work in listing.items)


async def test_works_by_institution_since_a_date(recordings: Path) -> None:
    seen: list[httpx.Request] = []
    empty = body(recordings, QUOTED_ROR)
    listing = await source_for(serve({"/works": empty}, seen)).works_by_institution(
        "https://openalex.org/I33213144", date(2025, 1, 1))

    assert seen[0].url.params["filter"] == "authorships.institutions.lineage:I33213144,from_publication_date:2025-01-01"
    assert listing.items == [] and listing.total == 0 and not listing.truncated


async def test_a_lab_counts_for_its_parent_through_lineage() -> None:
    work = {"id": "https://openalex.org/W4000000001", "title": "A lab paper", "authorships": [
        {"author": {"id": "https://openalex.org/A5000000001", "display_name": "Lab Member"},
         "institutions": [{"id": "https://openalex.org/I4000000999", "lineage": ["https://openalex.org/I4000000999",
                                                                          "https://openalex.org/I33213144"]}]},
        {"author": {"id": "https://openalex.org/A5000000002", "display_name": "Visitor"},
         "institutions": [{"id": "https://openalex.org/I4000000005", "lineage": ["https://openalex.org/I4000000005"]}]}]}
    listing = await source_for(serve({"/works": {"meta": {"count": 1}, "results": [work]}})).works_by_institution(
        "I33213144")

    assert listing.items[0].members == ("Lab Member",)


async def test_unknown_institution_is_not_found() -> None:
    with pytest.raises(NotFound):
        await source_for(serve({})).institution("I4000000001")


async def test_search_with_no_match_is_an_empty_list(recordings: Path) -> None:
    seen: list[httpx.Request] = []
    empty = load_json(recordings / f"{OA}/list_institutions_search_mearman_empty.json")

    found = await source_for(serve({"/institutions": empty}, seen)).search_institutions("mearman")

    assert found == [] and seen[0].url.params["search"] == "mearman"


async def test_search_reads_full_records_as_candidates(recordings: Path) -> None:
    page = {"meta": {"count": 1}, "results": [body(recordings, FLORIDA)]}
    found = await source_for(serve({"/institutions": page})).search_institutions("florida")

    assert [(c.display_name, c.hint, c.ror) for c in found] == [
        ("University of Florida", "Gainesville, United States", "02y3ad647")]
