"""The arXiv query API: lookups by id and searches, against real recorded answers and synthetic ones."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.ids import parse_arxiv_id
from core.sources.arxiv_api import (
    build_search_query,
    lookup_id,
    lookup_ids,
    parse_api_response,
    search,
)
from core.sources.http import BadRequest, NotFound
from tests.sources.test_http import sequence, serving, xml

API = "arxiv_api"


def recorded(recordings: Path, stem: str) -> tuple[bytes, dict[str, list[str]]]:
    """A recorded body and the query parameters of the URL it answered."""
    wrapper = json.loads((recordings / API / f"{stem}.wrapper.json").read_text(encoding="utf-8"))
    assert wrapper["status_code"] == 200
    return (recordings / API / f"{stem}.xml").read_bytes(), parse_qs(urlsplit(wrapper["url"]).query)


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


# ---------------------------------------------------------------- lookups against recordings


@pytest.mark.parametrize(
    ("stem", "asked", "title", "versions", "categories"),
    [
        ("id_1605.08386_s0_m100_199195aa31ad", "1605.08386", "Heat-bath random walks with Markov bases", (1,),
         ("math.CO", "math.ST")),
        ("id_2104.12255v1_s0_m100_6ae69987ffe1", "2104.12255v1", "0", (1,), ("cs.CR",)),
        ("id_quant-ph_0201082v1_s0_m100_86989fe779ef", "quant-ph/0201082v1",
         "Quantum Computers and Quantum Computer Languages: Quantum Assembly Language and Quantum C Language", (1,),
         ("quant-ph", "cs.PL")),
    ],
)  # fmt: skip
async def test_lookup_recorded_ids(
    recordings: Path, stem: str, asked: str, title: str, versions: tuple[int, ...], categories: tuple[str, ...]
) -> None:
    body, recorded_params = recorded(recordings, stem)
    async with serving(sequence(xml(body))) as (hub, calls):
        paper = await lookup_id(hub, asked)
    assert params(calls.requests[0])["id_list"] == recorded_params["id_list"][0] == asked
    assert calls.requests[0].url.path == "/api/query"
    assert paper.arxiv_id == parse_arxiv_id(asked).base
    assert paper.title == title and paper.versions == versions
    assert paper.categories == categories and paper.primary_category == categories[0]
    assert paper.sources == ("arxiv",) and paper.published is not None and paper.published.tzinfo is not None


async def test_recorded_list_with_an_id_arxiv_silently_dropped(recordings: Path) -> None:
    body, recorded_params = recorded(recordings, "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af")
    assert recorded_params["id_list"] == ["0808.05394,1707.08567"]  # arXiv answered one paper for two ids
    async with serving(sequence(xml(body))) as (hub, calls):
        result = await lookup_ids(hub, ["0808.05394", "1707.08567"])
    assert [p.arxiv_id for p in result.found] == ["1707.08567"]
    assert result.missing == ("0808.05394",) and result.invalid == ("0808.05394",)
    # The malformed id is kept out of the request: on its own it can make arXiv reject the whole list.
    assert params(calls.requests[0])["id_list"] == "1707.08567"
    paper = result.found[0]
    assert len(paper.authors) == 34 and paper.authors[-2].name == "Dirk Wübben"


async def test_recorded_list_where_arxiv_drops_a_well_formed_id(recordings: Path) -> None:
    body, _ = recorded(recordings, "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af")
    async with serving(sequence(xml(body))) as (hub, calls):
        result = await lookup_ids(hub, ["2402.00001", "1707.08567"])
    assert params(calls.requests[0])["id_list"] == "2402.00001,1707.08567"
    assert [p.arxiv_id for p in result.found] == ["1707.08567"]
    assert result.missing == ("2402.00001",) and result.invalid == ()


async def test_recorded_zero_results_is_not_found_for_a_single_lookup(recordings: Path) -> None:
    body, _ = recorded(recordings, "id_0000.0000_s0_m100_8b51d9633a68")
    async with serving(sequence(xml(body))) as (hub, _):
        with pytest.raises(NotFound, match=re.escape("2401.99999")):
            await lookup_id(hub, "2401.99999")
        many = await lookup_ids(hub, ["2401.99999", "2401.99998v2"])
    assert many.found == () and many.missing == ("2401.99999", "2401.99998v2")


async def test_text_that_is_no_arxiv_id_is_refused_without_a_request() -> None:
    async with serving(sequence(httpx.Response(500))) as (hub, calls):
        with pytest.raises(BadRequest, match="not an arXiv id"):
            await lookup_id(hub, "banana")
        result = await lookup_ids(hub, ["banana", "  "])
    assert calls.requests == [] and result.missing == ("banana",)


# ---------------------------------------------------------------- searches against recordings


async def test_recorded_search_pages_are_walked_in_order(recordings: Path) -> None:
    pages = {
        (start, size): recorded(recordings, stem)
        for start, size, stem in [
            (0, 10, "q_testing_s0_m10_bc5a6c384fe9"),
            (10, 10, "q_testing_s10_m10_34e56e15aaac"),
            (20, 10, "q_testing_s20_m10_348a237fecab"),
        ]
    }

    def handler(request: httpx.Request) -> httpx.Response:
        asked = params(request)
        body, recorded_params = pages[(int(asked["start"]), int(asked["max_results"]))]
        assert recorded_params["start"] == [asked["start"]]
        return xml(body)

    async with serving(handler) as (hub, calls):
        result = await search(hub, abstract="testing", max_results=30, page_size=10, sort_by="relevance")
    assert [int(params(r)["start"]) for r in calls.requests] == [0, 10, 20]
    assert params(calls.requests[0])["search_query"] == "abs:testing"
    assert len(result.records) == 30 and result.total_results == 214881
    assert result.next_start == 30  # far from the end: the caller can ask for more
    whole, _ = recorded(recordings, "q_testing_s0_m100_cfe7536492ca")
    assert [r.arxiv_id for r in result.records] == [r.arxiv_id for r in parse_api_response(whole).records[:30]]


def test_recorded_overlapping_windows_parse_to_the_same_papers(recordings: Path) -> None:
    whole = parse_api_response(recorded(recordings, "q_testing_s0_m100_cfe7536492ca")[0])
    window = parse_api_response(recorded(recordings, "q_testing_s5_m15_bbcf6b23085b")[0])
    assert len(whole.records) == 100 and whole.skipped == 0
    assert window.start_index == 5 and window.records == whole.records[5:20]


def test_recorded_search_fields(recordings: Path) -> None:
    page = parse_api_response(recorded(recordings, "q_testing_s0_m10_bc5a6c384fe9")[0])
    first = page.records[0]
    assert first.arxiv_id == "2202.12139" and first.versions == (1,)
    assert first.doi == "10.1109/icstw55395.2022.00035"
    assert first.journal_ref and first.journal_ref.startswith("Artificial Intelligence in Software Testing @ 2022")
    assert first.categories == ("cs.SE", "cs.LG") and first.primary_category == "cs.SE"
    assert first.published == datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC)
    assert [a.name for a in first.authors] == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    whole = parse_api_response(recorded(recordings, "q_testing_s0_m100_cfe7536492ca")[0])
    names = {a.name for r in whole.records for a in r.authors}
    assert {"José Raúl Romero", "Katharina Götz", "Oliver Weißl", "Lasse Møldrup"} <= names
    affiliated = {a.name: a.affiliation for r in whole.records for a in r.authors if a.affiliation}
    assert affiliated["Marie-Claude Gaudel"] == "LRI"


# ---------------------------------------------------------------- synthetic answers (present in every clone)


async def test_synthetic_lookup_old_style_versions_and_fields(synthetic: Path) -> None:
    body = (synthetic / "synthetic_arxiv_api_lookup.xml").read_bytes()
    async with serving(sequence(xml(body))) as (hub, calls):
        result = await lookup_ids(hub, ["arXiv:math/0309136v2", "https://arxiv.org/abs/2401.01234", "2401.99999"])
    assert params(calls.requests[0]) == {
        "id_list": "math/0309136v2,2401.01234,2401.99999", "start": "0", "max_results": "3",
    }  # fmt: skip
    old, new = result.found
    assert result.missing == ("2401.99999",)
    assert old.arxiv_id == "math/0309136" and old.versions == (2,)
    assert old.title == "On the Topology of Three-Manifolds" and old.abstract == "We study three-manifolds. Nothing else."
    assert [(a.name, a.affiliation) for a in old.authors] == [
        ("Grigori Perelmán", "Steklov Institute, St. Petersburg"),
        ("Zoë Ødegård", None),
    ]
    assert new.arxiv_id == "2401.01234" and new.versions == (3,)
    assert new.categories == ("cs.LG", "stat.ML") and new.primary_category == "cs.LG"  # primary moved first
    assert new.doi == "10.1000/example.2024.7" and new.journal_ref == "Example Letters 7 (2024) 1-9"
    assert new.authors[0].name == "李小龙"
    assert new.links["pdf"] == "https://arxiv.org/pdf/2401.01234v3"


async def test_asking_for_a_version_that_does_not_exist_is_a_miss(synthetic: Path) -> None:
    body = (synthetic / "synthetic_arxiv_api_lookup.xml").read_bytes()
    async with serving(sequence(xml(body))) as (hub, _):
        result = await lookup_ids(hub, ["2401.01234v4", "math/0309136"])
    assert [p.arxiv_id for p in result.found] == ["math/0309136"]
    assert result.missing == ("2401.01234v4",)


async def test_lookups_are_batched(synthetic: Path) -> None:
    body = (synthetic / "synthetic_arxiv_api_lookup.xml").read_bytes()
    ids = [f"2401.{n:05d}" for n in range(1001, 1251)]
    async with serving(sequence(xml(body))) as (hub, calls):
        result = await lookup_ids(hub, ids)
    assert [len(params(r)["id_list"].split(",")) for r in calls.requests] == [100, 100, 50]
    assert [p.arxiv_id for p in result.found] == ["2401.01234"] and len(result.missing) == 249


@pytest.mark.parametrize("status", [400, 200])
async def test_error_entry_becomes_bad_request_with_arxivs_message(synthetic: Path, status: int) -> None:
    body = (synthetic / "synthetic_arxiv_api_error.xml").read_bytes()
    async with serving(sequence(xml(body, status))) as (hub, calls):
        with pytest.raises(BadRequest, match=re.escape("incorrect id format for 1234.12345v1v1")):
            await search(hub, title="anything")
    assert len(calls.requests) == 1  # a rejected query is not retried


async def test_synthetic_search_pages_to_the_end(synthetic: Path) -> None:
    pages = {str(2 * n): (synthetic / f"synthetic_arxiv_api_page{n + 1}.xml").read_bytes() for n in range(3)}
    async with serving(lambda r: xml(pages[params(r)["start"]])) as (hub, calls):
        result = await search(hub, author="Test Author", category="cs.LG", page_size=2)
    assert [params(r)["start"] for r in calls.requests] == ["0", "2", "4"]
    assert params(calls.requests[0])["search_query"] == 'au:"Test Author" AND cat:cs.LG'
    assert params(calls.requests[0])["sortBy"] == "submittedDate"
    assert [r.title for r in result.records] == ["Alpha Paper", "Beta Paper", "Gamma Paper", "Delta Paper", "Epsilon Paper"]
    assert result.total_results == 5 and result.next_start is None
    assert result.records[4].versions == (3,) and result.records[0].authors[0].name == "Ana Álvarez"


async def test_search_stops_at_max_results_and_says_where_to_go_on(synthetic: Path) -> None:
    pages = {str(2 * n): (synthetic / f"synthetic_arxiv_api_page{n + 1}.xml").read_bytes() for n in range(3)}
    async with serving(lambda r: xml(pages[params(r)["start"]])) as (hub, calls):
        result = await search(hub, author="Test Author", max_results=3, page_size=2)
    assert [(params(r)["start"], params(r)["max_results"]) for r in calls.requests] == [("0", "2"), ("2", "1")]
    assert len(result.records) == 3 and result.next_start == 3


async def test_an_empty_page_in_the_middle_is_asked_again(synthetic: Path) -> None:
    pages = {str(2 * n): (synthetic / f"synthetic_arxiv_api_page{n + 1}.xml").read_bytes() for n in range(3)}
    empty = pages["2"].split(b"<entry>")[0] + b"</feed>"
    served = {"2": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        start = params(request)["start"]
        if start == "2" and served["2"] == 0:
            served["2"] += 1
            return xml(empty)
        return xml(pages[start])

    async with serving(handler) as (hub, calls):
        result = await search(hub, author="Test Author", page_size=2)
    assert [params(r)["start"] for r in calls.requests] == ["0", "2", "2", "4"]
    assert len(result.records) == 5 and result.next_start is None


async def test_a_page_that_stays_empty_ends_the_search_with_a_way_to_resume(synthetic: Path) -> None:
    first = (synthetic / "synthetic_arxiv_api_page1.xml").read_bytes()
    empty = first.split(b"<entry>")[0] + b"</feed>"
    async with serving(lambda r: xml(first if params(r)["start"] == "0" else empty)) as (hub, _):
        result = await search(hub, author="Test Author", page_size=2)
    assert len(result.records) == 2 and result.next_start == 2


# ---------------------------------------------------------------- the query language


def test_query_terms_are_joined_with_and() -> None:
    query = build_search_query(
        author="Doe", title='graph "neural" networks', abstract="message passing", category=["cs.LG", "stat.ML"],
        submitted_from=date(2024, 1, 1), submitted_to=datetime(2024, 1, 31, 18, 30, tzinfo=UTC),
    )  # fmt: skip
    assert query == (
        'au:Doe AND ti:"graph neural networks" AND abs:"message passing" AND (cat:cs.LG OR cat:stat.ML)'
        " AND submittedDate:[202401010000 TO 202401311830]"
    )


def test_query_dates_alone_and_open_ended() -> None:
    assert build_search_query(submitted_to=date(2007, 3, 31)) == "submittedDate:[199107010000 TO 200703312359]"
    assert build_search_query(category="hep-th", submitted_from=date(2024, 5, 1)).startswith(
        "cat:hep-th AND submittedDate:[202405010000 TO "
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"author": '  ""  '},
        {"category": "cs.LG) OR (all:x"},
        {"submitted_from": date(2024, 2, 1), "submitted_to": date(2024, 1, 1)},
    ],
)
async def test_bad_searches_are_refused_before_any_request(kwargs: dict[str, object]) -> None:
    async with serving(sequence(httpx.Response(500))) as (hub, calls):
        with pytest.raises(BadRequest):
            await search(hub, **kwargs)  # type: ignore[arg-type]
    assert calls.requests == []
