"""OpenAlex: parsers against real recordings (both schemas) and synthetic edge cases, served through the hub."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.ids import InvalidId
from core.model.researchers import AuthorCandidate, AuthorProfile
from core.sources.http import BadRequest, NotFound, RateLimited, Unavailable
from core.sources.openalex import AuthorDeleted, OpenAlexSource, parse_author, parse_work
from core.sources.parsing import parse_items
from tests.sources.cassettes import Cassette, FakeTime, json_response, load_json, make_hub

LEGACY = "openalex/legacy_2022"


def source_for(handler: Any, time: FakeTime | None = None, **settings: Any) -> OpenAlexSource:
    return OpenAlexSource(make_hub(handler, time, **settings).openalex)


def serve(routes: dict[str, Any], seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """Answer each path with a JSON body (or a ready Response); anything else is a 404."""

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        answer = routes.get(request.url.path)
        if isinstance(answer, httpx.Response):
            return answer
        if answer is None:
            return json_response({"error": "Not Found", "message": f"{request.url.path} not found"}, 404)
        return json_response(answer)

    return httpx.MockTransport(handler)


# ---------------------------------------------------------------- real recordings


async def test_current_schema_author_recording(recordings: Path) -> None:
    body = load_json(recordings / "openalex/single_author_mmgeorge.json")
    profile = await source_for(serve({"/authors/A5023888391": body})).author("A5023888391")

    assert profile.display_name == "Jason Priem"
    assert profile.openalex_id == "A5023888391" and profile.merged_from is None
    assert profile.orcid == "0000-0001-6187-6610"
    assert (profile.works_count, profile.cited_by_count, profile.h_index, profile.i10_index) == (60, 4245, 17, 20)
    # No last known institution in this record: the latest dated affiliation (2023) stands in.
    assert profile.institutions == ("OurResearch",)
    assert profile.topics[0] == "scientometrics and bibliometrics research" and len(profile.topics) == 5
    years = [row[0] for row in profile.counts_by_year]
    assert years == sorted(years) and profile.counts_by_year[0] == (2008, 1, 115)
    assert "Priem, Jason" in profile.alternative_names and "Jason Priem" not in profile.alternative_names


async def test_work_recording_by_id_and_by_doi(recordings: Path) -> None:
    body = load_json(recordings / "openalex/single_work_mmgeorge.json")
    seen: list[httpx.Request] = []
    source = source_for(serve({"/works/W2741809807": body, "/works/doi:10.7717/peerj.4375": body}, seen))

    by_id = await source.work("https://openalex.org/W2741809807")
    by_doi = await source.work("https://doi.org/10.7717/PEERJ.4375")

    assert by_id == by_doi
    assert [r.url.path for r in seen] == ["/works/W2741809807", "/works/doi:10.7717/peerj.4375"]
    assert by_id.title.startswith("The state of OA: a large-scale analysis")
    assert by_id.doi == "10.7717/peerj.4375" and by_id.arxiv_id is None
    assert by_id.venue == "PeerJ" and by_id.citation_count == 1149 and by_id.sources == ("openalex",)
    assert by_id.published == datetime(2018, 2, 13, tzinfo=UTC)
    assert by_id.abstract.startswith("Despite growing interest in Open Access (OA) to scholarly literature,")
    first = by_id.authors[0]
    assert (first.name, first.openalex_id, first.orcid) == ("Heather Piwowar", "A5048491430", "0000-0003-1613-5981")
    assert first.affiliation == "Impact Technology Development (United States)"
    assert by_id.canonical_id == "doi:10.7717/peerj.4375"


def test_work_list_recording_parses_every_work(recordings: Path) -> None:
    body = load_json(recordings / "openalex/list_works_search_ml_public_health_per_page200.json")
    works, skipped = parse_items(body["results"], parse_work, source="openalex", what="work")

    assert (len(works), skipped) == (49, 0)
    by_id = {w.openalex_id: w for w in works}
    # arXiv copies are found from their locations, whatever the primary location is.
    assert {w.arxiv_id for w in works if w.arxiv_id} == {"2304.04761", "2310.08532", "2208.03461", "2306.14003"}
    hdsr = by_id["W4307407919"]
    assert (hdsr.arxiv_id, hdsr.doi, hdsr.venue) == ("2208.03461", "10.1162/99608f92.18da72db", "Harvard Data Science Review")
    assert by_id["W4365441044"].venue is None  # only on arXiv: a repository is not a venue
    # A real venue name carries C1 control characters; they must not reach a chat message.
    assert "The Lancet. Digital health" in {w.venue for w in works}
    assert all(not any(0x80 <= ord(c) < 0xA0 for c in (w.venue or "")) for w in works)
    names = {a.name for w in works for a in w.authors}
    assert {"Magdalena Cerdá", "С. В. Кондратенко", "Mariam Quiñones"} <= names
    assert sum(1 for w in works if w.abstract) == 46


@pytest.mark.parametrize("page", [0, 1])
def test_2022_schema_authors_recording(recordings: Path, page: int) -> None:
    body = load_json(recordings / LEGACY / f"body_test_list_of_entities_basic_paging_{page}.json")
    profiles, skipped = parse_items(body["results"], parse_author, source="openalex", what="author")

    assert (len(profiles), skipped) == (25, 0)
    assert all(p.institutions and p.topics and p.h_index is None for p in profiles)
    if page == 0:
        knochel = next(p for p in profiles if p.display_name == "Paul Knochel")
        assert knochel.institutions == ("Ludwig-Maximilians-Universität München",)
        parker = profiles[0].to_candidate()
        assert (parker.display_name, parker.openalex_id, parker.orcid) == (
            "Charles Thomas Parker",
            "A2479313101",
            "0000-0002-7436-3176",
        )
        assert parker.institution == "NamesforLife" and parker.works_count == 8304


async def test_2022_cursor_paging_recording_to_the_end(recordings: Path) -> None:
    cassette = Cassette.load(recordings / LEGACY / "cassette_test_list_of_entities_cursor_ends.yaml")
    source = source_for(cassette.transport)
    dois = "https://doi.org/10.1371/journal.pone.0266781|https://doi.org/10.1371/journal.pone.0267149"

    listing = await source.works(f"doi:{dois}", per_page=25)

    assert cassette.all_used and listing.pages == 2 and listing.complete
    assert listing.total == 2
    assert sorted(w.doi or "" for w in listing.items) == ["10.1371/journal.pone.0266781", "10.1371/journal.pone.0267149"]
    assert {w.venue for w in listing.items} == {"PLOS ONE"}  # from the 2022 `host_venue`
    assert listing.items[0].authors[0].name == "Jason Cham"


# ---------------------------------------------------------------- synthetic: authors


async def test_author_current_schema_synthetic(synthetic: Path) -> None:
    body = load_json(synthetic / "synthetic_openalex_author_current.json")
    profile = await source_for(serve({"/authors/A5000000001": body})).author("a5000000001")

    assert profile.display_name == "Zoë Ångström-Nakamura"
    assert profile.institutions == ("École Normale Supérieure", "Institut für Quantenoptik")
    assert profile.topics == ("Graph Neural Networks", "Optimal Transport", "Causal Inference")
    assert profile.counts_by_year == ((2023, 5, 301), (2024, 9, 350), (2025, 7, 402))
    assert profile.alternative_names == ("Z. Angstrom-Nakamura", "アングストローム ゾーイ")
    assert profile.names[0] == "Zoë Ångström-Nakamura"


async def test_author_2022_schema_synthetic(synthetic: Path) -> None:
    profile = parse_author(load_json(synthetic / "synthetic_openalex_author_2022.json"))

    assert profile.institutions == ("Københavns Universitet",)
    # Broad level-0 concepts come after the specific ones.
    assert profile.topics == ("Machine learning", "Artificial intelligence", "Computer science")
    assert profile.h_index is None and profile.orcid is None
    assert profile.counts_by_year == ((2021, 3, 25), (2022, 2, 30))


async def test_author_by_orcid_uses_the_orcid_route(synthetic: Path) -> None:
    body = load_json(synthetic / "synthetic_openalex_author_current.json")
    profile = await source_for(serve({"/authors/orcid:0000-0002-1825-0097": body})).author(
        "https://orcid.org/0000-0002-1825-0097"
    )
    assert profile.openalex_id == "A5000000001" and profile.merged_from is None


async def test_merged_author_reports_the_surviving_id(synthetic: Path) -> None:
    body = load_json(synthetic / "synthetic_openalex_author_current.json")
    moved = httpx.Response(301, headers={"Location": "/authors/A5000000001"})
    profile = await source_for(serve({"/authors/A5000000009": moved, "/authors/A5000000001": body})).author(
        "A5000000009"
    )
    assert profile.openalex_id == "A5000000001"
    assert profile.merged_from == "A5000000009"


async def test_deleted_author_is_not_found() -> None:
    with pytest.raises(NotFound, match="A5000000404"):
        await source_for(serve({})).author("A5000000404")


async def test_deleted_author_placeholder_is_not_a_profile(synthetic: Path) -> None:
    body = load_json(synthetic / "synthetic_openalex_author_deleted.json")
    with pytest.raises(AuthorDeleted, match="A5000000404 was deleted") as raised:
        await source_for(serve({"/authors/A5000000404": body})).author("A5000000404")
    assert raised.value.author_id == "A5000000404" and isinstance(raised.value, NotFound)


def test_fields_of_a_persons_topics_most_works_first(recordings: Path, synthetic: Path) -> None:
    current = parse_author(load_json(recordings / "openalex/single_author_mmgeorge.json"))
    assert current.fields[:2] == ("Decision Sciences", "Computer Science")
    assert parse_author(load_json(synthetic / "synthetic_openalex_author_2022.json")).fields == ("Computer science",)
    assert AuthorProfile.from_json(current.to_json()).fields == current.fields


async def test_invalid_author_id_sends_nothing() -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(InvalidId):
        await source_for(serve({}, seen)).author("W2741809807")
    assert seen == []


async def test_autocomplete_skips_broken_and_duplicate_candidates(
    synthetic: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[httpx.Request] = []
    body = load_json(synthetic / "synthetic_openalex_autocomplete_authors.json")
    with caplog.at_level(logging.WARNING):
        found = await source_for(serve({"/autocomplete/authors": body}, seen)).autocomplete_authors(" Zoë Ångström ")

    assert seen[0].url.params["q"] == "Zoë Ångström"
    assert [c.openalex_id for c in found] == ["A5000000001", "A5000000003"]
    assert found[0].institution == "École Normale Supérieure, France" and found[0].orcid == "0000-0002-1825-0097"
    assert found[1].institution is None and found[1].source == "openalex"
    assert "skipped author #2" in caplog.text


async def test_search_authors_tells_namesakes_apart(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    body = load_json(synthetic / "synthetic_openalex_authors_search.json")
    found = await source_for(serve({"/authors": body}, seen)).search_authors("Zoë Ångström")

    assert dict(seen[0].url.params) == {"search": "Zoë Ångström", "per_page": "25"}
    assert [(c.display_name, c.institution, c.main_topic) for c in found] == [
        ("Zoë Ångström-Nakamura", "École Normale Supérieure", "Graph Neural Networks"),
        ("Zoë Ångström", "Uppsala universitet", "Marine Biology"),
    ]


# ---------------------------------------------------------------- synthetic: works


def paged_works(synthetic: Path, seen: list[httpx.Request], second: httpx.Response | None = None) -> httpx.MockTransport:
    pages = {
        "*": json_response(load_json(synthetic / "synthetic_openalex_works_page1.json")),
        "Y3Vyc29yLTI=": second or json_response(load_json(synthetic / "synthetic_openalex_works_page2.json")),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return pages[request.url.params["cursor"]]

    return httpx.MockTransport(handler)


async def test_works_by_author_pages_to_the_end(synthetic: Path, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[httpx.Request] = []
    source = source_for(paged_works(synthetic, seen))
    with caplog.at_level(logging.WARNING):
        listing = await source.works_by_author("https://openalex.org/A5000000001", since=date(2024, 1, 1))

    assert [r.url.params["cursor"] for r in seen] == ["*", "Y3Vyc29yLTI="]
    assert seen[0].url.params["filter"] == "author.id:A5000000001,from_publication_date:2024-01-01"
    assert seen[0].url.params["per_page"] == "100"
    assert listing.complete and listing.pages == 2 and listing.total == 4
    assert [w.openalex_id for w in listing.items] == ["W4000000001", "W3000000002", "W4000000004"]
    assert listing.skipped == 1 and "W4000000003 has no title" in caplog.text
    assert source.budget.spent_usd == pytest.approx(0.0002) and source.budget.last_cost_usd == 0.0001


async def test_work_parsing_details_synthetic(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    source = source_for(paged_works(synthetic, seen))
    arxiv_work, old_work, plain = (await source.works("author.id:A5000000001")).items

    assert (arxiv_work.arxiv_id, arxiv_work.versions) == ("2401.01234", (2,))
    assert arxiv_work.doi == "10.48550/arxiv.2401.01234"
    assert arxiv_work.venue == "Journal of Machine Learning Research"
    assert arxiv_work.abstract == "We sparse transport mass along graph edges; transport is cheap."
    assert [(a.name, a.affiliation) for a in arxiv_work.authors] == [
        ("Zoë Ångström-Nakamura", "École Normale Supérieure"),
        ("李小龙", "Tsinghua University, Beijing"),
    ]
    assert arxiv_work.links["pdf"] == "https://arxiv.org/pdf/2401.01234v2"
    assert arxiv_work.canonical_id == "arXiv:2401.01234"

    assert old_work.title == "Études sur les réseaux de neurones"
    assert (old_work.arxiv_id, old_work.doi) == ("cs/0112017", "10.1000/études.2021.7")
    assert old_work.venue == "Revue d’Intelligence Artificielle" and old_work.abstract == ""
    assert old_work.authors[0].affiliation == "Københavns Universitet, Denmark"

    assert (plain.doi, plain.arxiv_id, plain.venue) == (None, None, None)
    assert plain.links["landing"] == "https://example.org/note"


async def test_work_by_arxiv_id_goes_through_the_arxiv_doi(synthetic: Path) -> None:
    body = load_json(synthetic / "synthetic_openalex_work_arxiv.json")
    record = await source_for(serve({"/works/doi:10.48550/arxiv.2401.01234": body})).work("arXiv:2401.01234v2")
    assert record.arxiv_id == "2401.01234" and record.openalex_id == "W4000000001"


async def test_works_cap_stops_paging(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    listing = await source_for(paged_works(synthetic, seen)).works("author.id:A5000000001", max_results=2)
    assert len(seen) == 1 and len(listing.items) == 2
    assert listing.truncated and not listing.complete


async def test_failing_later_page_keeps_the_first(synthetic: Path) -> None:
    time = FakeTime()
    seen: list[httpx.Request] = []
    down = httpx.Response(503, text="<html><body>Service Unavailable</body></html>")
    listing = await source_for(paged_works(synthetic, seen, second=down), time).works("author.id:A5000000001")

    assert [w.openalex_id for w in listing.items] == ["W4000000001", "W3000000002"]
    assert isinstance(listing.error, Unavailable) and not listing.complete
    assert len(seen) == 5 and len(time.sleeps) == 3  # retried with backoff, without really waiting


async def test_failing_first_page_raises() -> None:
    with pytest.raises(Unavailable):
        await source_for(lambda request: httpx.Response(503)).works("author.id:A1")


# ---------------------------------------------------------------- faults, budget and credentials


async def test_429_with_retry_after_is_waited_out(synthetic: Path) -> None:
    time = FakeTime()
    body = load_json(synthetic / "synthetic_openalex_author_current.json")
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), json_response(body)])
    profile = await source_for(lambda request: next(answers), time).author("A5000000001")
    assert profile.display_name == "Zoë Ångström-Nakamura"
    assert time.sleeps and time.sleeps[0] >= 7


async def test_plain_rate_limit_is_not_a_spent_budget() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "Too many requests per second"})

    with pytest.raises(RateLimited) as caught:
        await source_for(handler).search_authors("Ada")
    assert caught.value.retry_after == 2 and not caught.value.budget_exhausted


async def test_spent_budget_is_reported_without_retrying() -> None:
    seen: list[httpx.Request] = []
    headers = {"Retry-After": "50000", "X-RateLimit-Remaining-USD": "0", "X-RateLimit-Limit-USD": "1"}
    source = source_for(
        serve({"/authors": httpx.Response(429, headers=headers, json={"error": "Rate limit exceeded"})}, seen)
    )
    with pytest.raises(RateLimited) as caught:
        await source.search_authors("Ada")

    assert caught.value.budget_exhausted and caught.value.retry_after == 50000
    assert len(seen) == 1
    assert source.budget.exhausted and source.budget.remaining_usd == 0 and source.budget.limit_usd == 1


async def test_spent_budget_read_from_headers_alone() -> None:
    headers = {"Retry-After": "1", "X-RateLimit-Remaining-USD": "0", "X-RateLimit-Reset": "3600"}
    source = source_for(lambda request: httpx.Response(429, headers=headers))
    with pytest.raises(RateLimited) as caught:
        await source.works_by_author("A5000000001")
    assert caught.value.budget_exhausted and source.budget.reset_in_s == 3600


async def test_budget_headers_and_cost_are_read(synthetic: Path) -> None:
    body = load_json(synthetic / "synthetic_openalex_authors_search.json")
    headers = {
        "X-RateLimit-Limit-USD": "1",
        "X-RateLimit-Remaining-USD": "0.9731",
        "X-RateLimit-Limit": "10000",
        "X-RateLimit-Remaining": "9731",
        "X-RateLimit-Reset": "3600",
    }
    source = source_for(lambda request: json_response(body, headers=headers))
    await source.search_authors("Zoë")
    budget = source.budget
    assert (budget.remaining_usd, budget.credits_remaining, budget.reset_in_s) == (0.9731, 9731, 3600)
    assert budget.last_cost_usd == 0.001 and not budget.exhausted


async def test_api_key_is_sent_when_configured(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    body = load_json(synthetic / "synthetic_openalex_author_current.json")
    source = source_for(serve({"/authors/A5000000001": body}, seen), OPENALEX_API_KEY="oa-test-key")
    await source.author("A5000000001")
    assert seen[0].url.params["api_key"] == "oa-test-key" and "mailto" not in seen[0].url.params


async def test_without_key_the_contact_address_is_sent(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    body = load_json(synthetic / "synthetic_openalex_author_current.json")
    source = source_for(serve({"/authors/A5000000001": body}, seen), RADAR_CONTACT_EMAIL="ops@example.org")
    await source.author("A5000000001")
    assert seen[0].url.params["mailto"] == "ops@example.org" and "api_key" not in seen[0].url.params


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<!DOCTYPE html><html><body>Gateway</body></html>", headers={"Content-Type": "text/html"}),
        httpx.Response(200, json=[1, 2, 3]),
        httpx.Response(200, json={"id": "https://openalex.org/A5000000001"}),  # no name: unreadable author
    ],
)
async def test_unreadable_answers_are_classified(response: httpx.Response) -> None:
    with pytest.raises(Unavailable):
        await source_for(lambda request: response).author("A5000000001")


async def test_invalid_filter_is_a_bad_request() -> None:
    body = {"error": "Invalid query parameters error.", "message": "author.idd is not a valid field."}
    with pytest.raises(BadRequest, match=r"author\.idd is not a valid field"):
        await source_for(lambda request: httpx.Response(400, json=body)).works("author.idd:A1")


# ---------------------------------------------------------------- cached records


def test_openalex_profile_survives_the_cache_round_trip(synthetic: Path) -> None:
    profile = parse_author(load_json(synthetic / "synthetic_openalex_author_current.json"))
    stored = json.loads(json.dumps(profile.to_json()))
    assert AuthorProfile.from_json(stored) == profile
    candidate = profile.to_candidate()
    assert AuthorCandidate.from_json(json.loads(json.dumps(candidate.to_json()))) == candidate


def test_cached_records_from_other_releases_still_load() -> None:
    profile = AuthorProfile.from_json(
        {"display_name": "Ada", "source": "openalex", "counts_by_year": [[2024, 1, 2], [2020, 3, 4], "junk"], "new": 1}
    )
    assert profile.counts_by_year == ((2020, 3, 4), (2024, 1, 2)) and profile.topics == ()
    with pytest.raises(ValueError):
        AuthorCandidate.from_json({"source": "openalex"})
    with pytest.raises(ValueError):
        AuthorProfile.from_json(["not", "a", "dict"])
