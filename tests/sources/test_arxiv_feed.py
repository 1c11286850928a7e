"""arXiv announcement feeds: the real recorded day, our synthetic edge cases, staleness and pacing."""

from __future__ import annotations

import asyncio
import gc
from datetime import date
from pathlib import Path

import httpx
import pytest

from core.model.papers import PaperRecord
from core.sources import arxiv_api
from core.sources.arxiv_feed import FeedResult, feed_path, fetch_feed, parse_feed
from core.sources.arxiv_text import split_authors, tex_to_unicode
from core.sources.http import BadRequest, Unavailable
from tests.sources.test_http import FakeClock, VirtualClock, sequence, serving, xml

DAY = "rss_all_archives_2024-11-28.xml"


@pytest.fixture(scope="module")
def real_day(recordings: Path) -> FeedResult:
    return parse_feed((recordings / "arxiv_rss" / DAY).read_bytes())


def by_id(result: FeedResult) -> dict[str, PaperRecord]:
    return {item.arxiv_id or "": item for item in result.items}


# ---------------------------------------------------------------- the recorded day


def test_real_day_reads_every_item(real_day: FeedResult) -> None:
    assert len(real_day.items) == 1504 and real_day.skipped == 0
    assert real_day.feed_date == date(2024, 11, 28) and not real_day.stale
    kinds = [item.announce_type for item in real_day.items]
    assert (kinds.count("new"), kinds.count("replace"), kinds.count("cross")) == (926, 569, 9)
    assert len(real_day.new_papers) == 935
    assert sum("cs.LG" in item.categories for item in real_day.items) == 218


def test_real_day_first_item_fields(real_day: FeedResult) -> None:
    item = real_day.items[0]
    assert item.arxiv_id == "2411.17700" and item.versions == (1,)
    assert item.title.startswith("Exploring the Impact of Generative AI on Cross-Border E-Commerce")
    assert item.abstract.startswith("This study investigates the influence of generative artificial intelligence")
    assert [a.name for a in item.authors] == ["Jun Cui"]
    assert item.categories == ("cs.CY",) and item.primary_category == "cs.CY"
    assert item.announced == date(2024, 11, 28) and item.sources == ("arxiv",)
    assert item.links == {"abs": "https://arxiv.org/abs/2411.17700", "pdf": "https://arxiv.org/pdf/2411.17700"}


def test_real_day_text_is_clean(real_day: FeedResult) -> None:
    for item in real_day.items:
        assert item.arxiv_id and "v" not in item.arxiv_id.rpartition(".")[2]
        assert item.versions and item.versions[0] >= 1
        for text in (item.title, item.abstract):
            assert text == text.strip() and "\n" not in text and "  " not in text
        assert not item.abstract.startswith("arXiv:") and "Announce Type:" not in item.abstract
        for author in item.authors:
            assert author.name and not any(ch in author.name for ch in "(){}\\,")


def test_real_day_entities_tex_names_and_affiliations(real_day: FeedResult) -> None:
    titles = {item.title for item in real_day.items}
    assert "Design & Optimization of the HV divider for JUNO 20-inch PMT" in titles
    names = {author.name for item in real_day.items for author in item.authors}
    assert {"Gergely Zaránd", "Cătălin Paşcu Moca", "Tomaž Prosen", "Örs Legeza", "Guðmundur K. Stefánsson"} <= names
    assert {"Przemysław Olbratowski", "Jarosław Żygierewicz", "Felipe M. G. França"} <= names
    dao = next(item for item in real_day.items if any(a.name == "Jadelynn Dao" for a in item.authors))
    assert [a.name for a in dao.authors] == ["Jadelynn Dao", "Ruixiao Liu", "Sarah Solomon", "Samuel Solomon"]
    assert dao.authors[2].affiliation == (
        "Dartmouth Hitchcock Medical Center and Clinics, Adult Psychiatry Residency, Lebanon, NH, USA"
    )


def test_real_day_doi_journal_ref_and_primary_category(real_day: FeedResult) -> None:
    with_doi = [item for item in real_day.items if item.doi]
    assert len(with_doi) == 111 and all(item.doi == item.doi.lower() for item in with_doi)
    grid = next(item for item in with_doi if item.doi == "10.1016/j.segan.2024.101477")
    assert grid.journal_ref == "Sustainable Energy, Grids and Networks, Volume 39, 2024, 101477, ISSN 2352-4677"
    assert sum(1 for item in real_day.items if item.journal_ref) == 97
    # Categories keep the feed's order, primary first (not sorted): eess.SP before cs.LG.
    assert any(item.categories[:2] == ("eess.SP", "cs.LG") for item in real_day.items)


def test_real_empty_feed_is_a_quiet_day(recordings: Path) -> None:
    result = parse_feed((recordings / "arxiv_rss" / "rss_test_archive_empty_2024-11-28.xml").read_bytes())
    assert result.items == () and result.quiet and result.feed_date == date(2024, 11, 28)


def test_real_error_feed_is_a_bad_request_naming_the_archive(recordings: Path) -> None:
    body = (recordings / "arxiv_rss" / "rss_bad_archive_astroph_error_2024-11-28.xml").read_bytes()
    with pytest.raises(BadRequest, match="Bad archive 'astroph'"):
        parse_feed(body)


def test_one_broken_item_in_the_real_day_costs_only_that_item(recordings: Path) -> None:
    body = (recordings / "arxiv_rss" / DAY).read_bytes()
    target = b"<title>Equivalent of Non-Trivial Riemann Zeros"
    assert target in body
    broken = body.replace(target, b"<title>Equivalent & <of Non-Trivial Riemann Zeros", 1)
    result = parse_feed(broken)
    assert len(result.items) == 1503 and result.skipped == 1
    assert "2411.17701" not in by_id(result) and "2411.17702" in by_id(result)
    assert result.feed_date == date(2024, 11, 28)


def test_parsing_leaves_the_garbage_collector_on(recordings: Path) -> None:
    parse_feed((recordings / "arxiv_rss" / "rss_test_archive_empty_2024-11-28.xml").read_bytes())
    with pytest.raises(Unavailable):
        parse_feed(b"<rss><channel>")
    assert gc.isenabled()


# ---------------------------------------------------------------- synthetic feeds (present in every clone)


@pytest.fixture(scope="module")
def small(synthetic: Path) -> FeedResult:
    return parse_feed((synthetic / "synthetic_arxiv_rss_small.xml").read_bytes())


def test_synthetic_rss_counts_and_kinds(small: FeedResult) -> None:
    assert small.feed_date == date(2024, 12, 2)
    assert [i.announce_type for i in small.items] == ["new", "cross", "replace", "replace-cross"]
    assert small.skipped == 1  # the item with no arXiv id anywhere
    assert [i.arxiv_id for i in small.new_papers] == ["2412.00101", "2411.19999"]


def test_synthetic_rss_fields(small: FeedResult) -> None:
    survey = by_id(small)["2412.00101"]
    assert survey.title == "Graph Neural Networks & Their Discontents: A Survey"
    assert survey.abstract == "We survey graph neural networks. We find that they are useful <sometimes>."
    assert [a.name for a in survey.authors] == ["José Raúl Romero", "Zoë Ødegård", "李小龙", "Søren Kierkegaard"]
    assert survey.categories == ("stat.ML", "cs.LG", "cs.AI") and survey.primary_category == "stat.ML"
    assert survey.doi == "10.1000/xyz.2024.001"  # the first of two, lower-cased
    assert survey.journal_ref == "Journal of Examples 12 (2024) 101-120"
    kernels = by_id(small)["2411.19999"]
    assert [(a.name, a.affiliation) for a in kernels.authors] == [
        ("José Zaránd", "MIT, Cambridge, MA"),
        ("Cătălin Moca", None),
        ("Przemysław Olbratowski", "University of Warsaw"),
    ]
    assert kernels.versions == (2,) and kernels.doi is None and kernels.journal_ref is None
    replaced = by_id(small)["2409.01234"]
    assert replaced.title == "A Title Broken Over Two Lines" and replaced.versions == (3,)
    assert not replaced.is_new_announcement
    assert [a.name for a in replaced.authors] == ["Kenneth M. Merz Jr.", "Ada Lovelace", "Grace Hopper"]
    old = by_id(small)["hep-th/9901001"]
    assert old.versions == (2,) and old.links["abs"] == "https://arxiv.org/abs/hep-th/9901001"
    assert [a.name for a in old.authors] == ["André Neveu"]  # double-escaped entity


def test_synthetic_atom_variant_reads_like_rss(synthetic: Path, small: FeedResult) -> None:
    atom = parse_feed((synthetic / "synthetic_arxiv_atom_feed.xml").read_bytes())
    assert atom.feed_date == date(2024, 12, 2) and atom.skipped == 0
    assert [i.announce_type for i in atom.items] == ["new", "cross", "replace-cross"]
    rss = by_id(small)
    for item in atom.items:
        twin = rss[item.arxiv_id or ""]
        assert (item.title, item.versions, item.primary_category) == (twin.title, twin.versions, twin.primary_category)
    survey = by_id(atom)["2412.00101"]
    assert survey.doi == "10.1000/xyz.2024.001" and survey.journal_ref == "Journal of Examples 12 (2024) 101-120"
    assert [a.name for a in survey.authors] == ["José Raúl Romero", "Zoë Ødegård"]
    assert by_id(atom)["2411.19999"].authors[0].affiliation == "MIT, Cambridge, MA"


def test_synthetic_empty_and_error_feeds(synthetic: Path) -> None:
    empty = parse_feed((synthetic / "synthetic_arxiv_rss_empty.xml").read_bytes())
    assert empty.items == () and empty.quiet and empty.feed_date == date(2024, 12, 26)
    with pytest.raises(BadRequest, match="Bad archive 'physic'"):
        parse_feed((synthetic / "synthetic_arxiv_rss_error.xml").read_text(encoding="utf-8"))


def test_truncated_feed_is_unavailable_not_a_short_day(synthetic: Path) -> None:
    body = (synthetic / "synthetic_arxiv_rss_small.xml").read_bytes()
    cut = body.index(b"<title>String Dualities")
    with pytest.raises(Unavailable):
        parse_feed(body[:cut])


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("A. Doe, B. Roe and C. Poe", ["A. Doe", "B. Roe", "C. Poe"]),
        ("A. Doe, B. Roe, and C. Poe", ["A. Doe", "B. Roe", "C. Poe"]),
        ("John Smith, Jr., Jane Roe", ["John Smith Jr.", "Jane Roe"]),
        ("A. Doe (Lab (West), Town), B. Roe", ["A. Doe", "B. Roe"]),
        ("A. Doe (unclosed, B. Roe", ["A. Doe", "B. Roe"]),
        ("  Spaced\n  Name ,, ", ["Spaced Name"]),
        ("", []),
    ],
)
def test_author_lists(text: str, names: list[str]) -> None:
    assert [a.name for a in split_authors(text)] == names


def test_tex_accents_do_not_touch_commands_that_are_not_accents() -> None:
    assert tex_to_unicode(r"Jos\'e M\"uller Gro\ss e") == "José Müller Große"
    assert tex_to_unicode(r"\dot x") == r"\dot x"  # a macro, not \d + "ot"


# ---------------------------------------------------------------- fetching, staleness, pacing


async def test_fetch_feed_asks_for_the_joined_categories(synthetic: Path) -> None:
    body = (synthetic / "synthetic_arxiv_rss_small.xml").read_bytes()
    async with serving(sequence(xml(body))) as (hub, calls):
        result = await fetch_feed(hub, ["cs.LG", "stat.ML", "cs.LG"], expected_date=date(2024, 12, 2))
    assert calls.requests[0].url.path == "/rss/cs.LG+stat.ML"
    assert calls.requests[0].headers["User-Agent"].startswith("PaperRadar/")
    assert not result.stale and len(result.items) == 4


async def test_atom_format_is_fetched_from_the_atom_path(synthetic: Path) -> None:
    body = (synthetic / "synthetic_arxiv_atom_feed.xml").read_bytes()
    async with serving(sequence(xml(body))) as (hub, calls):
        result = await fetch_feed(hub, ["cs.LG"], feed_format="atom")
    assert calls.requests[0].url.path == "/atom/cs.LG" and len(result.items) == 3


async def test_a_feed_older_than_expected_is_stale_not_empty(synthetic: Path) -> None:
    body = (synthetic / "synthetic_arxiv_rss_small.xml").read_bytes()
    async with serving(sequence(xml(body))) as (hub, _):
        result = await fetch_feed(hub, ["cs.LG"], expected_date=date(2024, 12, 3))
    assert result.stale and not result.quiet and len(result.items) == 4


async def test_an_empty_stale_feed_is_never_a_quiet_day(synthetic: Path) -> None:
    body = (synthetic / "synthetic_arxiv_rss_empty.xml").read_bytes()
    async with serving(sequence(xml(body))) as (hub, _):
        stale = await fetch_feed(hub, ["cs.LG"], expected_date=date(2024, 12, 27))
        today = await fetch_feed(hub, ["cs.LG"], expected_date=date(2024, 12, 26))
    assert stale.stale and not stale.quiet
    assert today.quiet and not today.stale


async def test_unknown_category_from_arxiv_is_a_bad_request(recordings: Path) -> None:
    body = (recordings / "arxiv_rss" / "rss_bad_archive_astroph_error_2024-11-28.xml").read_bytes()
    async with serving(sequence(xml(body))) as (hub, _):
        with pytest.raises(BadRequest, match="astroph"):
            await fetch_feed(hub, ["astroph"])


@pytest.mark.parametrize("categories", [[], ["cs.LG/../../x"], ["cs LG"], ["cs.LG?x=1"]])
async def test_malformed_categories_are_refused_before_any_request(categories: list[str]) -> None:
    async with serving(sequence(httpx.Response(500))) as (hub, calls):
        with pytest.raises(BadRequest):
            await fetch_feed(hub, categories)
    assert calls.requests == []


def test_feed_path() -> None:
    assert feed_path(["math.GT", "hep-th"], "atom") == "atom/math.GT+hep-th"


async def test_arxiv_requests_are_three_seconds_apart_and_one_at_a_time(synthetic: Path) -> None:
    feed = (synthetic / "synthetic_arxiv_rss_small.xml").read_bytes()
    lookup = (synthetic / "synthetic_arxiv_api_lookup.xml").read_bytes()
    clock = FakeClock()
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        is_feed = request.url.host.startswith("rss.")
        # A feed takes half a second, an API call four; other tasks get the loop meanwhile, so a request
        # wrongly let in while this one is open would show up in `peak`.
        for _ in range(1 if is_feed else 8):
            clock.now += 0.5
            await asyncio.sleep(0)
        in_flight -= 1
        return xml(feed if is_feed else lookup)

    async with serving(handler, clock) as (hub, calls):
        await asyncio.gather(
            fetch_feed(hub, ["cs.LG"]),
            arxiv_api.lookup_ids(hub, ["2401.01234"]),
            fetch_feed(hub, ["stat.ML"]),
            arxiv_api.lookup_ids(hub, ["math/0309136v2"]),
        )
    hosts = {request.url.host for request in calls.requests}
    assert hosts == {"rss.arxiv.test", "export.arxiv.test"} and len(calls.requests) == 4
    assert peak == 1
    # 3 s after a quick feed request; after a slow API call the next one waits for it to finish.
    gaps = [b - a for a, b in zip(calls.started, calls.started[1:], strict=False)]
    assert gaps == [3.0, 4.0, 3.0]


async def test_a_retry_after_from_arxiv_holds_back_every_arxiv_request(synthetic: Path) -> None:
    feed = (synthetic / "synthetic_arxiv_rss_small.xml").read_bytes()
    lookup = (synthetic / "synthetic_arxiv_api_lookup.xml").read_bytes()
    feed_answers = [xml(b"", 503, **{"Retry-After": "20"}), xml(feed)]

    def handler(request: httpx.Request) -> httpx.Response:
        return feed_answers.pop(0) if request.url.host.startswith("rss.") else xml(lookup)

    clock = VirtualClock()
    async with serving(handler, clock) as (hub, calls):
        await clock.run(fetch_feed(hub, ["cs.LG"]), arxiv_api.lookup_ids(hub, ["2401.01234"]))
    hosts = [request.url.host for request in calls.requests]
    assert hosts == ["rss.arxiv.test", "export.arxiv.test", "rss.arxiv.test"]
    # The API call queued behind the refused feed request waits out arXiv's 20 s too.
    assert calls.started[1] - calls.started[0] >= 20.0


def test_a_feed_declaring_an_unknown_encoding_is_unavailable_not_a_crash(synthetic: Path) -> None:
    data = (synthetic / "synthetic_arxiv_rss_small.xml").read_bytes().replace(b"UTF-8", b"TF-8", 1)
    assert b"encoding='TF-8'" in data or b'encoding="TF-8"' in data
    with pytest.raises(Unavailable, match="unknown text encoding"):
        parse_feed(data)
