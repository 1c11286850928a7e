"""`paper` with what people paste (issue 21): arXiv's own DOI, DOIs inside links, OpenAlex and Semantic Scholar
ids, titles that are not on arXiv, papers already stored, and versions that do not exist. Through `radar ask`'s
path (the console channel), on recorded answers where one exists and small in-test bodies where none does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.model.papers import AuthorRef, PaperRecord
from core.storage import repos
from core.views import PaperCard, PickList, Problem
from tests.fakes import SourceRouter, ask_text, read_json
from tests.sources.cassettes import Cassette

ATOM = {"content-type": "application/atom+xml"}
NOT_FOUND = httpx.Response(404, json={"error": "Paper not found"})


def _arxiv(recordings: Path, name: str) -> httpx.Response:
    return httpx.Response(200, content=(recordings / "arxiv_api" / name).read_bytes(), headers=ATOM)


def _extras_missing(router: SourceRouter) -> SourceRouter:
    """Semantic Scholar and Hugging Face know nothing extra: the card is arXiv's alone."""
    router.add("semantic_scholar", "/graph/v1/paper/", NOT_FOUND)
    router.add("huggingface", "/api/papers/", httpx.Response(404, json={"error": "not found"}))
    return router


AEW10 = "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.xml"  # the recording that holds 1707.08567v1


@pytest.mark.parametrize("pasted", ["10.48550/arXiv.1707.08567", "doi:10.48550/arXiv.1707.08567",
                                    "https://doi.org/10.48550/arXiv.1707.08567"])
async def test_arxivs_own_doi_goes_straight_to_arxiv(app_factory: Any, recordings: Path, pasted: str) -> None:
    router = _extras_missing(SourceRouter().add("arxiv_api", "/api/query", _arxiv(recordings, AEW10)))
    view, text = await ask_text(app_factory(router), f"paper {pasted}")
    assert isinstance(view, PaperCard), text
    assert view.canonical_id == "arXiv:1707.08567" and view.title.startswith("Proceedings of Workshop AEW10")
    assert router.calls("arxiv_api")[0].url.params["id_list"] == "1707.08567"
    # Not asked of the DOI sources first: arXiv is the one that has it.
    assert not [r for r in router.calls("semantic_scholar") if "DOI:" in str(r.url)]


def _turing(recordings: Path) -> httpx.Response:
    recorded = Cassette.load(recordings / "semanticscholar" / "cassette_test_get_paper.yaml").interactions[0]
    return httpx.Response(recorded.status, content=recorded.body, headers=recorded.headers)


@pytest.mark.parametrize("link", [
    "https://academic.oup.com/mind/article-lookup/doi/10.1093/mind/LIX.236.433",
    "https://www.jstor.org/stable/10.1093/mind/LIX.236.433?seq=1#metadata",
])
async def test_a_link_with_a_doi_is_looked_up_by_that_doi(app_factory: Any, recordings: Path, link: str) -> None:
    router = SourceRouter().add("semantic_scholar", "/graph/v1/paper/", _turing(recordings))
    view, text = await ask_text(app_factory(router), f"paper {link}")
    assert isinstance(view, PaperCard) and view.title == "Computing Machinery and Intelligence", text
    assert router.requests[0].url.path.endswith("/paper/DOI:10.1093/mind/lix.236.433")


async def test_biorxiv_and_medrxiv_links_are_looked_up_by_their_doi(app_factory: Any) -> None:
    body = {"paperId": "b" * 40, "externalIds": {"DOI": "10.1101/2020.03.22.002386"},
            "title": "A SARS-CoV-2 protein interaction map", "authors": [{"authorId": "1", "name": "D. Gordon"}]}
    router = SourceRouter().add("semantic_scholar", "/graph/v1/paper/", body)
    app = app_factory(router)
    for link in ("https://www.biorxiv.org/content/10.1101/2020.03.22.002386v3",
                 "https://www.biorxiv.org/content/10.1101/2020.03.22.002386v3.full.pdf",
                 "https://www.medrxiv.org/content/10.1101/2020.03.22.002386v1.full"):
        view, text = await ask_text(app, f"paper {link}")
        assert isinstance(view, PaperCard) and view.doi == "10.1101/2020.03.22.002386", text
    assert router.requests[0].url.path.endswith("/paper/DOI:10.1101/2020.03.22.002386")


@pytest.mark.parametrize("pasted", ["W2741809807", "https://openalex.org/W2741809807",
                                    "https://api.openalex.org/works/W2741809807"])
async def test_openalex_work_ids_and_links(app_factory: Any, recordings: Path, pasted: str) -> None:
    router = SourceRouter().add("openalex", "/works/W2741809807",
                                read_json(recordings / "openalex" / "single_work_mmgeorge.json"))
    view, text = await ask_text(app_factory(router, openalex_api_key="test-key"), f"paper {pasted}")
    assert isinstance(view, PaperCard), text
    assert view.title.startswith("The state of OA") and view.doi == "10.7717/peerj.4375"
    assert "Sources: OpenAlex" in text


@pytest.mark.parametrize(("pasted", "asked"), [
    ("CorpusID:215416146", "/paper/CorpusId:215416146"),
    ("https://api.semanticscholar.org/CorpusID:215416146", "/paper/CorpusId:215416146"),
    ("https://www.semanticscholar.org/paper/Some-Title-Ann/" + "c" * 40, "/paper/" + "c" * 40),
    ("c" * 40, "/paper/" + "c" * 40),
])
async def test_semantic_scholar_ids_and_links(app_factory: Any, synthetic: Path, pasted: str, asked: str) -> None:
    router = SourceRouter().add("semantic_scholar", "/graph/v1/paper/",
                                read_json(synthetic / "synthetic_s2_paper_arxiv.json"))
    view, text = await ask_text(app_factory(router), f"paper {pasted}")
    assert isinstance(view, PaperCard) and view.title == "Sparse Transport for Graph Neural Networks", text
    assert router.requests[0].url.path.endswith(asked)
    assert "Sources: Semantic Scholar" in text  # one spelling of source names, not "semanticscholar"


def _no_arxiv_match(recordings: Path) -> SourceRouter:
    return SourceRouter().add("arxiv_api", "/api/query", _arxiv(recordings, "id_0000.0000_s0_m100_8b51d9633a68.xml"))


async def test_a_title_not_on_arxiv_is_found_in_openalex(app_factory: Any, recordings: Path) -> None:
    router = _no_arxiv_match(recordings)
    router.add("semantic_scholar", "/graph/v1/paper/search/match", httpx.Response(404, json={"error": "Title match not found"}))
    router.add("openalex", "/works", read_json(recordings / "openalex" / "list_works_search_ml_public_health_per_page200.json"))
    view, text = await ask_text(app_factory(router, openalex_api_key="test-key"), "paper Machine learning and public health")
    assert isinstance(view, PaperCard), text
    assert view.title == "Machine learning and public health" and view.doi == "10.4324/9781315675411-16"
    assert router.calls("openalex", "/works")[0].url.params["search"] == "Machine learning and public health"


async def test_a_title_is_matched_by_semantic_scholar(app_factory: Any, recordings: Path) -> None:
    router = _no_arxiv_match(recordings)
    match = {"data": [{"paperId": "d" * 40, "externalIds": {"DOI": "10.1093/mind/LIX.236.433"},
                       "title": "Computing Machinery and Intelligence", "matchScore": 212.3,
                       "authors": [{"authorId": "2262347", "name": "A. Turing"}]}]}
    router.add("semantic_scholar", "/graph/v1/paper/search/match", match)
    view, text = await ask_text(app_factory(router), "paper computing machinery and intelligence")
    assert isinstance(view, PaperCard) and view.doi == "10.1093/mind/lix.236.433", text
    assert router.calls("semantic_scholar")[0].url.params["query"] == "computing machinery and intelligence"


async def test_several_close_titles_give_a_pick_list_best_first(app_factory: Any, recordings: Path) -> None:
    def work(n: int, title: str, doi: str) -> dict[str, Any]:
        return {"id": f"https://openalex.org/W{n}", "doi": f"https://doi.org/{doi}", "title": title,
                "publication_year": 2016, "publication_date": "2016-06-01",
                "authorships": [{"author": {"display_name": "Kaiming He"}}]}

    router = _no_arxiv_match(recordings)
    router.add("semantic_scholar", "/graph/v1/paper/search/match", httpx.Response(404, json={"error": "Title match not found"}))
    router.add("openalex", "/works", {"meta": {"count": 3}, "results": [
        work(11, "Deep Residual Learning for Image Recognition", "10.1109/cvpr.2016.90"),
        work(12, "Deep residual learning for image recognition.", "10.5555/residual"),
        work(13, "Residual networks for speech", "10.5555/speech"),
    ]})
    view, text = await ask_text(app_factory(router, openalex_api_key="test-key"),
                                "paper Deep Residual Learning for Image Recognition")
    assert isinstance(view, PickList) and view.action == "paper", text
    assert [c.key for c in view.candidates] == ["10.1109/cvpr.2016.90", "10.5555/residual"]
    assert "Several papers match" in text and "[10.1109/cvpr.2016.90]" in text and "paper <id>" in text
    assert "Kaiming He" in text and "2016" in text


async def _store(app: Any, record: PaperRecord) -> None:
    async with app.db.session() as session:
        await repos.upsert_papers(session, [record])
        await session.commit()


STORED = PaperRecord(title="A paper from this morning's digest", arxiv_id="2411.00042", versions=(1,),
                     abstract="Announced today, not yet in arXiv's search index.", authors=(AuthorRef("Ada Lovelace"),),
                     categories=("cs.LG",), sources=("arxiv",))


@pytest.mark.parametrize("answer", [httpx.Response(503), "empty"])
async def test_a_stored_paper_is_found_when_arxiv_does_not_answer(app_factory: Any, recordings: Path,
                                                                  answer: Any) -> None:
    if answer == "empty":  # arXiv's query index lags the announcements: it answers, without the paper
        answer = _arxiv(recordings, "id_0000.0000_s0_m100_8b51d9633a68.xml")
    router = SourceRouter().add("arxiv_api", "/api/query", answer)
    app = app_factory(router, now=datetime(2024, 11, 28, 12, 0, tzinfo=UTC))
    await _store(app, STORED)
    view, text = await ask_text(app, "paper https://arxiv.org/abs/2411.00042")
    assert isinstance(view, PaperCard) and view.title == STORED.title, text
    assert view.note and "stored" in view.note and "Note:" in text and "Ada Lovelace" in text


async def test_a_missing_version_offers_the_latest(app_factory: Any, recordings: Path) -> None:
    router = _extras_missing(SourceRouter().add("arxiv_api", "/api/query", _arxiv(recordings, AEW10)))
    view, text = await ask_text(app_factory(router), "paper 1707.08567v2")
    assert isinstance(view, PaperCard), text
    assert view.note == "arXiv has no version 2 of 1707.08567; this is the latest, v1."
    assert "this is the latest, v1" in text and view.abs_url == "https://arxiv.org/abs/1707.08567"


async def test_an_unknown_id_with_nothing_stored_is_still_not_found(app_factory: Any, recordings: Path) -> None:
    router = SourceRouter().add("arxiv_api", "/api/query", _arxiv(recordings, "id_0000.0000_s0_m100_8b51d9633a68.xml"))
    view, _ = await ask_text(app_factory(router), "paper 2401.99999v3")
    assert isinstance(view, Problem) and view.code == "not_found"
