"""`paper` and `trending` as a channel sees them, on recorded arXiv, Semantic Scholar and Hugging Face answers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from core.views import PaperCard, Problem, TrendingView
from tests.fakes import SourceRouter, ask_text, read_json
from tests.sources.cassettes import Cassette


def _arxiv(recordings: Path, name: str) -> httpx.Response:
    return httpx.Response(200, content=(recordings / "arxiv_api" / name).read_bytes(),
                          headers={"content-type": "application/atom+xml"})


def _router(recordings: Path, synthetic: Path) -> SourceRouter:
    router = SourceRouter()
    router.add("arxiv_api", "/api/query", _arxiv(recordings, "id_1605.08386_s0_m100_199195aa31ad.xml"))
    router.add("semantic_scholar", "/graph/v1/paper/", httpx.Response(404, json={"error": "Paper not found"}))
    router.add("huggingface", "/api/papers/", read_json(synthetic / "synthetic_hf_paper_page.json"))
    return router


async def test_paper_by_arxiv_link_shows_card_with_code(app_factory, recordings: Path, synthetic: Path) -> None:  # type: ignore[no-untyped-def]
    router = _router(recordings, synthetic)
    app = app_factory(router)
    view, text = await ask_text(app, "paper https://arxiv.org/abs/1605.08386")
    assert isinstance(view, PaperCard)
    assert view.title == "Heat-bath random walks with Markov bases"
    assert "Caprice Stanley" in view.authors
    assert view.abs_url == "https://arxiv.org/abs/1605.08386" and view.pdf_url == "https://arxiv.org/pdf/1605.08386"
    assert view.code_url == "https://github.com/example/markov-bases"
    assert "Code: https://github.com/example/markov-bases" in text and "math.CO" in text
    assert router.calls("arxiv_api")[0].url.params["id_list"] == "1605.08386"
    # The second lookup comes from the cache: no source is asked again.
    before = len(router.requests)
    again, _ = await ask_text(app, "paper arXiv:1605.08386")
    assert isinstance(again, PaperCard) and again.title == view.title
    assert len(router.requests) == before


async def test_paper_extras_failing_still_gives_a_card(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = SourceRouter()
    router.add("arxiv_api", "/api/query", _arxiv(recordings, "id_1605.08386_s0_m100_199195aa31ad.xml"))
    router.add("semantic_scholar", "/", httpx.Response(503))
    router.add("huggingface", "/", httpx.Response(500))
    view, _ = await ask_text(app_factory(router), "paper 1605.08386v1")
    assert isinstance(view, PaperCard) and view.code_url is None and view.citation_count is None


async def test_unknown_arxiv_id_is_not_found(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = SourceRouter().add("arxiv_api", "/api/query", _arxiv(recordings, "id_0000.0000_s0_m100_8b51d9633a68.xml"))
    view, text = await ask_text(app_factory(router), "paper 2401.99999")
    assert isinstance(view, Problem) and view.code == "not_found"
    assert "2401.99999" in text and "Traceback" not in text


async def test_paper_by_doi_through_semantic_scholar(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    # The recording asked by bare DOI; we ask with S2's explicit DOI: prefix, which S2 answers the same way.
    cassette = Cassette.load(recordings / "semanticscholar" / "cassette_test_get_paper.yaml")
    recorded = cassette.interactions[0]
    assert recorded.path.endswith("/paper/10.1093/mind/lix.236.433")
    router = SourceRouter().add("semantic_scholar", "/graph/v1/paper/",
                                httpx.Response(recorded.status, content=recorded.body, headers=recorded.headers))
    view, _ = await ask_text(app_factory(router), "paper https://doi.org/10.1093/mind/LIX.236.433")
    assert isinstance(view, PaperCard) and view.title == "Computing Machinery and Intelligence"
    assert "/paper/DOI:10.1093/mind/lix.236.433" in str(router.requests[0].url)


async def test_paper_by_title(app_factory, recordings: Path, synthetic: Path) -> None:  # type: ignore[no-untyped-def]
    router = _router(recordings, synthetic)
    view, _ = await ask_text(app_factory(router), "paper Heat-bath random walks with Markov bases")
    assert isinstance(view, PaperCard) and view.canonical_id == "arXiv:1605.08386"
    assert 'ti:"Heat-bath random walks with Markov bases"' in router.calls("arxiv_api")[0].url.params["search_query"]


async def test_paper_source_down_is_friendly(app_factory) -> None:  # type: ignore[no-untyped-def]
    router = SourceRouter().add("arxiv_api", "/", httpx.Response(503))
    view, text = await ask_text(app_factory(router), "paper 1706.03762")
    assert isinstance(view, Problem) and view.code == "source_down" and "arXiv" in text


async def test_paper_junk(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = SourceRouter().add("arxiv_api", "/api/query", _arxiv(recordings, "id_0000.0000_s0_m100_8b51d9633a68.xml"))
    # A title arXiv lacks is asked of Semantic Scholar's title match too, which finds nothing either.
    router.add("semantic_scholar", "/graph/v1/paper/search/match", httpx.Response(404, json={"error": "Title match not found"}))
    app = app_factory(router)
    view, _ = await ask_text(app, "paper x")
    assert isinstance(view, Problem) and view.code == "usage"
    view, _ = await ask_text(app, "paper <!channel> @everyone")
    assert isinstance(view, Problem) and view.code == "not_found" and "<!channel>" in view.detail
    view, _ = await ask_text(app, "paper " + "a" * 2000)
    assert isinstance(view, Problem) and view.code == "limit"


async def test_trending_by_upvotes(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    body = read_json(recordings / "hf_daily_papers" / "daily_papers_date_2026-08-21.json")
    router = SourceRouter().add("huggingface", "/api/daily_papers", body)
    app = app_factory(router, now=datetime(2026, 8, 22, 9, 0, tzinfo=UTC))
    view, text = await ask_text(app, "trending 2026-08-21")
    assert isinstance(view, TrendingView) and view.day == date(2026, 8, 21)
    upvotes = [item.upvotes for item in view.items]
    assert upvotes == sorted(upvotes, reverse=True) and upvotes[0] == 163
    assert view.items[0].code_url == "https://github.com/google-research/envharness"
    assert router.requests[0].url.params["date"] == "2026-08-21"
    assert "Trending on Hugging Face, 2026-08-21" in text and "▲163" in text
    await ask_text(app, "trending 2026-08-21")
    assert len(router.requests) == 1  # cached


async def test_trending_future_and_quiet_days(app_factory) -> None:  # type: ignore[no-untyped-def]
    router = SourceRouter().add("huggingface", "/api/daily_papers", [])
    app = app_factory(router)
    view, text = await ask_text(app, "trending 2030-01-01")
    assert isinstance(view, Problem) and "future" in text
    view, text = await ask_text(app, "trending 2024-11-24")
    assert isinstance(view, TrendingView) and view.items == () and "No Hugging Face daily papers" in text


async def test_paper_card_shows_summary_code_stars_project_and_venue(
        app_factory, recordings: Path, synthetic: Path) -> None:  # type: ignore[no-untyped-def]
    router = _router(recordings, synthetic)
    router.add("huggingface", "/api/papers/", read_json(synthetic / "synthetic_hf_paper_page_summary.json"))
    view, text = await ask_text(app_factory(router), "paper 1605.08386")
    assert isinstance(view, PaperCard)
    assert view.summary.startswith("Heat-bath random walks on fibers mix fast") and view.summary_source == "Hugging Face"
    flat = " ".join(text.split())  # the console wraps long lines
    assert "TL;DR: Heat-bath random walks on fibers mix fast when the Markov basis is augmented. (Hugging Face)" in flat
    assert "Code (1,204★): https://github.com/example/markov-bases" in text
    assert "Project page: https://example.org/markov" in text
    # Semantic Scholar was asked for its TL;DR too.
    assert "tldr" in router.calls("semantic_scholar")[0].url.params["fields"].split(",")


async def test_paper_card_venue_from_the_journal_reference_and_tldr(
        app_factory, recordings: Path, synthetic: Path) -> None:  # type: ignore[no-untyped-def]
    router = SourceRouter()
    router.add("arxiv_api", "/api/query", _arxiv(recordings, "id_1111.2011v2_2016.xml"))
    router.add("semantic_scholar", "/graph/v1/paper/", read_json(synthetic / "synthetic_s2_paper_tldr.json"))
    router.add("huggingface", "/api/papers/", httpx.Response(404, json={"error": "not found"}))
    view, text = await ask_text(app_factory(router), "paper 1111.2011v2")
    assert isinstance(view, PaperCard)
    assert view.venue == "published in Phys. Rev. B"  # from "Phys. Rev. B 85, 115117 (2012)"
    assert view.summary_source == "Semantic Scholar" and "TL;DR: Vortices in a two-dimensional superfluid" in text
    assert view.code_url is None
