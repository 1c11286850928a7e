"""Finding a paper by its title: arXiv first, then Semantic Scholar's title match and OpenAlex's search.

A title pasted into chat is often a journal paper that never was on arXiv, or a slightly different wording of
one. Every source's answers are scored by how close their title is to the one asked for; one clear best match
is the answer, several close ones become a pick list (best first), none close enough is "not found".
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from core.app import App
from core.model.papers import PaperRecord
from core.sources import arxiv_api
from core.sources.http import NotFound, SourceError
from core.sources.openalex import OpenAlexSource
from core.sources.semanticscholar import SemanticScholarSource

log = logging.getLogger(__name__)

SIMILAR = 0.6  # below this a title is a different paper
CLOSE = 0.05  # candidates this near the best one are offered together
SURE = 0.95  # a title this close is the paper, whatever else looks similar
MAX_CHOICES = 5


@dataclass(frozen=True)
class Scored:
    score: float
    record: PaperRecord


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, _norm(a), _norm(b)).ratio()


def _identity(record: PaperRecord) -> str:
    """One key per paper across sources: the arXiv id, else the DOI, else the title as words."""
    if record.arxiv_id:
        return f"arxiv:{record.arxiv_id}"
    if record.doi:
        return f"doi:{record.doi}"
    return f"title:{_norm(record.title)}"


def _decide(found: list[Scored]) -> PaperRecord | list[PaperRecord] | None:
    """The one paper meant, the close candidates best first, or None when nothing is similar enough."""
    ranked: list[Scored] = []
    seen: set[str] = set()
    for item in sorted(found, key=lambda s: s.score, reverse=True):
        key = _identity(item.record)
        if item.score >= SIMILAR and key not in seen:
            seen.add(key)
            ranked.append(item)
    if not ranked:
        return None
    best = ranked[0].score
    close = [s for s in ranked if s.score >= best - CLOSE]
    if len(close) == 1 or (best >= SURE and close[1].score < SURE):
        return ranked[0].record
    return [s.record for s in close[:MAX_CHOICES]]


async def find_by_title(app: App, title: str) -> PaperRecord | list[PaperRecord]:
    """The paper with this title, or the close candidates (best first); raises NotFound, or the first
    source's error when no source could answer at all."""
    errors: list[SourceError] = []
    found: list[Scored] = []
    try:
        result = await arxiv_api.search(app.sources, title=title, max_results=5, page_size=5, sort_by="relevance")
        found += [Scored(similarity(r.title, title), r) for r in result.records if r.arxiv_id]
    except SourceError as error:
        errors.append(error)
    # arXiv alone settles a title it has: no other source is asked (or billed).
    decided = _decide(found)
    if decided is not None:
        return decided
    try:
        match = await SemanticScholarSource(app.sources.semantic_scholar).title_match(title)
        found.append(Scored(similarity(match.title, title), match))
    except SourceError as error:
        errors.append(error)
    if app.settings.openalex_api_key is not None:  # search calls are billed; without a key the budget is tiny
        try:
            works = await OpenAlexSource(app.sources.openalex).search_works(title)
            found += [Scored(similarity(w.title, title), w) for w in works]
        except SourceError as error:
            errors.append(error)
    decided = _decide(found)
    if decided is not None:
        return decided
    failures = [e for e in errors if not isinstance(e, NotFound)]
    if failures and len(errors) >= 2 + (app.settings.openalex_api_key is not None):
        raise failures[0]  # every source failed: say which, rather than "not found"
    for failure in failures:
        log.info("title search without %s: %s", failure.source, failure.message)
    asked = "arXiv, Semantic Scholar or OpenAlex" if app.settings.openalex_api_key else "arXiv or Semantic Scholar"
    raise NotFound("Paper Radar", f"no paper in {asked} has a title like “{title[:120]}”")
