"""Semantic Scholar (Graph API v1): the second source for researchers and papers.

Author search, author details and papers (offset paging until there is no `next`), papers by S2 id,
`ARXIV:`/`DOI:` ids or by title (`/paper/search/match`), and batch lookups where unknown ids come back as null and are reported as missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from core.ids import InvalidId, is_arxiv_id, is_doi, normalize_doi, normalize_orcid, parse_arxiv_id
from core.model.papers import AuthorRef, PaperRecord
from core.model.researchers import AuthorCandidate, AuthorProfile
from core.sources.http import NotFound, SourceClient, Unavailable
from core.sources.parsing import (
    Listing,
    MalformedItem,
    as_dict,
    as_int,
    as_list,
    clean_text,
    normalized,
    parse_timestamp,
    unique,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SOURCE = "semanticscholar"
BATCH_MAX = 500  # ids per POST /paper/batch
PAGE_SIZE = 100
AUTHOR_FIELDS = (
    "affiliations",
    "authorId",
    "citationCount",
    "externalIds",
    "hIndex",
    "homepage",
    "name",
    "paperCount",
    "url",
)
PROFILE_FIELDS = (*AUTHOR_FIELDS, "aliases")
PAPER_FIELDS = (
    "paperId",
    "externalIds",
    "title",
    "abstract",
    "venue",
    "journal",
    "publicationDate",
    "year",
    "citationCount",
    "authors",
    "url",
    "openAccessPdf",
)

# What ingest asks for the day's papers: only the one-line TL;DR (and the ids that place it).
TLDR_FIELDS = ("paperId", "externalIds", "tldr")


# What a citation edge needs to show the citing sentence and place the paper on the other side.
CONTEXT_FIELDS = ("contexts", "intents", "title", "externalIds")


@dataclass(frozen=True)
class CitationEdge:
    """One citation between two papers as S2 gives it on `/citations` (the other side is the citing paper) or
    `/references` (the cited one): the sentences around the citation, and why it is cited (S2's intents)."""

    other: PaperRecord
    contexts: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()


@dataclass
class BatchLookup:
    """Papers found by a batch call, keyed by the id asked for; `missing` lists the ids S2 does not know."""

    found: dict[str, PaperRecord] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def s2_paper_key(identifier: str) -> str:
    """The id form S2 takes for a pasted arXiv id or DOI (`ARXIV:2106.15928`, `DOI:10.1145/...`); else as is."""
    text = identifier.strip()
    if is_arxiv_id(text):
        return f"ARXIV:{parse_arxiv_id(text).base}"
    if is_doi(text):
        return f"DOI:{normalize_doi(text)}"
    return text


class SemanticScholarSource:
    """Semantic Scholar lookups over the hub's shared client (which adds `x-api-key` when configured)."""

    def __init__(self, client: SourceClient) -> None:
        self.client = client

    async def _get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return _object(await self.client.get_json(path, params), self.client.name)

    async def search_authors(
        self, name: str, *, fields: Sequence[str] = AUTHOR_FIELDS, limit: int = PAGE_SIZE
    ) -> list[AuthorCandidate]:
        """People whose name matches, in S2's order (duplicate profiles of one person are common)."""
        params = {"query": name.strip(), "fields": ",".join(fields)}
        size = max(1, min(PAGE_SIZE, limit))
        listing = await self._paged("author/search", params, parse_author, what="author", page_size=size, max_items=limit)
        return [profile.to_candidate() for profile in listing.items]

    async def author(self, author_id: str, *, fields: Sequence[str] = PROFILE_FIELDS) -> AuthorProfile:
        data = await self._get(f"author/{_segment(author_id)}", {"fields": ",".join(fields)})
        try:
            return parse_author(data)
        except MalformedItem as exc:
            raise Unavailable(self.client.name, f"sent an author record we cannot read ({exc})") from exc

    async def author_papers(
        self,
        author_id: str,
        *,
        fields: Sequence[str] = PAPER_FIELDS,
        page_size: int = PAGE_SIZE,
        max_papers: int = 1000,
    ) -> Listing[PaperRecord]:
        """A researcher's papers, page after page until S2 sends no `next` (or `max_papers` is reached)."""
        path = f"author/{_segment(author_id)}/papers"
        params = {"fields": ",".join(fields)}
        return await self._paged(path, params, parse_paper, what="paper", page_size=page_size, max_items=max_papers)

    async def paper(self, paper_id: str, *, fields: Sequence[str] = PAPER_FIELDS) -> PaperRecord:
        """A paper by any id S2 accepts: its own id, `CorpusId:`, `ARXIV:`, `DOI:` or a bare DOI."""
        data = await self._get(f"paper/{_segment(paper_id)}", {"fields": ",".join(fields)})
        try:
            return parse_paper(data)
        except MalformedItem as exc:
            raise Unavailable(self.client.name, f"sent a paper record we cannot read ({exc})") from exc

    async def citation_edges(self, paper_id: str, direction: str, *, fields: Sequence[str] = CONTEXT_FIELDS,
                             limit: int = PAGE_SIZE, max_items: int = PAGE_SIZE) -> Listing[CitationEdge]:
        """The papers citing `paper_id` (`direction` "citations") or cited by it ("references"), each with the
        citing sentences where S2 has them; pages of `limit` until `max_items` (one page by default)."""
        if direction not in ("citations", "references"):
            raise ValueError(f"direction must be citations or references, not {direction!r}")
        side = "citingPaper" if direction == "citations" else "citedPaper"
        path = f"paper/{_segment(s2_paper_key(paper_id))}/{direction}"
        return await self._paged(path, {"fields": ",".join(fields)}, lambda data: parse_edge(data, side),
                                 what="citation", page_size=max(1, min(PAGE_SIZE, limit)), max_items=max_items)

    async def recommendations(self, paper_id: str, *, limit: int = 20,
                              fields: Sequence[str] = ("title", "externalIds", "authors", "year", "url"),
                              ) -> list[PaperRecord]:
        """Papers Semantic Scholar recommends for one paper (`ARXIV:…`, `DOI:…` or its own id), newest pool.

        Asked of the recommendations API (`RADAR_SEMANTIC_SCHOLAR_RECOMMENDATIONS_URL`), not the graph API."""
        data = await self._get(f"papers/forpaper/{_segment(paper_id)}",
                               {"fields": ",".join(fields), "limit": str(limit), "from": "recent"})
        found = data.get("recommendedPapers")
        if not isinstance(found, list):
            raise Unavailable(self.client.name, "sent recommendations we cannot read")
        papers = []
        for item in found:
            try:
                papers.append(parse_paper(item) if isinstance(item, dict) else None)
            except MalformedItem:
                continue
        return [p for p in papers if p is not None and p.title]

    async def paper_by_arxiv(self, arxiv_id: str, *, fields: Sequence[str] = PAPER_FIELDS) -> PaperRecord:
        return await self.paper(f"ARXIV:{parse_arxiv_id(arxiv_id).base}", fields=fields)

    async def paper_by_doi(self, doi: str, *, fields: Sequence[str] = PAPER_FIELDS) -> PaperRecord:
        return await self.paper(f"DOI:{normalize_doi(doi)}", fields=fields)

    async def title_match(self, title: str, *, fields: Sequence[str] = PAPER_FIELDS) -> PaperRecord:
        """The paper whose title best matches `title` (`/paper/search/match`); NotFound when none is close."""
        data = await self._get("paper/search/match", {"query": " ".join(title.split()), "fields": ",".join(fields)})
        for item in as_list(data.get("data"))[:1]:
            try:
                return parse_paper(_object(item, self.client.name))
            except MalformedItem as exc:
                raise Unavailable(self.client.name, f"sent a paper record we cannot read ({exc})") from exc
        raise NotFound(self.client.name, f"no paper has a title like “{title[:120]}”")

    async def paper_authors(
        self, paper_id: str, *, fields: Sequence[str] = AUTHOR_FIELDS, max_authors: int = 500
    ) -> Listing[AuthorProfile]:
        """A paper's authors with their S2 profiles (h-index, counts), in author order."""
        path = f"paper/{_segment(paper_id)}/authors"
        params = {"fields": ",".join(fields)}
        return await self._paged(path, params, parse_author, what="author", max_items=max_authors)

    async def papers_batch(self, ids: Iterable[str], *, fields: Sequence[str] = PAPER_FIELDS) -> BatchLookup:
        """Many papers in few calls (`POST /paper/batch`, 500 ids each). Unknown ids land in `missing`."""
        wanted = list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))
        result = BatchLookup()
        for start in range(0, len(wanted), BATCH_MAX):
            chunk = wanted[start : start + BATCH_MAX]
            answer = await self.client.post_json("paper/batch", {"fields": ",".join(fields)}, json={"ids": chunk})
            if not isinstance(answer, list):
                raise Unavailable(self.client.name, "answered the batch in an unexpected shape")
            if len(answer) != len(chunk):
                log.warning("%s: batch of %d ids answered with %d items", self.client.name, len(chunk), len(answer))
            for asked, item in zip(chunk, answer + [None] * (len(chunk) - len(answer)), strict=False):
                try:
                    if item is None:
                        raise MalformedItem("unknown to Semantic Scholar")
                    result.found[asked] = parse_paper(_object(item, self.client.name))
                except (MalformedItem, Unavailable) as exc:
                    log.info("%s: batch id %s missing: %s", self.client.name, asked, exc)
                    result.missing.append(asked)
        return result

    async def _paged(
        self,
        path: str,
        params: Mapping[str, Any],
        parser: Callable[[dict[str, Any]], T],
        *,
        what: str,
        page_size: int = PAGE_SIZE,
        max_items: int,
    ) -> Listing[T]:
        """Offset paging: a failing first page raises, a failing later page keeps what came and sets `error`."""
        listing: Listing[T] = Listing()
        offset = 0
        while True:
            data = await listing.page(self._get(path, {**params, "offset": offset, "limit": page_size}),
                                      self.client.name)
            if data is None:
                break
            listing.total = as_int(data.get("total")) if listing.total is None else listing.total
            listing.add(data.get("data"), parser, source=SOURCE, what=what)
            next_offset = as_int(data.get("next"))
            if next_offset is None or not data.get("data"):
                break
            if len(listing.items) >= max_items:
                listing.truncated = True
                break
            if next_offset <= offset:
                listing.error = Unavailable(self.client.name, "sent a page offset that goes backwards")
                break
            offset = next_offset
        del listing.items[max_items:]
        return listing


# ---------------------------------------------------------------- parsers (pure, tested on recordings)


def parse_author(data: dict[str, Any]) -> AuthorProfile:
    author_id = data.get("authorId")
    if not isinstance(author_id, str | int) or not str(author_id):
        raise MalformedItem("author has no authorId")
    name = clean_text(data.get("name"))
    if not name:
        raise MalformedItem(f"author {author_id} has no name")
    external = as_dict(data.get("externalIds"))
    orcid = external.get("ORCID")
    aliases = unique(clean_text(alias) for alias in as_list(data.get("aliases")))
    return AuthorProfile(
        display_name=name,
        s2_id=str(author_id),
        orcid=normalized(normalize_orcid, orcid[0] if isinstance(orcid, list) and orcid else orcid),
        alternative_names=tuple(alias for alias in aliases if alias.casefold() != name.casefold()),
        institutions=unique(clean_text(a) for a in as_list(data.get("affiliations"))),
        works_count=as_int(data.get("paperCount")),
        cited_by_count=as_int(data.get("citationCount")),
        h_index=as_int(data.get("hIndex")),
        profile_url=_str(data.get("url")) or f"https://www.semanticscholar.org/author/{author_id}",
        homepage=_str(data.get("homepage")),
        source=SOURCE,
    )


def parse_paper(data: dict[str, Any]) -> PaperRecord:
    """A paper; the title may be empty when the caller asked for other fields only."""
    paper_id = data.get("paperId")
    if not isinstance(paper_id, str) or not paper_id:
        raise MalformedItem("paper has no paperId")
    external = as_dict(data.get("externalIds"))
    arxiv = _arxiv_base(external.get("ArXiv"))
    venue = clean_text(data.get("venue")) or clean_text(as_dict(data.get("journal")).get("name"))
    links = {"semanticscholar": _str(data.get("url")) or f"https://www.semanticscholar.org/paper/{paper_id}"}
    pdf = _str(as_dict(data.get("openAccessPdf")).get("url"))
    if pdf:
        links["pdf"] = pdf
    authors = []
    for entry in map(as_dict, as_list(data.get("authors"))):
        name = clean_text(entry.get("name"))
        if name:
            s2_id = entry.get("authorId")
            authors.append(AuthorRef(name=name, s2_id=str(s2_id) if isinstance(s2_id, str | int) else None))
    return PaperRecord(
        title=clean_text(data.get("title")),
        arxiv_id=arxiv,
        doi=normalized(normalize_doi, external.get("DOI")),
        abstract=clean_text(data.get("abstract")),
        authors=tuple(authors),
        published=parse_timestamp(data.get("publicationDate")),
        venue=venue or None,
        citation_count=as_int(data.get("citationCount")),
        s2_id=paper_id,
        sources=(SOURCE,),
        links=links,
        tldr=clean_text(as_dict(data.get("tldr")).get("text")) or None,
    )


def parse_edge(data: dict[str, Any], side: str) -> CitationEdge:
    """A `/citations` or `/references` item; the paper on `side` may lack an id (S2 knows only its title)."""
    other = as_dict(data.get(side))
    title = clean_text(other.get("title"))
    if not title and not other.get("paperId"):
        raise MalformedItem("citation without a paper")
    paper = parse_paper(other) if isinstance(other.get("paperId"), str) and other.get("paperId") else PaperRecord(
        title=title, sources=(SOURCE,))
    contexts = tuple(c for c in (clean_text(x) for x in as_list(data.get("contexts"))) if c)
    intents = tuple(i for i in (clean_text(x) for x in as_list(data.get("intents"))) if i)
    return CitationEdge(paper, contexts, intents)


# ---------------------------------------------------------------- helpers


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _arxiv_base(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_arxiv_id(value).base
    except InvalidId:
        return None


def _segment(identifier: str) -> str:
    """An id as a path segment: DOIs keep their slashes (S2 routes them), anything URL-unsafe is escaped."""
    return quote(identifier.strip(), safe="/:()")


def _object(data: Any, source: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Unavailable(source, "answered in an unexpected shape")
    return data


