"""Citations between papers, on real recordings: Semantic Scholar's `/citations` and `/references` edges (with the
citing sentences and intents where it has them) and OpenAlex's `cites:` list with which followed works each cites."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx

from core.digest.citing_sentences import sentence_for
from core.researchers.citations import CitedWork
from core.sources.openalex import OpenAlexSource
from core.sources.semanticscholar import SemanticScholarSource
from tests.sources.cassettes import Cassette, json_response, load_json, make_hub

RECORDED_FIELDS = ("contexts", "intents", "contextsWithIntent", "isInfluential", "abstract", "authors", "citationCount",
                   "citationStyles", "corpusId", "externalIds", "fieldsOfStudy", "influentialCitationCount",
                   "isOpenAccess", "journal", "openAccessPdf", "paperId", "publicationDate", "publicationTypes",
                   "publicationVenue", "referenceCount", "s2FieldsOfStudy", "title", "url", "venue", "year")


def _s2(recordings: Path, name: str) -> tuple[Cassette, SemanticScholarSource]:
    tape = Cassette.load(recordings / "semanticscholar" / f"cassette_test_{name}.yaml")
    return tape, SemanticScholarSource(make_hub(tape.transport).semantic_scholar)


async def test_references_with_contexts_and_intents_page_by_page(recordings: Path) -> None:
    tape, source = _s2(recordings, "get_paper_references__contexts_intents_2023-12")
    listing = await source.citation_edges("CorpusID:1033682", "references", fields=RECORDED_FIELDS, max_items=500)
    assert tape.all_used and listing.error is None
    with_contexts = [e for e in listing.items if e.contexts]
    assert len(listing.items) == 156 and listing.pages == 2 and len(with_contexts) == 36
    assert all(e.other.title for e in listing.items)
    assert {i for e in listing.items for i in e.intents} <= {"background", "methodology", "result"}
    # The sentence a digest line quotes is found by the cited paper's DOI, or else its title.
    edge = next(e for e in with_contexts if e.other.doi)
    by_doi = CitedWork("W1", "a title S2 spells otherwise", 2001, doi=edge.other.doi)
    sentence, intent = sentence_for(listing.items, [by_doi])
    assert sentence and edge.contexts[0].startswith(sentence.rstrip("…")[:40])
    assert intent == (edge.intents[0] if edge.intents else "")
    assert sentence_for(listing.items, [CitedWork("W2", "No such paper in this bibliography", 2001)]) == ("", "")


async def test_citations_pages_carry_the_citing_papers(recordings: Path) -> None:
    tape, source = _s2(recordings, "get_paper_citations")
    listing = await source.citation_edges("CorpusID:14514057", "citations", fields=("title",), max_items=100)
    assert len(listing.items) == 100 and listing.truncated and not tape.all_used  # one page was enough
    assert listing.items[0].other.title.startswith("We’ve got you covered!")
    assert not any(e.contexts for e in listing.items)  # asked for titles only
    first = tape.requests[0]
    assert first.url.path.endswith("/paper/CorpusID:14514057/citations") and first.url.params["limit"] == "100"


async def test_the_citing_sentence_of_the_upstream_citation_item(recordings: Path) -> None:
    item = load_json(recordings / "semanticscholar" / "Citation.json")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response({"offset": 0, "data": [item]})

    source = SemanticScholarSource(make_hub(handler).semantic_scholar)
    listing = await source.citation_edges("10.1109/LRA.2022.3229266", "citations")
    (edge,) = listing.items
    assert edge.other.doi == "10.1109/lra.2022.3229266" and len(edge.contexts) == 4
    assert edge.intents == ("result", "background", "methodology")
    assert seen[0].url.path.endswith("/paper/DOI:10.1109/lra.2022.3229266/citations")
    assert seen[0].url.params["fields"] == "contexts,intents,title,externalIds"


async def test_openalex_citing_works_say_which_followed_work_they_cite(recordings: Path) -> None:
    body = load_json(recordings / "openalex" / "list_works_filter_cites_W2741809807_per_page50.wrapper.json")["data"]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> Any:
        seen.append(request)
        return json_response(body)

    source = OpenAlexSource(make_hub(handler).openalex)
    found, total = await source.citing_works(["W2741809807", "W4000000777"], date(2025, 10, 28), per_page=25)
    assert total == 1021 and len(found) == 50
    assert all(cites == frozenset({"W2741809807"}) for _, cites in found)
    (request,) = seen
    assert request.url.params["filter"] == "cites:W2741809807|W4000000777,from_publication_date:2025-10-28"
    assert request.url.params["per_page"] == "25" and request.url.params["sort"] == "publication_date:desc"
