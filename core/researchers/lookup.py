"""Finding the researcher a channel means: ids go straight to a profile, names to candidates to pick from.

OpenAlex answers first. Semantic Scholar stands in for name searches when OpenAlex has no key (searches are
billed against a key's budget), when its daily budget is spent, or when it is down or knows nobody by that
name. Ids (ORCID, OpenAlex `A...`) can only be resolved by OpenAlex; singleton gets are free, so they are tried
even without a key. Candidate lists and profiles live in the database, so asking again within the TTL costs no
API call.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.app import App
from core.ids import (
    InvalidId,
    is_arxiv_id,
    is_doi,
    is_openalex_id,
    is_orcid,
    normalize_openalex_id,
    normalize_orcid,
)
from core.model.researchers import AuthorCandidate, AuthorProfile
from core.sources.http import NotFound, RateLimited, SourceError
from core.sources.openalex import AuthorDeleted, OpenAlexBudget, OpenAlexSource
from core.sources.semanticscholar import SemanticScholarSource
from core.sources.timing import deadline
from core.storage import repos
from core.storage.researchers import SavedProfile, find_saved_profile, save_profile
from core.views import Problem

log = logging.getLogger(__name__)

MAX_CANDIDATES = 8
MAX_NAME_LENGTH = 200  # longer than any real name; spares the APIs a 4000-character "name"
SEARCH_SIZE = 25  # ask for more than we show: deduplication and id-less records thin the list
FALLBACK_TTL = timedelta(hours=1)  # a stand-in answer should not outlive the outage that caused it
OPENALEX_SPENT_KEY = "source-state:openalex:budget-exhausted"
FIRST_OF_TWO_SHARE = 0.5  # of the lookup's deadline (RADAR_LOOKUP_DEADLINE_S), for a source with a fallback

_ORCID_SHAPE = re.compile(r"(?:^|orcid\.org/|orcid:)\s*\d{4}-?\d{4}-?\d{4}-?\d{3}[\dXx]\s*$", re.I)
_S2_ID = re.compile(r"^(?:s2:\s*|https?://(?:www\.)?semanticscholar\.org/author/(?:[^/]+/)?)?(\d{3,12})/?$", re.I)


class LookupProblem(Exception):
    """A lookup ended in something to tell the user rather than a card."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


@dataclass(frozen=True)
class ResearcherQuery:
    """What a `researcher` / `follow` argument is: an id of some kind, or a name."""

    kind: str  # orcid | openalex | s2 | name
    value: str


@dataclass(frozen=True)
class Found:
    profile: AuthorProfile
    stale: bool = False  # a saved copy past its TTL, shown because the source failed just now
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class Candidates:
    query: str
    items: tuple[AuthorCandidate, ...]
    source: str = ""
    searched: tuple[str, ...] = ()  # the sources that were asked, for "nobody matched in ..."


def classify_query(text: str) -> ResearcherQuery:
    """Tell ids from names; raises `LookupProblem` for text that is clearly neither a person nor a name."""
    value = text.strip()
    if is_orcid(value):
        return ResearcherQuery("orcid", normalize_orcid(value))
    if _ORCID_SHAPE.search(value):
        try:
            normalize_orcid(value)
        except InvalidId as error:
            raise LookupProblem(Problem("That ORCID is not valid", str(error),
                                        "Copy the ORCID from the person's orcid.org page.", code="invalid")) from None
    if is_openalex_id(value, "A"):
        return ResearcherQuery("openalex", normalize_openalex_id(value, "A"))
    if is_openalex_id(value):
        raise LookupProblem(Problem("That is not an author id", f"`{value[:40]}` is an OpenAlex id of another kind.",
                                    "OpenAlex author ids start with A, like A5023888391.", code="invalid"))
    s2 = _S2_ID.match(value)
    if s2:
        return ResearcherQuery("s2", s2.group(1))
    if is_arxiv_id(value) or is_doi(value):
        raise LookupProblem(Problem("That looks like a paper", f"`{value[:60]}` is a paper id, not a person.",
                                    "Use `paper <id>` to look up a paper.", code="invalid"))
    if len(value) > MAX_NAME_LENGTH:
        raise LookupProblem(Problem("That is too long to be a name",
                                    f"Researcher names are at most {MAX_NAME_LENGTH} characters here.",
                                    "Try the person's name, their ORCID or their OpenAlex id.", code="invalid"))
    return ResearcherQuery("name", " ".join(value.split()))


def candidate_key(candidate: AuthorCandidate) -> str:
    """What `researcher <key>` takes to choose this candidate again."""
    if candidate.openalex_id:
        return candidate.openalex_id
    if candidate.s2_id:
        return f"s2:{candidate.s2_id}"
    return candidate.orcid or candidate.display_name


def query_for(candidate: AuthorCandidate) -> ResearcherQuery:
    if candidate.openalex_id:
        return ResearcherQuery("openalex", candidate.openalex_id)
    if candidate.s2_id:
        return ResearcherQuery("s2", candidate.s2_id)
    if candidate.orcid:
        return ResearcherQuery("orcid", candidate.orcid)
    raise LookupProblem(Problem("That entry has no id", f"{candidate.display_name} came without an id to look up.",
                                "Search again by ORCID.", code="not_found"))


def not_found_problem(query: str, searched: tuple[str, ...] = ()) -> Problem:
    where = f" in {' or '.join(searched)}" if searched else ""
    return Problem(
        "Nobody matched",
        f"Nobody matched “{query[:120]}”{where}.",
        "Check the spelling (try the full name, without titles), or use their ORCID, like 0000-0002-1825-0097.",
        code="not_found",
    )


def deleted_problem(openalex_id: str) -> Problem:
    return Problem(
        "That record was deleted",
        f"This OpenAlex record ({openalex_id}) was deleted: OpenAlex keeps the id but no person or works "
        "behind it, so there is nothing to show or follow.",
        "Search by name (`follow <name>`) or ORCID to find the person's current record.",
        code="not_found",
    )


def _describe(error: SourceError) -> str:
    if isinstance(error, RateLimited):
        return (f"{error.source}'s daily API budget is used up" if error.budget_exhausted
                else f"{error.source} is rate limiting us")
    return f"{error.source} {error.message}"


def sources_problem(openalex_error: SourceError | None, s2_error: SourceError) -> Problem:
    """Both sources failed (or OpenAlex was skipped for a reason `openalex_error` states)."""
    errors = [e for e in (openalex_error, s2_error) if e is not None]
    limited = any(isinstance(e, RateLimited) for e in errors)
    return Problem(
        "Too many requests right now" if limited else "The researcher databases are not answering",
        "; ".join(_describe(e) for e in errors) + ".",
        "This is usually temporary: try again in a few minutes.",
        code="rate_limited" if limited else "source_down",
    )


def dedupe_candidates(found: list[AuthorCandidate], limit: int = MAX_CANDIDATES) -> tuple[AuthorCandidate, ...]:
    """One entry per person as far as ids tell: a shared id or ORCID means the same person, first one wins."""
    seen: set[str] = set()
    kept: list[AuthorCandidate] = []
    for candidate in found:
        ids = {f"{kind}:{value}" for kind, value in (("oa", candidate.openalex_id), ("orcid", candidate.orcid),
                                                     ("s2", candidate.s2_id)) if value}
        if not ids or ids & seen:
            continue
        seen |= ids
        kept.append(candidate)
    return tuple(kept[:limit])


def hashed_key(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]
    return f"{prefix}:{digest}"


def _aware(moment: datetime | None, like: datetime) -> datetime | None:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=like.tzinfo)


class ResearcherLookup:
    """Resolves queries to profiles or candidates for one App, with the database as a cache in front."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.ttl = timedelta(hours=app.settings.lookup_ttl_hours)
        self.openalex = OpenAlexSource(app.sources.openalex)
        self.s2 = SemanticScholarSource(app.sources.semantic_scholar)

    # ------------------------------------------------------------ resolving

    async def resolve(self, text: str) -> Found | Candidates:
        """A profile for an id or a single match; candidates (possibly none) for an ambiguous name."""
        query = classify_query(text)
        if query.kind != "name":
            return await self.profile(query)
        candidates = await self.search(query.value)
        if len(candidates.items) == 1:
            return await self.profile(query_for(candidates.items[0]))
        return candidates

    async def search(self, name: str) -> Candidates:
        if not any(ch.isalnum() for ch in name):
            return Candidates(name, ())
        key = hashed_key("researcher-candidates", name.casefold())
        cached = await self._cache_get(key)
        if isinstance(cached, dict):
            items = tuple(AuthorCandidate.from_json(c) for c in cached.get("candidates", ()) if isinstance(c, dict))
            asked = tuple(s for s in cached.get("searched", ()) if isinstance(s, str))
            return Candidates(name, items, str(cached.get("source", "")), asked)
        openalex_error = await self._openalex_unusable()
        found: list[AuthorCandidate] = []
        searched: list[str] = []
        source = "openalex"
        if openalex_error is None:
            try:
                searched.append("OpenAlex")
                # A slow OpenAlex may use half of the lookup's time: the rest is Semantic Scholar's.
                with deadline(self.app.settings.lookup_deadline_s * FIRST_OF_TWO_SHARE):
                    found = await self.openalex.search_authors(name, per_page=SEARCH_SIZE)
            except SourceError as error:
                log.info("researcher search falls back to Semantic Scholar: %s", error)
                openalex_error = await self._note_openalex_failure(error)
        items = dedupe_candidates(found)
        if not items:
            source = "semanticscholar"
            try:
                searched.append("Semantic Scholar")
                items = dedupe_candidates(await self.s2.search_authors(name, limit=SEARCH_SIZE))
            except SourceError as error:
                if openalex_error is None:
                    # OpenAlex did answer, with nobody; say "not found" but do not remember it.
                    return Candidates(name, (), searched=("OpenAlex",))
                # A missing key is the operator's business; the channel only needs to hear what failed.
                told = None if self.app.settings.openalex_api_key is None else openalex_error
                raise LookupProblem(sources_problem(told, error)) from error
        ttl = FALLBACK_TTL if openalex_error is not None and not isinstance(openalex_error, _Skipped) else self.ttl
        value = {"source": source, "searched": searched, "candidates": [c.to_json() for c in items]}
        await self._cache_put(key, value, min(ttl, self.ttl))
        return Candidates(name, items, source, tuple(searched))

    async def profile(self, query: ResearcherQuery) -> Found:
        """The profile behind an id, from the database while fresh, else from the source that owns the id."""
        saved = await self._saved(query)
        now = self.app.now()
        fetched = _aware(saved.fetched_at, now) if saved is not None else None
        if saved is not None and saved.profile and fetched is not None and fetched + self.ttl > now:
            return Found(AuthorProfile.from_json(saved.profile), fetched_at=fetched)
        try:
            profile = await self._fetch_profile(query)
        except AuthorDeleted as error:
            raise LookupProblem(deleted_problem(error.author_id)) from error
        except NotFound as error:
            raise LookupProblem(self._unknown_id_problem(query)) from error
        except SourceError as error:
            if saved is not None and saved.profile:
                log.warning("serving a saved profile for %s: %s", query.value, error)
                return Found(AuthorProfile.from_json(saved.profile), stale=True, fetched_at=fetched)
            if isinstance(error, RateLimited):
                await self._note_openalex_failure(error)
            raise
        await self._save_profile(profile)
        return Found(profile, fetched_at=now)

    async def _fetch_profile(self, query: ResearcherQuery) -> AuthorProfile:
        if query.kind == "s2":
            return await self.s2.author(query.value)
        return await self.openalex.author(query.value)

    def _unknown_id_problem(self, query: ResearcherQuery) -> Problem:
        what = {"orcid": f"with ORCID {query.value}", "openalex": f"with OpenAlex id {query.value}",
                "s2": f"with Semantic Scholar id {query.value}"}.get(query.kind, query.value)
        where = "Semantic Scholar" if query.kind == "s2" else "OpenAlex"
        return Problem("Nobody matched", f"{where} has no researcher {what} (it may have been merged or removed).",
                       "Check the id, or search by name.", code="not_found")

    # ------------------------------------------------------------ OpenAlex's budget

    async def _openalex_unusable(self) -> SourceError | None:
        """Why OpenAlex should not be asked for a name search right now, or None when it should."""
        if self.app.settings.openalex_api_key is None:
            return _Skipped("OpenAlex", "has no API key configured")
        budget = OpenAlexBudget()
        budget.read_headers(self.openalex.client.rate_limit)
        if budget.exhausted or await self._cache_get(OPENALEX_SPENT_KEY):
            return RateLimited("OpenAlex", "daily API budget is used up", budget_exhausted=True)
        return None

    async def _note_openalex_failure(self, error: SourceError) -> SourceError:
        if isinstance(error, RateLimited) and error.budget_exhausted and error.source == self.openalex.client.name:
            await remember_openalex_spent(self.app, error)
        return error

    # ------------------------------------------------------------ storage

    async def _cache_get(self, key: str) -> Any:
        async with self.app.db.session() as session:
            return await repos.cache_get(session, key, now=self.app.now())

    async def _cache_put(self, key: str, value: Any, ttl: timedelta) -> None:
        async with self.app.db.session() as session:
            await repos.cache_put(session, key, value, ttl, now=self.app.now())
            await session.commit()

    async def _saved(self, query: ResearcherQuery) -> SavedProfile | None:
        async with self.app.db.session() as session:
            return await find_saved_profile(session, query.kind, query.value)

    async def _save_profile(self, profile: AuthorProfile) -> None:
        async with self.app.db.session() as session:
            if await save_profile(session, profile, self.app.now()):
                await session.commit()


async def remember_openalex_spent(app: App, error: RateLimited) -> None:
    """Remembered in the database so that every process (lookups and ingest) skips OpenAlex until it resets."""
    wait = error.retry_after if error.retry_after is not None else 3600.0
    ttl = timedelta(seconds=min(max(wait, 900.0), 86400.0))
    async with app.db.session() as session:
        await repos.cache_put(session, OPENALEX_SPENT_KEY, True, ttl, now=app.now())
        await session.commit()


async def openalex_known_spent(app: App) -> bool:
    async with app.db.session() as session:
        return bool(await repos.cache_get(session, OPENALEX_SPENT_KEY, now=app.now()))


class _Skipped(SourceError):
    """OpenAlex was not asked because no key is configured."""
