"""`paper <arXiv id | arXiv link | DOI | doi.org link | title>`: find the paper and assemble its card.

arXiv answers for arXiv ids and titles; OpenAlex (with a key) or Semantic Scholar answer for DOIs. Citation
counts and code links are extras: a source that fails there only leaves the field empty.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta
from difflib import SequenceMatcher

from core.app import App
from core.ids import InvalidId, is_arxiv_id, normalize_doi, parse_arxiv_id
from core.model.papers import PaperRecord, merge_records, record_from_json, record_to_json
from core.sources import arxiv_api
from core.sources.http import NotFound, RateLimited, SourceError, Unavailable
from core.sources.huggingface import HuggingFaceSource
from core.sources.openalex import OpenAlexSource
from core.sources.semanticscholar import SemanticScholarSource
from core.sources.timing import deadline
from core.storage import repos
from core.views import PaperCard, Problem

log = logging.getLogger(__name__)
SHOWN_AUTHORS = 4
SNIPPET = 600
MAX_TITLE_QUERY = 300
EXTRAS_SHARE = 0.25  # of the lookup's deadline, for each optional extra (citations, code links)
FIRST_OF_TWO_SHARE = 0.5  # of the lookup's deadline, for a source with a fallback behind it


def _cache_key(kind: str, value: str) -> str:
    return f"paper:{kind}:{value.lower()[:300]}"


def classify(query: str) -> tuple[str, str]:
    """('arxiv', base id with version) | ('doi', doi) | ('title', text)."""
    text = query.strip()
    if is_arxiv_id(text):
        return "arxiv", str(parse_arxiv_id(text))
    try:
        return "doi", normalize_doi(text)
    except InvalidId:
        pass
    return "title", " ".join(text.split())


async def _by_arxiv(app: App, arxiv_id: str) -> PaperRecord:
    record = await arxiv_api.lookup_id(app.sources, arxiv_id)
    # Citations and code links are extras: a failing source must not cost the user the card, nor may a slow
    # one spend the whole lookup's time (each gets a share of it).
    extras_s = app.settings.lookup_deadline_s * EXTRAS_SHARE
    try:
        with deadline(extras_s):
            s2 = await SemanticScholarSource(app.sources.semantic_scholar).paper_by_arxiv(record.arxiv_id or arxiv_id)
        record = merge_records(record, s2)
    except SourceError as error:
        log.info("no Semantic Scholar extras for %s: %s", arxiv_id, error)
    try:
        with deadline(extras_s):
            page = await HuggingFaceSource(app.sources.huggingface).paper_page(record.arxiv_id or arxiv_id)
        if page is not None:
            record = merge_records(record, page.paper)
    except SourceError as error:
        log.info("no Hugging Face extras for %s: %s", arxiv_id, error)
    return record


async def _by_doi(app: App, doi: str) -> PaperRecord:
    errors: list[SourceError] = []
    # A source may answer without echoing the DOI; we asked by it, so the record keeps it.
    if app.settings.openalex_api_key is not None:
        try:
            with deadline(app.settings.lookup_deadline_s * FIRST_OF_TWO_SHARE):  # time left for the fallback
                return replace(await OpenAlexSource(app.sources.openalex).work(doi), doi=doi)
        except (RateLimited, Unavailable, NotFound) as error:
            errors.append(error)
    try:
        return replace(await SemanticScholarSource(app.sources.semantic_scholar).paper_by_doi(doi), doi=doi)
    except (RateLimited, Unavailable, NotFound) as error:
        errors.append(error)
    if all(isinstance(e, NotFound) for e in errors):
        raise NotFound("Paper Radar", f"no source knows the DOI {doi}")
    raise next(e for e in errors if not isinstance(e, NotFound))


def _similarity(a: str, b: str) -> float:
    norm = lambda s: re.sub(r"[^0-9a-z]+", " ", s.lower()).strip()  # noqa: E731
    return SequenceMatcher(None, norm(a), norm(b)).ratio()


async def _by_title(app: App, title: str) -> PaperRecord:
    result = await arxiv_api.search(app.sources, title=title, max_results=5, page_size=5, sort_by="relevance")
    best = max(result.records, key=lambda r: _similarity(r.title, title), default=None)
    if best is None or _similarity(best.title, title) < 0.6:
        raise NotFound("arXiv", f"no arXiv paper has a title like “{title[:120]}”")
    return await _by_arxiv(app, best.arxiv_id or "")


def card(record: PaperRecord) -> PaperCard:
    names = [a.name for a in record.authors]
    abstract = record.abstract
    if len(abstract) > SNIPPET:
        abstract = abstract[:SNIPPET].rsplit(" ", 1)[0] + "…"
    day = record.announced or (record.published.date() if record.published else None)
    first = record.authors[0] if record.authors else None
    return PaperCard(
        title=record.title,
        canonical_id=record.canonical_id,
        authors=tuple(names[:SHOWN_AUTHORS]),
        more_authors=max(0, len(names) - SHOWN_AUTHORS),
        date=day,
        categories=record.categories,
        abstract=abstract,
        abs_url=record.abs_url,
        pdf_url=record.pdf_url,
        doi=record.doi,
        venue=record.venue or record.journal_ref,
        citation_count=record.citation_count,
        code_url=record.links.get("code"),
        sources=record.sources,
        first_author_key=(first.openalex_id or first.orcid) if first else None,
    )


async def lookup_paper(app: App, query: str) -> PaperCard | Problem:
    kind, value = classify(query)
    if kind == "title" and len(value) > MAX_TITLE_QUERY:
        return Problem("That is too long for a title", f"Titles are searched up to {MAX_TITLE_QUERY} characters.",
                       "Paste the arXiv id, the DOI or the link instead.", code="limit")
    if kind == "title" and len(value) < 8:
        return Problem("Which paper?", f"`{value}` is not an arXiv id, a DOI or a link, and too short to search as a title.",
                       "Try `paper 1706.03762`, `paper 10.1038/nphys1170` or a full title.", code="usage")
    key = _cache_key(kind, value)
    ttl = timedelta(hours=app.settings.lookup_ttl_hours)
    async with app.db.session() as session:
        cached = await repos.cache_get(session, key, now=app.now())
    if cached is not None:
        return card(record_from_json(cached))
    try:
        if kind == "arxiv":
            record = await _by_arxiv(app, value)
        elif kind == "doi":
            record = await _by_doi(app, value)
        else:
            record = await _by_title(app, value)
    except NotFound as error:
        return Problem("Paper not found", f"{error.message[:1].upper()}{error.message[1:]}.",
                       "Check the id, or paste the arXiv link or DOI.", code="not_found")
    async with app.db.session() as session:
        await repos.cache_put(session, key, record_to_json(record), ttl, now=app.now())
        await repos.upsert_papers(session, [record])
        await session.commit()
    return card(record)
