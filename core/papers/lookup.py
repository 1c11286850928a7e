"""`paper <arXiv id | DOI | link | OpenAlex or Semantic Scholar id | title>`: find the paper, assemble its card.

arXiv answers for arXiv ids (arXiv's own DOI 10.48550/arXiv.<id> included) and titles; OpenAlex (with a key)
or Semantic Scholar answer for DOIs, including the DOI inside a bioRxiv, medRxiv or publisher link; OpenAlex
work ids go to OpenAlex, Semantic Scholar ids and `CorpusID:` to Semantic Scholar. A title arXiv does not have
is searched in the other sources (core/papers/search.py). Citation counts and code links are extras: a source
that fails there only leaves the field empty. A paper Paper Radar already stored (from a digest) is shown
from the database when a source does not answer, and a version that does not exist offers the latest one.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from core.app import App
from core.ids import (
    InvalidId,
    arxiv_id_from_doi,
    doi_in_link,
    is_arxiv_id,
    normalize_doi,
    normalize_openalex_work,
    normalize_s2_paper_id,
    parse_arxiv_id,
)
from core.model.extras import SUMMARY_SOURCES, paper_extras
from core.model.papers import PaperRecord, merge_records, record_from_json, record_to_json
from core.papers.search import find_by_title
from core.sources import arxiv_api
from core.sources.http import NotFound, RateLimited, SourceError, Unavailable
from core.sources.huggingface import HuggingFaceSource
from core.sources.openalex import OpenAlexSource
from core.sources.semanticscholar import PAPER_FIELDS, SemanticScholarSource
from core.sources.timing import deadline
from core.storage import repos
from core.views import Candidate, PaperCard, PickList, Problem

log = logging.getLogger(__name__)
SHOWN_AUTHORS = 4
SNIPPET = 600
MAX_TITLE_QUERY = 300
EXTRAS_SHARE = 0.25  # of the lookup's deadline, for each optional extra (citations, code links)
FIRST_OF_TWO_SHARE = 0.5  # of the lookup's deadline, for a source with a fallback behind it


def _cache_key(kind: str, value: str) -> str:
    return f"paper:{kind}:{value.lower()[:300]}"


def _as_doi(text: str) -> str | None:
    try:
        return normalize_doi(text)
    except InvalidId:
        return doi_in_link(text)


def classify(query: str) -> tuple[str, str]:
    """('arxiv', id with version) | ('doi', doi) | ('openalex', W id) | ('s2', S2 id) | ('title', text)."""
    text = query.strip()
    if is_arxiv_id(text):
        return "arxiv", str(parse_arxiv_id(text))
    doi = _as_doi(text)
    if doi is not None:
        arxiv = arxiv_id_from_doi(doi)
        return ("arxiv", str(arxiv)) if arxiv else ("doi", doi)
    for kind, parse in (("openalex", normalize_openalex_work), ("s2", normalize_s2_paper_id)):
        try:
            return kind, parse(text)
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
            s2 = await SemanticScholarSource(app.sources.semantic_scholar).paper_by_arxiv(
                record.arxiv_id or arxiv_id, fields=(*PAPER_FIELDS, "tldr"))
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


async def _by_id(app: App, kind: str, value: str) -> PaperRecord:
    """A paper by an id of one source: only that source knows it (OpenAlex's singleton gets are free)."""
    if kind == "openalex":
        return await OpenAlexSource(app.sources.openalex).work(value)
    return await SemanticScholarSource(app.sources.semantic_scholar).paper(value)


def _stored_key(kind: str, value: str) -> str | None:
    """The id Paper Radar stores this paper under, when the pasted id says it."""
    if kind == "arxiv":
        return f"arXiv:{parse_arxiv_id(value).base}"
    return f"doi:{value}" if kind == "doi" else None


async def _stored(app: App, kind: str, value: str) -> PaperRecord | None:
    key = _stored_key(kind, value)
    if key is None:
        return None
    async with app.db.session() as session:
        row = await repos.get_paper(session, key)
        return repos.row_to_record(row) if row is not None else None


def _card_id(record: PaperRecord) -> str:
    """The dedupe key when the paper has one; else the id of the source that knows it."""
    try:
        return record.canonical_id
    except InvalidId:
        return f"openalex:{record.openalex_id}" if record.openalex_id else f"s2:{record.s2_id or '?'}"


def _paste_key(record: PaperRecord) -> str:
    """What `paper <key>` takes to show exactly this paper."""
    if record.arxiv_id:
        return record.arxiv_id
    return record.doi or record.openalex_id or (f"CorpusId:{record.s2_id}" if record.s2_id and record.s2_id.isdigit()
                                                else record.s2_id or record.title)


def card(record: PaperRecord, note: str | None = None) -> PaperCard:
    names = [a.name for a in record.authors]
    abstract = record.abstract
    if len(abstract) > SNIPPET:
        abstract = abstract[:SNIPPET].rsplit(" ", 1)[0] + "…"
    day = record.announced or (record.published.date() if record.published else None)
    first = record.authors[0] if record.authors else None
    extras = paper_extras(record)
    return PaperCard(
        title=record.title,
        canonical_id=_card_id(record),
        authors=tuple(names[:SHOWN_AUTHORS]),
        more_authors=max(0, len(names) - SHOWN_AUTHORS),
        date=day,
        categories=record.categories,
        abstract=abstract,
        abs_url=record.abs_url or record.links.get("openalex") or record.links.get("semanticscholar"),
        pdf_url=record.pdf_url,
        doi=record.doi,
        venue=extras.venue_phrase or None,
        citation_count=record.citation_count,
        code_url=extras.code_url,
        sources=record.sources,
        first_author_key=(first.openalex_id or first.orcid) if first else None,
        note=note,
        summary=extras.summary if extras.summary_source != "abstract" else "",  # the abstract is on the card
        summary_source=SUMMARY_SOURCES.get(extras.summary_source, ""),
        code_stars=extras.code_stars,
        project_url=extras.project_url,
    )


def choices(title: str, records: list[PaperRecord]) -> PickList:
    """Several papers have a title close to the one asked for: each with what tells them apart."""
    candidates = []
    for number, record in enumerate(records, 1):
        names = [a.name for a in record.authors]
        authors = ", ".join(names[:2]) + (" et al." if len(names) > 2 else "")
        year = record.published.year if record.published else (record.announced.year if record.announced else None)
        candidates.append(Candidate(
            number=number, name=record.title, institution=", ".join(p for p in (authors, str(year or "")) if p) or None,
            works_count=None, main_topic=record.venue or record.journal_ref, key=_paste_key(record)))
    return PickList(query=title, action="paper", candidates=tuple(candidates))


async def _latest_instead(app: App, value: str) -> PaperCard | None:
    """`1707.08567v2` when only v1 exists: the latest version, saying so; None when the paper is unknown too."""
    asked = parse_arxiv_id(value)
    if asked.version is None:
        return None
    try:
        record = await _by_arxiv(app, asked.base)
    except SourceError:
        return None
    latest = record.latest_version
    return card(record, note=f"arXiv has no version {asked.version} of {asked.base}; this is the latest"
                             + (f", v{latest}." if latest else "."))


def _stored_note(error: SourceError) -> str:
    if isinstance(error, NotFound):
        return (f"{error.source} does not list it yet (its index lags the announcements); this is what Paper Radar "
                "stored when the paper arrived.")
    return f"{error.source} did not answer just now; this is what Paper Radar stored when the paper arrived."


async def _find(app: App, kind: str, value: str) -> PaperRecord | list[PaperRecord]:
    if kind == "arxiv":
        return await _by_arxiv(app, value)
    if kind == "doi":
        return await _by_doi(app, value)
    if kind in ("openalex", "s2"):
        return await _by_id(app, kind, value)
    return await find_by_title(app, value)


async def lookup_paper(app: App, query: str) -> PaperCard | PickList | Problem:
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
        found = await _find(app, kind, value)
    except (NotFound, RateLimited, Unavailable) as error:
        instead = await _latest_instead(app, value) if kind == "arxiv" and isinstance(error, NotFound) else None
        if instead is not None:
            return instead
        stored = await _stored(app, kind, value)
        if stored is not None:
            return card(stored, note=_stored_note(error))
        if not isinstance(error, NotFound):
            raise
        return Problem("Paper not found", f"{error.message[:1].upper()}{error.message[1:]}.",
                       "Check the id, or paste the arXiv link or DOI.", code="not_found")
    if isinstance(found, list):
        return choices(value, found)
    async with app.db.session() as session:
        await repos.cache_put(session, key, record_to_json(found), ttl, now=app.now())
        if found.arxiv_id or found.doi:  # stored papers are keyed by one of them
            await repos.upsert_papers(session, [found], now=app.now())
        await session.commit()
    return card(found)


async def resolve_paper(app: App, query: str) -> PaperRecord | Problem:
    """The paper `query` names (any form `paper` takes), stored so it can be rated or used as an example: the
    stored one when Paper Radar has it, else looked up once. A title must name one paper."""
    kind, value = classify(query)
    if kind == "title" and not 8 <= len(value) <= MAX_TITLE_QUERY:
        return Problem("Which paper?", f"`{value[:60]}` is not an arXiv id, a DOI or a link.",
                       "Paste the arXiv id (2411.18562), the DOI or the link.", code="usage")
    stored = await _stored(app, kind, value)
    if stored is not None:
        return stored
    try:
        found = await _find(app, kind, value)
    except NotFound as error:
        return Problem("Paper not found", f"{error.message[:1].upper()}{error.message[1:]}.",
                       "Check the id, or paste the arXiv link or DOI.", code="not_found")
    if isinstance(found, list):
        if len(found) != 1:
            return Problem("Which paper?", f"Several papers match `{value[:80]}`.",
                           "Paste its arXiv id, DOI or link (`paper <title>` lists them).", code="usage")
        found = found[0]
    if not (found.arxiv_id or found.doi):
        return Problem("That paper can't be used here", "It has neither an arXiv id nor a DOI to keep it by.",
                       code="invalid")
    async with app.db.session() as session:
        await repos.upsert_papers(session, [found])
        await session.commit()
    return found
