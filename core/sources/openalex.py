"""OpenAlex: researcher candidates and profiles, a researcher's recent works, and single works.

OpenAlex bills list and search calls against a daily budget (singleton gets are free) and reports what is left
in `X-RateLimit-*` headers and `meta.cost_usd`; `OpenAlexSource.budget` keeps the latest reading so callers can
go easy before a 429 says the day's budget is spent. Work parsers accept both the current schema
(`primary_location`) and the 2022 one (`host_venue`), because cached and recorded data of both ages exist;
author records are parsed in `core.sources.openalex_authors`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import quote, urlparse

from core.ids import (
    ArxivId,
    InvalidId,
    is_arxiv_id,
    is_doi,
    is_orcid,
    normalize_doi,
    normalize_openalex_id,
    normalize_orcid,
    parse_arxiv_id,
)
from core.model.institutions import InstitutionCandidate, InstitutionProfile, InstitutionWork
from core.model.papers import AuthorRef, PaperRecord
from core.model.researchers import AuthorCandidate, AuthorProfile
from core.sources.http import NotFound, RateLimited, SourceClient, Unavailable
from core.sources.openalex_authors import (
    SOURCE,
    AuthorDeleted,
    entity_id,
    followable,
    is_deleted_author,
    parse_author,
    parse_autocomplete_author,
)
from core.sources.openalex_institutions import (
    institution_path,
    is_institution_entry,
    parse_autocomplete_institution,
    parse_institution,
    parse_institution_work,
)
from core.sources.parsing import (
    Listing,
    MalformedItem,
    as_dict,
    as_float,
    as_int,
    as_list,
    clean_text,
    normalized,
    parse_items,
    parse_timestamp,
    read_json,
)

log = logging.getLogger(__name__)

MAX_PER_PAGE = 100  # the API refuses more (older docs said 200)
ARXIV_DOI_PREFIX = "10.48550/arxiv."
NOT_VENUES = frozenset({"repository", "metadata"})  # where a copy lives (arXiv, PubMed, DataCite), not a venue


@dataclass
class OpenAlexBudget:
    """The latest reading of OpenAlex's daily budget, and what this process has spent of it."""

    limit_usd: float | None = None
    remaining_usd: float | None = None
    credits_limit: int | None = None
    credits_remaining: int | None = None
    reset_in_s: float | None = None  # seconds until the daily budget resets, as of the last response
    last_cost_usd: float | None = None
    spent_usd: float = 0.0
    exhausted: bool = False

    def read_headers(self, headers: Mapping[str, str]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        readings = {
            "limit_usd": as_float(lowered.get("x-ratelimit-limit-usd")),
            "remaining_usd": as_float(lowered.get("x-ratelimit-remaining-usd")),
            "credits_limit": as_int(lowered.get("x-ratelimit-limit")),
            "credits_remaining": as_int(lowered.get("x-ratelimit-remaining")),
            "reset_in_s": as_float(lowered.get("x-ratelimit-reset")),
        }
        for name, value in readings.items():
            if value is not None:
                setattr(self, name, value)
        if self.remaining_usd is not None or self.credits_remaining is not None:
            self.exhausted = self.remaining_usd == 0 or self.credits_remaining == 0

    def record_cost(self, meta: Any, headers: Mapping[str, str]) -> None:
        cost = as_float(as_dict(meta).get("cost_usd"))
        if cost is None:
            cost = as_float({k.lower(): v for k, v in headers.items()}.get("x-ratelimit-cost-usd"))
        if cost is not None:
            self.last_cost_usd = cost
            self.spent_usd += cost


class OpenAlexSource:
    """OpenAlex lookups over the hub's shared client (which already adds `api_key` or `mailto`)."""

    def __init__(self, client: SourceClient) -> None:
        self.client = client
        self.budget = OpenAlexBudget()

    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = await self.client.get(path, params)
        except RateLimited as exc:
            raise self._rate_limited(exc) from exc
        self.budget.exhausted = False
        self.budget.read_headers(response.headers)
        data = read_json(response, self.client.name)
        if not isinstance(data, dict):
            raise Unavailable(self.client.name, "answered in an unexpected shape")
        self.budget.record_cost(data.get("meta"), response.headers)
        return data

    def _rate_limited(self, exc: RateLimited) -> RateLimited:
        self.budget.read_headers(self.client.rate_limit)
        if not (exc.budget_exhausted or self.budget.exhausted):
            return exc
        self.budget.exhausted = True
        wait = exc.retry_after if exc.retry_after is not None else self.budget.reset_in_s
        spent_error = RateLimited(self.client.name, "daily API budget is used up", retry_after=wait, budget_exhausted=True)
        spent_error.body = exc.body
        return spent_error

    async def autocomplete_authors(self, query: str, *, limit: int = 10) -> list[AuthorCandidate]:
        """Fast, cheap name matches (`/autocomplete/authors`); the institution comes from OpenAlex's hint."""
        data = await self._get("autocomplete/authors", {"q": query.strip()})
        candidates, _ = parse_items(data.get("results"), parse_autocomplete_author, source=SOURCE, what="author")
        return _dedupe([c for c in candidates if followable(c)])[:limit]

    async def search_authors(self, query: str, *, per_page: int = 25) -> list[AuthorCandidate]:
        """Full author records matching a name (`/authors?search=`), with topics; costs more than autocomplete."""
        params = {"search": query.strip(), "per_page": _page_size(per_page)}
        data = await self._get("authors", params)
        profiles, _ = parse_items(data.get("results"), parse_author, source=SOURCE, what="author")
        return _dedupe([profile.to_candidate() for profile in profiles if followable(profile)])

    async def author(self, identifier: str) -> AuthorProfile:
        """A profile by OpenAlex id (`A...`, or its URL) or ORCID; raises `InvalidId` for anything else.

        A merged id is followed to the surviving profile (OpenAlex redirects it), whose `merged_from` then
        names the id asked for. A deleted id raises `NotFound`, or `AuthorDeleted` when OpenAlex still answers
        for it with its "Deleted Author" placeholder.
        """
        text = identifier.strip()
        asked: str | None = None
        if is_orcid(text):
            path = f"authors/orcid:{normalize_orcid(text)}"
        else:
            asked = normalize_openalex_id(text, "A")
            path = f"authors/{asked}"
        try:
            data = await self._get(path)
        except NotFound as exc:
            raise NotFound(
                self.client.name, f"no author {asked or text} (it may have been deleted)", status=exc.status
            ) from exc
        try:
            profile = parse_author(data)
        except (MalformedItem, InvalidId) as exc:
            raise Unavailable(self.client.name, f"sent an author record we cannot read ({exc})") from exc
        if is_deleted_author(profile.display_name):
            raise AuthorDeleted(self.client.name, profile.openalex_id or asked or text)
        if asked and profile.openalex_id != asked:
            log.info("%s: author %s was merged into %s", self.client.name, asked, profile.openalex_id)
            profile = replace(profile, merged_from=asked)
        return profile

    async def work(self, identifier: str) -> PaperRecord:
        """A work by OpenAlex id (`W...`, or its URL), DOI, or arXiv id (through arXiv's DataCite DOI)."""
        text = identifier.strip()
        if is_doi(text):
            path = "works/doi:" + quote(normalize_doi(text), safe="/()")
        elif is_arxiv_id(text):
            path = "works/doi:" + quote(ARXIV_DOI_PREFIX + parse_arxiv_id(text).base, safe="/()")
        else:
            path = f"works/{normalize_openalex_id(text, 'W')}"
        data = await self._get(path)
        try:
            return parse_work(data)
        except (MalformedItem, InvalidId) as exc:
            raise Unavailable(self.client.name, f"sent a work record we cannot read ({exc})") from exc

    async def search_works(self, text: str, *, per_page: int = 5) -> list[PaperRecord]:
        """Works whose title or abstract match `text` (`/works?search=`), most relevant first."""
        data = await self._get("works", {"search": text.strip(), "per_page": _page_size(per_page)})
        works, _ = parse_items(data.get("results"), parse_work, source=SOURCE, what="work")
        return works

    async def works(self, filters: str, *, per_page: int = MAX_PER_PAGE, max_results: int = 500) -> Listing[PaperRecord]:
        """Every work matching an OpenAlex filter, cursor page by cursor page, up to `max_results`.

        A failing first page raises; a failing later page ends the listing with `error` set and keeps what came.
        """
        listing: Listing[PaperRecord] = Listing()
        cursor: str | None = "*"
        seen: set[str] = set()
        while cursor is not None:
            seen.add(cursor)
            params = {"filter": filters, "per_page": _page_size(per_page), "cursor": cursor}
            data = await listing.page(self._get("works", params), self.client.name)
            if data is None:
                break
            meta = as_dict(data.get("meta"))
            listing.total = as_int(meta.get("count")) if listing.total is None else listing.total
            listing.add(data.get("results"), parse_work, source=SOURCE, what="work")
            next_cursor = meta.get("next_cursor")
            cursor = next_cursor if isinstance(next_cursor, str) and next_cursor and data.get("results") else None
            if cursor is not None and len(listing.items) >= max_results:
                listing.truncated = True
                break
            if cursor in seen:
                listing.error = Unavailable(self.client.name, "sent the same page cursor twice")
                log.warning("%s: cursor repeated itself; stopping", self.client.name)
                break
        del listing.items[max_results:]
        return listing

    async def works_by_author(
        self, author_id: str, since: date | None = None, *, max_results: int = 500
    ) -> Listing[PaperRecord]:
        """A researcher's works published on or after `since` (all of them without it)."""
        filters = f"author.id:{normalize_openalex_id(author_id, 'A')}"
        if since is not None:
            filters += f",from_publication_date:{since.isoformat()}"
        return await self.works(filters, max_results=max_results)

    async def most_cited_works(self, author_id: str, *, count: int) -> list[PaperRecord]:
        """A researcher's `count` most cited works, one page (`follow citations <researcher>` watches these)."""
        params = {"filter": f"author.id:{normalize_openalex_id(author_id, 'A')}", "sort": "cited_by_count:desc",
                  "per_page": _page_size(count)}
        works, _ = parse_items((await self._get("works", params)).get("results"), parse_work, source=SOURCE,
                               what="work")
        return works[:count]

    async def citing_works(self, cited: Sequence[str], since: date, *,
                           per_page: int) -> tuple[list[tuple[PaperRecord, frozenset[str]]], int]:
        """Works published since `since` that cite any of `cited` (OpenAlex work ids), newest first: one page
        only, each with which of `cited` it references, and how many such works OpenAlex counts in all."""
        ids = [normalize_openalex_id(w, "W") for w in cited]
        params = {"filter": f"cites:{'|'.join(ids)},from_publication_date:{since.isoformat()}",
                  "sort": "publication_date:desc", "per_page": _page_size(per_page)}
        data = await self._get("works", params)
        wanted, found = set(ids), []
        for raw in as_list(data.get("results")):
            try:
                work = parse_work(as_dict(raw))
            except (MalformedItem, InvalidId):
                continue
            refs = {_work_id(ref) for ref in as_list(as_dict(raw).get("referenced_works"))}
            found.append((work, frozenset(ref for ref in refs if ref in wanted)))
        total = as_int(as_dict(data.get("meta")).get("count"))
        return found, total if total is not None else len(found)

    # ------------------------------------------------------------ institutions

    async def institution(self, identifier: str) -> InstitutionProfile:
        """An institution by OpenAlex id (`I...`, or its URL) or ROR id (a free singleton get)."""
        data = await self._get(institution_path(identifier))
        try:
            return parse_institution(data)
        except (MalformedItem, InvalidId) as exc:
            raise Unavailable(self.client.name, f"sent an institution record we cannot read ({exc})") from exc

    async def autocomplete_institutions(self, query: str, *, limit: int = 10) -> list[InstitutionCandidate]:
        """Institutions whose names start like `query` (`/autocomplete/institutions`), most works first."""
        data = await self._get("autocomplete/institutions", {"q": query.strip()})
        entries = [entry for entry in as_list(data.get("results")) if is_institution_entry(entry)]
        found, _ = parse_items(entries, parse_autocomplete_institution, source=SOURCE, what="institution")
        first: dict[str, InstitutionCandidate] = {}
        for candidate in found:
            first.setdefault(candidate.openalex_id, candidate)
        return list(first.values())[:limit]

    async def search_institutions(self, query: str, *, per_page: int = 20) -> list[InstitutionCandidate]:
        """Institutions whose names or alternatives match `query` anywhere (`/institutions?search=`; billed)."""
        data = await self._get("institutions", {"search": query.strip(), "per_page": _page_size(per_page)})
        found, _ = parse_items(data.get("results"), parse_institution, source=SOURCE, what="institution")
        return [profile.to_candidate() for profile in found]

    async def works_by_institution(self, institution_id: str, since: date | None = None, *,
                                   max_results: int = MAX_PER_PAGE) -> Listing[InstitutionWork]:
        """The newest works with an author at the institution or a lab under it (one billed list call per page).

        Sorted newest first and capped: a university lists hundreds of thousands of works, and only the latest
        matter to a card or a digest.
        """
        ident = normalize_openalex_id(institution_id, "I")
        filters = f"authorships.institutions.lineage:{ident}"
        if since is not None:
            filters += f",from_publication_date:{since.isoformat()}"
        listing: Listing[InstitutionWork] = Listing()
        params = {"filter": filters, "sort": "publication_date:desc", "per_page": _page_size(max_results)}
        data = await listing.page(self._get("works", params), self.client.name)
        if data is None:
            return listing
        listing.total = as_int(as_dict(data.get("meta")).get("count"))
        listing.add(data.get("results"), lambda item: parse_institution_work(item, ident, parse_work),
                    source=SOURCE, what="work")
        listing.truncated = listing.total is not None and listing.total > len(listing.items)
        return listing


# ---------------------------------------------------------------- parsers (pure, tested on recordings)


def parse_work(data: dict[str, Any]) -> PaperRecord:
    """A work of either schema as a PaperRecord; raises `MalformedItem` without an id or a title."""
    openalex_id = entity_id(data.get("id"), "W")
    title = clean_text(data.get("title") or data.get("display_name"))
    if not title:
        raise MalformedItem(f"work {openalex_id} has no title")
    doi = normalized(normalize_doi, data.get("doi") or as_dict(data.get("ids")).get("doi"))
    arxiv = _arxiv(data, doi)
    primary = as_dict(data.get("primary_location")) or as_dict(data.get("host_venue"))
    links = {"openalex": f"https://openalex.org/{openalex_id}"}
    landing = primary.get("landing_page_url") or primary.get("url")
    pdf = as_dict(data.get("best_oa_location")).get("pdf_url") or primary.get("pdf_url")
    links.update({k: v for k, v in (("landing", landing), ("pdf", pdf)) if isinstance(v, str) and v})
    return PaperRecord(
        title=title,
        arxiv_id=arxiv.base if arxiv else None,
        doi=doi,
        versions=(arxiv.version,) if arxiv and arxiv.version else (),
        abstract=rebuild_abstract(data.get("abstract_inverted_index")),
        authors=tuple(ref for ref in map(_authorship, as_list(data.get("authorships"))) if ref is not None),
        published=parse_timestamp(data.get("publication_date")),
        venue=_venue(data),
        citation_count=as_int(data.get("cited_by_count")),
        openalex_id=openalex_id,
        sources=(SOURCE,),
        links=links,
    )


def rebuild_abstract(index: Any) -> str:
    """OpenAlex ships abstracts as {word: [positions]} (for licensing reasons); put the words back in order."""
    placed: dict[int, str] = {}
    for word, positions in as_dict(index).items():
        for position in as_list(positions):
            if isinstance(position, int) and position >= 0:
                placed[position] = word
    return clean_text(" ".join(placed[i] for i in sorted(placed)))


# ---------------------------------------------------------------- helpers


def _page_size(per_page: int) -> int:
    return max(1, min(MAX_PER_PAGE, per_page))


def _dedupe(candidates: list[AuthorCandidate]) -> list[AuthorCandidate]:
    first: dict[str | None, AuthorCandidate] = {}
    for candidate in candidates:
        first.setdefault(candidate.openalex_id, candidate)
    return list(first.values())


def _authorship(entry: Any) -> AuthorRef | None:
    authorship = as_dict(entry)
    author = as_dict(authorship.get("author"))
    name = clean_text(author.get("display_name")) or clean_text(authorship.get("raw_author_name"))
    if not name:
        return None
    institutions = [clean_text(as_dict(i).get("display_name")) for i in as_list(authorship.get("institutions"))]
    raw = [clean_text(s) for s in as_list(authorship.get("raw_affiliation_strings"))]
    raw.append(clean_text(authorship.get("raw_affiliation_string")))
    affiliation = next((a for a in (*institutions, *raw) if a), None)
    openalex_id = normalized(lambda text: normalize_openalex_id(text, "A"), author.get("id"))
    orcid = normalized(normalize_orcid, author.get("orcid"))
    return AuthorRef(name=name, openalex_id=openalex_id, orcid=orcid, affiliation=affiliation)


def _locations(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = [as_dict(data.get("primary_location")), *map(as_dict, as_list(data.get("locations")))]
    found += [as_dict(data.get("best_oa_location")), as_dict(data.get("host_venue"))]
    found += list(map(as_dict, as_list(data.get("alternate_host_venues"))))
    return [loc for loc in found if loc]


def _arxiv(data: dict[str, Any], doi: str | None) -> ArxivId | None:
    """The arXiv id from an arXiv location or arXiv's DataCite DOI, if the work has one."""
    urls = [loc.get(key) for loc in _locations(data) for key in ("landing_page_url", "pdf_url", "url")]
    candidates = [url for url in urls if isinstance(url, str) and (urlparse(url).hostname or "").endswith("arxiv.org")]
    if doi and doi.startswith(ARXIV_DOI_PREFIX):
        candidates.append(doi[len(ARXIV_DOI_PREFIX) :])
    for candidate in candidates:
        try:
            return parse_arxiv_id(candidate)
        except InvalidId:
            continue
    return None


def _venue(data: dict[str, Any]) -> str | None:
    """The journal, conference or book series the work appeared in, if any."""
    locations = [as_dict(data.get("primary_location")), *map(as_dict, as_list(data.get("locations")))]
    # The 2022 schema names the venue in `host_venue` itself rather than in a location's `source`.
    for source in [*(as_dict(loc.get("source")) for loc in locations), as_dict(data.get("host_venue"))]:
        name = clean_text(source.get("display_name"))
        if name and source.get("type") not in NOT_VENUES:
            return name
    return None


def _work_id(value: Any) -> str | None:
    try:
        return normalize_openalex_id(str(value), "W")
    except InvalidId:
        return None
