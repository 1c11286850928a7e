"""Finding the institution a channel means, and what its card shows: the record plus its recent works.

Institutions are OpenAlex's alone (Semantic Scholar has none to ask), so there is no second source to fall back
on: when OpenAlex fails, the card says so. Ids (`I...`, ROR) are free singleton gets; names go through the cheap
autocomplete, then, with an API key, the billed full-text search. The recent works are one billed list call of
the newest works by lineage (labs count for their university), kept in the lookup cache for the lookup TTL;
the most active researchers are counted over them, so for a very large university they describe its latest
weeks rather than two whole years (said on the card).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from core.app import App
from core.ids import InvalidId, is_arxiv_id, is_doi, is_openalex_id, is_orcid
from core.model.institutions import (
    InstitutionCandidate,
    InstitutionProfile,
    InstitutionWork,
    profile_from_json,
    profile_to_json,
)
from core.researchers.lookup import LookupProblem, hashed_key
from core.sources.http import NotFound, RateLimited, SourceError
from core.sources.openalex import OpenAlexSource
from core.sources.openalex_institutions import institution_path, is_ror
from core.storage import repos
from core.views import InstitutionCard, MemberPaper, Problem

log = logging.getLogger(__name__)

MAX_CANDIDATES = 8
MAX_NAME_LENGTH = 200
ACTIVE_YEARS = 2
CARD_WORKS = 100  # one page: one billed call per card (and per cache TTL)
ACTIVE_SHOWN = 5
PAPERS_SHOWN = 5
AUTHORS_SHOWN = 6
MEMBERS_ADDED = 3  # members beyond the first authors, so that the marked names are on the card
CHILDREN_SHOWN = 8
ABSTRACT_LINE = 200
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@dataclass(frozen=True)
class WorksSummary:
    """What the card (and a follow's roster) needs from the recent works."""

    active: tuple[tuple[str, str, int], ...] = ()  # (OpenAlex author id, name, works), most first
    papers: tuple[MemberPaper, ...] = ()
    total: int | None = None  # recent works OpenAlex counts in the window
    read: int = 0  # of which were read

    def to_json(self) -> dict[str, Any]:
        return {"active": [list(a) for a in self.active], "total": self.total, "read": self.read,
                "papers": [{"title": p.title, "url": p.url, "year": p.year, "authors": [list(a) for a in p.authors],
                            "more_authors": p.more_authors, "abstract": p.abstract} for p in self.papers]}

    @classmethod
    def from_json(cls, data: Any) -> WorksSummary:
        data = data if isinstance(data, dict) else {}
        active = tuple((str(a[0]), str(a[1]), int(a[2])) for a in data.get("active") or ()
                       if isinstance(a, list) and len(a) == 3 and isinstance(a[2], int))
        papers = tuple(
            MemberPaper(title=str(p["title"]), url=p.get("url"), year=p.get("year"),
                        authors=tuple((str(a[0]), bool(a[1])) for a in p.get("authors") or () if len(a) == 2),
                        more_authors=int(p.get("more_authors") or 0), abstract=str(p.get("abstract") or ""))
            for p in data.get("papers") or () if isinstance(p, dict) and p.get("title"))
        total, read = data.get("total"), data.get("read")
        return cls(active, papers, total if isinstance(total, int) else None, read if isinstance(read, int) else 0)


# ---------------------------------------------------------------- what the text is


def is_institution_id(text: str) -> bool:
    value = text.strip()
    return is_ror(value) or is_openalex_id(value, "I")


def refuse_non_institution(text: str) -> None:
    """Raise `LookupProblem` for ids of other things, and for text too long to be a name."""
    value = text.strip()
    if is_orcid(value) or is_openalex_id(value, "A"):
        raise LookupProblem(Problem("That is a researcher", f"`{value[:60]}` identifies a person.",
                                    "Use `researcher <id>` to see a person.", code="invalid"))
    if is_openalex_id(value) and not is_openalex_id(value, "I"):
        raise LookupProblem(Problem("That is not an institution id", f"`{value[:40]}` is an OpenAlex id of "
                                    "another kind.", "OpenAlex institution ids start with I, like I33213144; "
                                    "a ROR id looks like 02y3ad647.", code="invalid"))
    if is_arxiv_id(value) or is_doi(value):
        raise LookupProblem(Problem("That looks like a paper", f"`{value[:60]}` is a paper id, not an institution.",
                                    "Use `paper <id>` to look up a paper.", code="invalid"))
    if len(value) > MAX_NAME_LENGTH:
        raise LookupProblem(Problem("That is too long to be a name",
                                    f"Institution names are at most {MAX_NAME_LENGTH} characters here.",
                                    "Try the institution's name, its ROR id or its OpenAlex id.", code="invalid"))


def source_problem(error: SourceError) -> Problem:
    limited = isinstance(error, RateLimited)
    return Problem(
        "Too many requests right now" if limited else "OpenAlex is not answering",
        f"Institutions come from OpenAlex alone, and {error.source} {error.message}.",
        "This is usually temporary: try again in a few minutes.",
        code="rate_limited" if limited else "source_down",
    )


def not_found_problem(query: str) -> Problem:
    return Problem("No institution matched", f"No institution matched “{query[:120]}” in OpenAlex.",
                   "Try its full name as it appears on its papers, its ROR id (like 02y3ad647) or its OpenAlex id.",
                   code="not_found")


# ---------------------------------------------------------------- lookups, with the database as a cache


class InstitutionLookup:
    def __init__(self, app: App) -> None:
        self.app = app
        self.ttl = timedelta(hours=app.settings.lookup_ttl_hours)
        self.openalex = OpenAlexSource(app.sources.openalex)

    async def resolve(self, text: str) -> InstitutionProfile | list[InstitutionCandidate]:
        """A record for an id or a single match; candidates (possibly none) for an ambiguous name."""
        refuse_non_institution(text)
        value = " ".join(text.split())
        if is_institution_id(value):
            return await self.profile(value)
        found = await self.candidates(value)
        exact = [c for c in found if c.display_name.casefold() == value.casefold()]
        if len(found) == 1 or len(exact) == 1:
            return await self.profile((exact or found)[0].openalex_id)
        return found

    async def candidates(self, name: str) -> list[InstitutionCandidate]:
        if not any(ch.isalnum() for ch in name):
            return []
        key = hashed_key("institution-candidates", name.casefold())
        cached = await self._cache_get(key)
        if isinstance(cached, list):
            return [InstitutionCandidate.from_json(c) for c in cached if isinstance(c, dict)]
        try:
            found = await self.openalex.autocomplete_institutions(name, limit=MAX_CANDIDATES)
            if not found and self.app.settings.openalex_api_key is not None:
                # Autocomplete matches the start of names; the billed search also finds "Quebec AI Institute".
                found = (await self.openalex.search_institutions(name))[:MAX_CANDIDATES]
        except SourceError as error:
            raise LookupProblem(source_problem(error)) from error
        if found:  # "nobody" is not remembered: a new institution, or a key set later, may change it
            await self._cache_put(key, [c.to_json() for c in found])
        return found

    async def profile(self, identifier: str) -> InstitutionProfile:
        try:
            path = institution_path(identifier)
        except InvalidId as error:
            raise LookupProblem(Problem("That is not an institution id", str(error),
                                        "Use a name, a ROR id (like 02y3ad647) or an OpenAlex id (like I33213144).",
                                        code="invalid")) from None
        key = "institution:" + path.removeprefix("institutions/")
        cached = await self._cache_get(key)
        if isinstance(cached, dict):
            try:
                return profile_from_json(cached)
            except ValueError:
                log.info("dropping an unreadable cached institution %s", key)
        try:
            found = await self.openalex.institution(identifier)
        except NotFound as error:
            raise LookupProblem(Problem("No institution matched", f"OpenAlex has no institution {identifier[:80]}.",
                                        "Check the id, or search by name.", code="not_found")) from error
        except SourceError as error:
            raise LookupProblem(source_problem(error)) from error
        await self._cache_put(key, profile_to_json(found))
        if not key.endswith(found.openalex_id):
            await self._cache_put(f"institution:{found.openalex_id}", profile_to_json(found))
        return found

    async def works(self, profile: InstitutionProfile) -> WorksSummary | None:
        """The recent works' summary from the cache or OpenAlex; None when OpenAlex fails (the card thins)."""
        key = f"institution-works:{profile.openalex_id}"
        cached = await self._cache_get(key)
        if isinstance(cached, dict):
            return WorksSummary.from_json(cached)
        since = active_since(self.app.now())
        try:
            listing = await self.openalex.works_by_institution(profile.openalex_id, since, max_results=CARD_WORKS)
        except SourceError as error:
            log.info("recent works of %s unavailable: %s", profile.openalex_id, error)
            return None
        summary = summarize(listing.items, listing.total)
        await self._cache_put(key, summary.to_json())
        return summary

    async def _cache_get(self, key: str) -> Any:
        async with self.app.db.session() as session:
            return await repos.cache_get(session, key, now=self.app.now())

    async def _cache_put(self, key: str, value: Any) -> None:
        async with self.app.db.session() as session:
            await repos.cache_put(session, key, value, self.ttl, now=self.app.now())
            await session.commit()


# ---------------------------------------------------------------- the card


def active_since(now: datetime) -> date:
    return (now - timedelta(days=365 * ACTIVE_YEARS)).date()


def abstract_line(text: str) -> str:
    first = _SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0] if text else ""
    return first if len(first) <= ABSTRACT_LINE else first[: ABSTRACT_LINE - 1].rstrip() + "…"


def member_paper(work: InstitutionWork) -> MemberPaper:
    paper = work.paper
    members = {name.casefold() for name in work.members}
    names = [a.name for a in paper.authors]
    shown = names[:AUTHORS_SHOWN]
    later = [n for n in names[AUTHORS_SHOWN:] if n.casefold() in members][:MEMBERS_ADDED]
    url = paper.links.get("landing") or paper.links.get("openalex")
    return MemberPaper(
        title=paper.title,
        url=f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else url,
        year=paper.published.year if paper.published else None,
        authors=tuple((n, n.casefold() in members) for n in [*shown, *later]),
        more_authors=len(names) - len(shown) - len(later),
        abstract=abstract_line(paper.abstract),
    )


def summarize(works: list[InstitutionWork], total: int | None) -> WorksSummary:
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for work in works:
        for author_id, name in zip(work.member_ids, work.members, strict=False):
            counts[author_id] += 1
            names.setdefault(author_id, name)
    active = tuple((author_id, names[author_id], n) for author_id, n in counts.most_common())
    return WorksSummary(active=active, papers=tuple(member_paper(w) for w in works[:PAPERS_SHOWN]),
                        total=total, read=len(works))


def build_card(profile: InstitutionProfile, summary: WorksSummary | None, *, now: datetime,
               followed: bool = False) -> InstitutionCard:
    since = active_since(now)
    if summary is None:
        note = "OpenAlex did not list its recent works just now: researchers and papers are missing."
    elif summary.total is not None and summary.total > summary.read:
        note = (f"Most active researchers are counted over its newest {summary.read:,} works of "
                f"{summary.total:,} since {since.isoformat()}.")
    else:
        note = ""
    children = [c.display_name for c in profile.children]
    return InstitutionCard(
        name=profile.display_name,
        openalex_id=profile.openalex_id,
        ror=profile.ror,
        type=profile.type,
        place=", ".join(p for p in (profile.city, profile.country or profile.country_code) if p),
        acronyms=profile.acronyms,
        homepage=profile.homepage,
        parents=tuple(p.display_name for p in profile.parents),
        children=tuple(children[:CHILDREN_SHOWN]),
        more_children=max(0, len(children) - CHILDREN_SHOWN),
        works_count=profile.works_count,
        cited_by_count=profile.cited_by_count,
        h_index=profile.h_index,
        topics=profile.topics,
        active_researchers=tuple((name, n) for _, name, n in (summary.active if summary else ())[:ACTIVE_SHOWN]),
        active_since=since.year,
        recent_papers=summary.papers if summary else (),
        note=note,
        source="OpenAlex",
        followed=followed,
    )
