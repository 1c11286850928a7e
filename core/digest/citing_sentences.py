"""The sentence a new citation cites a followed paper with, where Semantic Scholar has it.

Asked of the citing paper's references (`/paper/{id}/references?fields=contexts,intents,…`, one page: its
bibliography), not of the cited paper's citations, which run to thousands for a well-known paper in an order S2
does not promise. Optional in every way: the whole lookup for a digest runs under one deadline
(`RADAR_CITATION_CONTEXT_DEADLINE_S`, 0 turns it off), a 429 or a 504 leaves the sentence out, and the citation
goes out as it would have without it. Answers, found or not, are kept for a day, so a preview and the digest
after it ask once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import timedelta

from core.app import App
from core.digest.sections import CITATION, SectionItem
from core.researchers.citations import CitedWork
from core.sources.http import NotFound, SourceError
from core.sources.semanticscholar import CitationEdge, SemanticScholarSource, s2_paper_key
from core.sources.timing import deadline
from core.storage import repos

log = logging.getLogger(__name__)
SENTENCE = 280  # characters of the citing sentence a digest line quotes
KEPT = timedelta(hours=20)
_WORDS = re.compile(r"[^\w]+")


def _title_key(title: str) -> str:
    return _WORDS.sub(" ", title.casefold()).strip()


def _is(edge: CitationEdge, work: CitedWork) -> bool:
    other = edge.other
    if work.doi and other.doi and work.doi.lower() == other.doi.lower():
        return True
    if work.arxiv_id and other.arxiv_id == work.arxiv_id:
        return True
    return bool(other.title) and _title_key(other.title) == _title_key(work.title)


def _clip(text: str) -> str:
    return text if len(text) <= SENTENCE else text[:SENTENCE].rsplit(" ", 1)[0] + "…"


def sentence_for(edges: Sequence[CitationEdge], cited: Sequence[CitedWork]) -> tuple[str, str]:
    """(the first citing sentence of the first cited work S2 has one for, its intent), or ("", "")."""
    for work in cited:
        for edge in edges:
            if edge.contexts and _is(edge, work):
                return _clip(edge.contexts[0]), edge.intents[0] if edge.intents else ""
    return "", ""


def _s2_key(item: SectionItem) -> str | None:
    paper = item.paper
    if paper.arxiv_id:
        return s2_paper_key(paper.arxiv_id)
    return s2_paper_key(paper.doi) if paper.doi else None


async def _lookup(app: App, item: SectionItem) -> SectionItem:
    key = _s2_key(item)
    if key is None or not item.cited:
        return item
    cache_key = f"s2-context:{key}:{'|'.join(w.openalex_id for w in item.cited)}"
    async with app.db.session() as session:
        cached = await repos.cache_get(session, cache_key, now=app.now())
    if isinstance(cached, dict):
        sentence, intent = str(cached.get("context") or ""), str(cached.get("intent") or "")
    else:
        try:
            listing = await SemanticScholarSource(app.sources.semantic_scholar).citation_edges(key, "references")
        except NotFound:  # a paper too new for S2: an answer like any other, kept for the day
            sentence, intent = "", ""
        else:
            sentence, intent = sentence_for(listing.items, item.cited)
        async with app.db.session() as session:
            await repos.cache_put(session, cache_key, {"context": sentence, "intent": intent}, KEPT, now=app.now())
            await session.commit()
    return SectionItem(item.paper, item.kind, item.subscription, item.text, item.code_url, item.cited,
                       sentence, intent) if sentence else item


async def add_citing_sentences(app: App, items: Sequence[SectionItem]) -> list[SectionItem]:
    """`items` with the citing sentence on each citation S2 has one for, in the same order; the first source
    failure, or the deadline, ends the lookups and the rest go without."""
    seconds = app.settings.citation_context_deadline_s
    done = list(items)
    if seconds <= 0:
        return done
    with deadline(seconds, attempts=1):  # a 429 or a 504 is not retried: the sentence is not worth the wait
        for index, item in enumerate(done):
            if item.kind != CITATION:
                continue
            try:
                done[index] = await _lookup(app, item)
            except SourceError as error:
                log.info("citing sentences left out: %s %s", error.source, error.message)
                break
    return done
