"""Semantic Scholar: parsers against the real vcrpy cassettes and synthetic edge cases, served through the hub."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.ids import InvalidId
from core.sources.http import NotFound, RateLimited, Unavailable
from core.sources.semanticscholar import SemanticScholarSource, s2_paper_key
from tests.sources.cassettes import Cassette, FakeTime, json_response, load_json, make_hub

S2 = "semanticscholar"
API = "/graph/v1"


def source_for(handler: Any, time: FakeTime | None = None, **settings: Any) -> SemanticScholarSource:
    return SemanticScholarSource(make_hub(handler, time, **settings).semantic_scholar)


def cassette(recordings: Path, name: str, **options: Any) -> Cassette:
    return Cassette.load(recordings / S2 / f"cassette_test_{name}.yaml", **options)


def serve(routes: dict[str, Any], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = routes.get(request.url.path.removeprefix(API))
        if isinstance(answer, httpx.Response):
            return answer
        if answer is None:
            return json_response({"error": f"{request.url.path} not found"}, 404)
        return json_response(answer)

    return httpx.MockTransport(handler)


# ---------------------------------------------------------------- real recordings


async def test_author_search_recording_keeps_duplicate_profiles(recordings: Path) -> None:
    tape = cassette(recordings, "search_author")
    found = await source_for(tape.transport).search_authors("turing", fields=("name",))

    assert tape.all_used and len(found) == 59
    assert len({c.s2_id for c in found}) == 59 and all(c.source == "semanticscholar" for c in found)
    # One person, many profiles: the channel has to pick, so every one of them is offered.
    assert sum(1 for c in found if c.display_name == "A. Turing") >= 5
    assert found[0].display_name == "A. Turing" and found[0].s2_id == "2262347"


async def test_author_papers_recording_pages_until_no_next(recordings: Path) -> None:
    tape = cassette(recordings, "get_author_papers")
    time = FakeTime()
    listing = await source_for(tape.transport, time).author_papers("1723755", fields=("title",))

    assert tape.all_used and listing.pages == 9 and listing.complete
    assert len(listing.items) == 875 and len({p.s2_id for p in listing.items}) == 875
    assert "SARS-CoV-2 hijacks p38β/MAPK11 to promote virus replication" in {p.title for p in listing.items}
    assert all(p.sources == ("semanticscholar",) for p in listing.items)
    # Without a key, requests are spaced out for the shared pool (here on a fake clock).
    assert sum(time.sleeps) >= 8 * 1.5


async def test_paper_by_bare_doi_recording(recordings: Path) -> None:
    tape = cassette(recordings, "get_paper")
    paper = await source_for(tape.transport).paper("10.1093/mind/lix.236.433", fields=("title",))
    assert paper.title == "Computing Machinery and Intelligence"
    assert paper.s2_id == "2d5673caa9e6af3a7b82a43f19ee920992db07ad" and paper.authors == ()


async def test_paper_authors_recording_with_rich_fields(recordings: Path) -> None:
    tape = cassette(recordings, "get_paper_authors")
    listing = await source_for(tape.transport).paper_authors("10.2139/ssrn.2250500")

    assert tape.all_used  # our default fields are exactly the ones recorded
    assert [a.display_name for a in listing.items] == ["E. Duflo", "A. Banerjee", "R. Glennerster", "Cynthia Kinnan"]
    duflo = listing.items[0]
    assert (duflo.s2_id, duflo.works_count, duflo.cited_by_count, duflo.h_index) == ("2259683", 282, 58740, 91)
    assert duflo.profile_url == "https://www.semanticscholar.org/author/2259683"
    assert duflo.institutions == () and duflo.homepage is None and duflo.orcid is None


async def test_batch_recording_maps_answers_to_the_ids_asked(recordings: Path) -> None:
    tape = cassette(recordings, "get_papers")
    asked = ["CorpusId:470667", "10.2139/ssrn.2250500", "0f40b1f08821e22e859c6050916cec3667778613"]
    result = await source_for(tape.transport).papers_batch(asked, fields=("authors",))

    assert tape.all_used and result.missing == []  # the recorded request body matched ours
    assert list(result.found) == asked
    assert result.found["CorpusId:470667"].s2_id == "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce"
    assert [a.name for a in result.found["CorpusId:470667"].authors] == [
        "Marianne Bertrand",
        "E. Duflo",
        "S. Mullainathan",
    ]
    assert result.found["10.2139/ssrn.2250500"].authors[0].s2_id == "2259683"


async def test_not_found_recordings(recordings: Path) -> None:
    # The recorded calls asked for odd field lists; only the 404 answers matter here.
    source = source_for(cassette(recordings, "not_found", match_query=False).transport)
    with pytest.raises(NotFound, match="Paper with id 0 not found"):
        await source.paper("0")
    with pytest.raises(NotFound, match="Author with id 0 not found"):
        await source.author("0")


# ---------------------------------------------------------------- synthetic


async def test_author_search_skips_unreadable_items(synthetic: Path, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[httpx.Request] = []
    body = load_json(synthetic / "synthetic_s2_author_search.json")
    with caplog.at_level(logging.WARNING):
        found = await source_for(serve({"/author/search": body}, seen)).search_authors("Zoë Ångström")

    assert seen[0].url.params["query"] == "Zoë Ångström"
    assert [(c.display_name, c.s2_id) for c in found] == [("Zoë Ångström-Nakamura", "1741101"), ("Z. Ångström", "2280000001")]
    assert found[0].orcid == "0000-0002-1825-0097" and found[0].institution == "École Normale Supérieure"
    assert (found[0].works_count, found[0].cited_by_count) == (51, 2040)
    assert "skipped author #1" in caplog.text


async def test_author_details(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    body = load_json(synthetic / "synthetic_s2_author.json")
    profile = await source_for(serve({"/author/1741101": body}, seen)).author("1741101")

    assert "aliases" in seen[0].url.params["fields"].split(",")
    assert profile.alternative_names == ("Z. Angstrom-Nakamura", "Zoe A.-N.")
    assert (profile.h_index, profile.homepage, profile.orcid) == (20, "https://zoe.example.org", "0000-0002-1825-0097")
    assert profile.source == "semanticscholar" and profile.i10_index is None and profile.counts_by_year == ()


async def test_author_papers_synthetic_paging(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    pages = {
        "0": json_response(load_json(synthetic / "synthetic_s2_author_papers_0.json")),
        "3": json_response(load_json(synthetic / "synthetic_s2_author_papers_1.json")),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return pages[request.url.params["offset"]]

    listing = await source_for(handler).author_papers("1741101")

    assert [(r.url.params["offset"], r.url.params["limit"]) for r in seen] == [("0", "100"), ("3", "100")]
    assert listing.complete and listing.skipped == 1
    first, second, old = listing.items
    assert (first.arxiv_id, first.doi) == ("2401.01234", "10.48550/arxiv.2401.01234")
    assert first.venue == "Journal of Machine Learning Research"  # `venue` was empty: the journal name stands in
    assert [(a.name, a.s2_id) for a in first.authors] == [("Zoë Ångström-Nakamura", "1741101"), ("李小龙", "3000001")]
    assert first.abstract == "We study sparse transport." and first.links["pdf"] == "https://arxiv.org/pdf/2401.01234"
    assert first.published == datetime(2024, 1, 3, tzinfo=UTC)
    assert (second.doi, second.published, "pdf" in second.links) == ("10.1000/hyper.2023.1", None, False)
    assert old.arxiv_id == "hep-th/9901001"


async def test_author_papers_cap(synthetic: Path) -> None:
    body = load_json(synthetic / "synthetic_s2_author_papers_0.json")
    seen: list[httpx.Request] = []
    listing = await source_for(serve({"/author/1741101/papers": body}, seen)).author_papers("1741101", max_papers=2)
    assert len(seen) == 1 and len(listing.items) == 2 and listing.truncated


async def test_author_papers_later_failure_keeps_first_page(synthetic: Path) -> None:
    first = json_response(load_json(synthetic / "synthetic_s2_author_papers_0.json"))

    def handler(request: httpx.Request) -> httpx.Response:
        return first if request.url.params["offset"] == "0" else httpx.Response(503)

    listing = await source_for(handler).author_papers("1741101")
    assert len(listing.items) == 2 and isinstance(listing.error, Unavailable) and not listing.complete


async def test_paper_by_arxiv_and_by_doi_use_prefixed_ids(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    body = load_json(synthetic / "synthetic_s2_paper_arxiv.json")
    routes = {"/paper/ARXIV:2401.01234": body, "/paper/DOI:10.48550/arxiv.2401.01234": body}
    source = source_for(serve(routes, seen))

    by_arxiv = await source.paper_by_arxiv("https://arxiv.org/abs/2401.01234v3")
    by_doi = await source.paper_by_doi("https://doi.org/10.48550/arXiv.2401.01234")

    assert by_arxiv == by_doi and by_arxiv.canonical_id == "arXiv:2401.01234"
    assert [r.url.path for r in seen] == [f"{API}/paper/ARXIV:2401.01234", f"{API}/paper/DOI:10.48550/arxiv.2401.01234"]
    with pytest.raises(InvalidId):
        await source.paper_by_arxiv("not an id")
    assert s2_paper_key("arXiv:2401.01234v2") == "ARXIV:2401.01234" and s2_paper_key("CorpusId:1") == "CorpusId:1"


async def test_batch_reports_missing_ids(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    body = load_json(synthetic / "synthetic_s2_batch.json")
    result = await source_for(serve({"/paper/batch": body}, seen)).papers_batch(
        ["ARXIV:2401.01234", "ARXIV:9999.99999", "CorpusId:42", "ARXIV:2401.01234"]
    )

    assert seen[0].method == "POST"
    assert json.loads(seen[0].content) == {"ids": ["ARXIV:2401.01234", "ARXIV:9999.99999", "CorpusId:42"]}
    assert list(result.found) == ["ARXIV:2401.01234", "CorpusId:42"]
    assert result.missing == ["ARXIV:9999.99999"]
    assert result.found["CorpusId:42"].title == "Title Only"


async def test_batch_is_split_into_calls_of_500() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response([None] * len(json.loads(request.content)["ids"]))

    result = await source_for(handler).papers_batch(f"CorpusId:{n}" for n in range(501))
    assert [len(json.loads(r.content)["ids"]) for r in seen] == [500, 1]
    assert len(result.missing) == 501 and result.found == {}


async def test_short_batch_answer_marks_the_rest_missing(synthetic: Path) -> None:
    body = load_json(synthetic / "synthetic_s2_paper_arxiv.json")
    result = await source_for(lambda request: json_response([body])).papers_batch(["ARXIV:2401.01234", "CorpusId:7"])
    assert list(result.found) == ["ARXIV:2401.01234"] and result.missing == ["CorpusId:7"]


# ---------------------------------------------------------------- faults and credentials


async def test_api_key_header_on_get_and_post(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    routes = {"/author/1741101": load_json(synthetic / "synthetic_s2_author.json"), "/paper/batch": []}
    source = source_for(serve(routes, seen), SEMANTIC_SCHOLAR_API_KEY="s2-test-key")
    await source.author("1741101")
    await source.papers_batch(["CorpusId:1"])
    assert [r.headers.get("x-api-key") for r in seen] == ["s2-test-key", "s2-test-key"]


async def test_no_key_header_without_a_key(synthetic: Path) -> None:
    seen: list[httpx.Request] = []
    await source_for(serve({"/author/1741101": load_json(synthetic / "synthetic_s2_author.json")}, seen)).author("1741101")
    assert "x-api-key" not in seen[0].headers


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_429_retry_after_then_success(method: str, synthetic: Path) -> None:
    time = FakeTime()
    body = load_json(synthetic / "synthetic_s2_paper_arxiv.json")
    answers = iter([httpx.Response(429, headers={"Retry-After": "9"}), json_response(body if method == "GET" else [body])])
    source = source_for(lambda request: next(answers), time)
    if method == "GET":
        assert (await source.paper("ARXIV:2401.01234")).arxiv_id == "2401.01234"
    else:
        assert list((await source.papers_batch(["ARXIV:2401.01234"])).found) == ["ARXIV:2401.01234"]
    assert max(time.sleeps) >= 9


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_rate_limit_that_persists_is_classified(method: str) -> None:
    source = source_for(lambda request: httpx.Response(429, headers={"Retry-After": "3"}, json={"message": "Too Many"}))
    with pytest.raises(RateLimited) as caught:
        await (source.paper("CorpusId:1") if method == "GET" else source.papers_batch(["CorpusId:1"]))
    assert caught.value.retry_after == 3


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_503_is_unavailable_after_retries(method: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503, text="upstream down")

    source = source_for(handler)
    with pytest.raises(Unavailable):
        await (source.author("1") if method == "GET" else source.papers_batch(["CorpusId:1"]))
    assert len(seen) == 5  # the keyless retry policy: five attempts


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_unreachable_host_is_unavailable(method: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    time = FakeTime()
    source = source_for(handler, time)
    with pytest.raises(Unavailable, match="could not be reached"):
        await (source.author("1") if method == "GET" else source.papers_batch(["CorpusId:1"]))
    assert len(time.sleeps) >= 4  # backed off between attempts, on the fake clock


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_html_instead_of_json_is_unavailable(method: str) -> None:
    page = httpx.Response(200, text="<html><title>Just a moment...</title></html>", headers={"Content-Type": "text/html"})
    source = source_for(lambda request: page)
    with pytest.raises(Unavailable, match="not JSON"):
        await (source.search_authors("x") if method == "GET" else source.papers_batch(["CorpusId:1"]))


async def test_unexpected_shapes_are_unavailable() -> None:
    source = source_for(lambda request: json_response({"data": "nope"} if "search" in request.url.path else [1]))
    assert await source.search_authors("x") == []  # `data` not a list: nothing to show, no crash
    with pytest.raises(Unavailable):
        await source.author("1")
    with pytest.raises(Unavailable):
        await source.paper("CorpusId:1")


async def test_recommendations_recording_come_from_the_recommendations_api(recordings: Path) -> None:
    tape = cassette(recordings, "get_recommended_papers")
    hub = make_hub(tape.transport)
    found = await SemanticScholarSource(hub.semantic_scholar_recommendations).recommendations(
        "10.2139/ssrn.2250500", limit=100, fields=("title",))
    assert tape.all_used and str(tape.requests[0].url.path).startswith("/recommendations/v1/papers/forpaper/")
    assert len(found) > 20 and found[0].title.startswith("Report shows slight improvement on grantmaker diversity")
    assert all(p.s2_id for p in found)


async def test_recommendations_that_cannot_be_read_are_unavailable() -> None:
    hub = make_hub(httpx.MockTransport(lambda request: json_response({"papers": []})))
    with pytest.raises(Unavailable):
        await SemanticScholarSource(hub.semantic_scholar_recommendations).recommendations("ARXIV:2411.18562")
