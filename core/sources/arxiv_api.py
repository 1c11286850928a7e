"""The arXiv query API (export.arxiv.org/api/query): papers by id, and searches by author, title, category, date.

Answers are Atom. arXiv's quirks shape this module: an `id_list` silently drops ids that do not exist (we
report them back as missing), a malformed request comes back as an Atom entry titled "Error" (with HTTP 400
or 200), paging is by `start`/`max_results` against `opensearch:totalResults`, and a page in the middle of a
result set is now and then empty although more results exist.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from core.ids import InvalidId, parse_arxiv_id
from core.model.papers import AuthorRef, PaperRecord
from core.sources.arxiv_text import clean_whitespace, first_doi
from core.sources.http import BadRequest, NotFound, Unavailable
from core.sources.parsing import parse_timestamp

if TYPE_CHECKING:
    from core.sources.hub import SourceHub

log = logging.getLogger(__name__)

SOURCE = "arXiv"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
MAX_PAGE = 2000  # arXiv's own cap per request
LOOKUP_BATCH = 100
SortBy = Literal["relevance", "lastUpdatedDate", "submittedDate"]
SortOrder = Literal["ascending", "descending"]

# A category (`cs.LG`, `hep-th`) or a whole archive (`cs.*`): arXiv's API matches an archive only through a
# wildcard, and nothing else in this shape can widen or escape the query.
_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.([A-Za-z][A-Za-z-]*|\*))?$")


@dataclass(frozen=True)
class ApiPage:
    """One response of the query API."""

    records: tuple[PaperRecord, ...]
    total_results: int
    start_index: int
    skipped: int = 0


@dataclass(frozen=True)
class LookupResult:
    """Papers found by id, in the order asked; `missing` lists every id arXiv has no paper for, as given."""

    found: tuple[PaperRecord, ...]
    missing: tuple[str, ...] = ()
    # The subset of `missing` that is not even shaped like an arXiv id (never sent to arXiv).
    invalid: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    records: tuple[PaperRecord, ...]
    total_results: int
    query: str
    start: int = 0
    # Where a further page would begin; None once every result has been read.
    next_start: int | None = None


# ---------------------------------------------------------------- parsing


def _error_entry(root: ET.Element) -> str | None:
    """arXiv's error shape: a single entry titled "Error" whose summary says what was wrong."""
    for entry in root.iterfind(f"{ATOM}entry"):
        title = clean_whitespace(entry.findtext(f"{ATOM}title"))
        ident = entry.findtext(f"{ATOM}id") or ""
        if title == "Error" and "/abs/" not in ident:
            return clean_whitespace(entry.findtext(f"{ATOM}summary")) or "arXiv rejected the query"
    return None


def error_message(body: str | bytes) -> str | None:
    """The message of an arXiv error response, or None when the body is not one."""
    try:
        return _error_entry(ET.fromstring(body))
    except ET.ParseError:
        return None


def _entry(entry: ET.Element) -> PaperRecord:
    ident = title = summary = primary = doi = jref = published = updated = comment = ""
    categories: list[str] = []
    authors: list[AuthorRef] = []
    links: dict[str, str] = {}
    for child in entry:
        tag, text = child.tag, child.text or ""
        if tag == f"{ATOM}id":
            ident = text
        elif tag == f"{ATOM}title":
            title = text
        elif tag == f"{ATOM}summary":
            summary = text
        elif tag == f"{ATOM}author":
            name = clean_whitespace(child.findtext(f"{ATOM}name"))
            if name:
                affiliation = clean_whitespace(child.findtext(f"{ARXIV}affiliation")) or None
                authors.append(AuthorRef(name=name, affiliation=affiliation))
        elif tag == f"{ATOM}category":
            categories.append(child.get("term", "").strip())
        elif tag == f"{ARXIV}primary_category":
            primary = child.get("term", "").strip()
        elif tag == f"{ATOM}link":
            if child.get("title") == "pdf":
                links["pdf"] = child.get("href", "")
            elif child.get("rel") == "alternate":
                links["abs"] = child.get("href", "")
        elif tag in (f"{ARXIV}doi", f"{ARXIV}DOI"):
            doi = text
        elif tag in (f"{ARXIV}journal_ref", f"{ARXIV}journal_reference"):
            jref = text
        elif tag == f"{ARXIV}comment":
            comment = text
        elif tag == f"{ATOM}published":
            published = text
        elif tag == f"{ATOM}updated":
            updated = text
    _, _, tail = ident.partition("/abs/")
    try:
        arxiv_id = parse_arxiv_id(tail or ident)
    except InvalidId as exc:
        raise ValueError(f"entry without an arXiv id ({ident[:80]!r})") from exc
    clean_title = clean_whitespace(title)
    if not clean_title:
        raise ValueError(f"{arxiv_id} has no title")
    cats = tuple(dict.fromkeys(c for c in (primary, *categories) if c))
    return PaperRecord(
        title=clean_title,
        arxiv_id=arxiv_id.base,
        doi=first_doi(doi),
        versions=(arxiv_id.version,) if arxiv_id.version else (),
        abstract=clean_whitespace(summary),
        authors=tuple(authors),
        categories=cats,
        primary_category=cats[0] if cats else None,
        published=parse_timestamp(published),
        updated=parse_timestamp(updated),
        journal_ref=clean_whitespace(jref) or None,
        comment=clean_whitespace(comment) or None,
        sources=("arxiv",),
        links={k: v.replace("http://", "https://", 1) for k, v in links.items() if v},
    )


def _int(text: str | None, default: int) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return default


def parse_api_response(xml: bytes | str) -> ApiPage:
    """Parse one query API response (no network); raises BadRequest for arXiv's error entries."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        head = (xml[:1024] if isinstance(xml, bytes) else xml[:1024].encode()).lower()
        if b"<html" in head or b"<!doctype html" in head:
            raise Unavailable(SOURCE, "answered with a web page instead of search results") from exc
        raise Unavailable(SOURCE, "sent incomplete or damaged search results") from exc
    if root.tag != f"{ATOM}feed":
        raise Unavailable(SOURCE, f"answered with something that is not an Atom feed (<{root.tag}>)")
    message = _error_entry(root)
    if message is not None:
        raise BadRequest(SOURCE, message)
    records: list[PaperRecord] = []
    skipped = 0
    for index, entry in enumerate(root.iterfind(f"{ATOM}entry")):
        try:
            records.append(_entry(entry))
        except ValueError as exc:
            skipped += 1
            log.warning("%s: skipped entry #%d: %s", SOURCE, index, exc)
    total = _int(root.findtext(f"{OPENSEARCH}totalResults"), len(records) + skipped)
    start = _int(root.findtext(f"{OPENSEARCH}startIndex"), 0)
    return ApiPage(tuple(records), total, start, skipped)


async def _query(hub: SourceHub, params: dict[str, Any]) -> ApiPage:
    try:
        response = await hub.arxiv_api.get("query", params)
    except BadRequest as exc:
        message = error_message(exc.body) if exc.body else None
        if message:
            raise BadRequest(SOURCE, message, status=exc.status, body=exc.body) from exc
        raise
    return parse_api_response(response.content)


# ---------------------------------------------------------------- lookups


async def lookup_ids(hub: SourceHub, ids: Iterable[str], *, batch_size: int = LOOKUP_BATCH) -> LookupResult:
    """Papers for arXiv ids (new or old style, with or without version), in the order asked."""
    wanted: dict[str, str] = {}  # normalised id -> the text the caller gave
    invalid: list[str] = []
    for raw in [ids] if isinstance(ids, str) else ids:
        text = raw.strip() if isinstance(raw, str) else ""
        try:
            key = str(parse_arxiv_id(text))
        except InvalidId:
            # One malformed id would make arXiv reject the whole batch: keep it out and report it.
            if text and text not in invalid:
                invalid.append(text)
            continue
        wanted.setdefault(key, text)
    found: dict[str, PaperRecord] = {}
    keys = list(wanted)
    for offset in range(0, len(keys), max(1, batch_size)):
        batch = keys[offset : offset + batch_size]
        page = await _query(hub, {"id_list": ",".join(batch), "start": 0, "max_results": len(batch)})
        by_base: dict[str, list[PaperRecord]] = {}
        for record in page.records:
            if record.arxiv_id:
                by_base.setdefault(record.arxiv_id, []).append(record)
        for key in batch:
            parsed = parse_arxiv_id(key)
            # Asking for v3 of a paper that has two versions is a miss, not the latest version.
            match = next(
                (r for r in by_base.get(parsed.base, ()) if parsed.version is None or parsed.version in r.versions),
                None,
            )
            if match is not None:
                found[key] = match
    missing = [wanted[key] for key in keys if key not in found]
    return LookupResult(tuple(found[key] for key in keys if key in found), tuple(invalid + missing), tuple(invalid))


async def lookup_id(hub: SourceHub, arxiv_id: str) -> PaperRecord:
    """One paper by id; NotFound when arXiv has none, BadRequest when the text is not an arXiv id."""
    try:
        parse_arxiv_id(arxiv_id)
    except InvalidId as exc:
        raise BadRequest(SOURCE, str(exc)) from exc
    result = await lookup_ids(hub, [arxiv_id])
    if not result.found:
        raise NotFound(SOURCE, f"there is no arXiv paper {arxiv_id.strip()}")
    return result.found[0]


# ---------------------------------------------------------------- searching


def _phrase(field: str, value: str) -> str:
    # Quotes inside a value would end the phrase early and let the rest be read as query syntax.
    words = value.replace('"', " ").split()
    text = " ".join(words)
    return f'{field}:"{text}"' if len(words) > 1 else f"{field}:{text}"


def _stamp(value: date | datetime, *, end: bool) -> str:
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.strftime("%Y%m%d%H%M")
    return value.strftime("%Y%m%d") + ("2359" if end else "0000")


def build_search_query(
    *,
    author: str | None = None,
    title: str | None = None,
    abstract: str | None = None,
    category: str | Sequence[str] | None = None,
    submitted_from: date | datetime | None = None,
    submitted_to: date | datetime | None = None,
) -> str:
    """arXiv's `search_query`: `au:`, `ti:`, `abs:`, `cat:` and `submittedDate:[... TO ...]` joined by AND."""
    terms = [
        _phrase(field, value)
        for field, value in (("au", author), ("ti", title), ("abs", abstract))
        if value and value.replace('"', " ").strip()
    ]
    categories = [category] if isinstance(category, str) else list(category or [])
    categories = [c.strip() for c in categories if c and c.strip()]
    for cat in categories:
        if not _CATEGORY.match(cat):
            raise BadRequest(SOURCE, f"{cat[:40]!r} is not an arXiv category (examples: cs.LG, math.GT, hep-th)")
    if len(categories) == 1:
        terms.append(f"cat:{categories[0]}")
    elif categories:
        terms.append("(" + " OR ".join(f"cat:{c}" for c in categories) + ")")
    if submitted_from is not None or submitted_to is not None:
        low = _stamp(submitted_from, end=False) if submitted_from is not None else "199107010000"
        high = _stamp(submitted_to, end=True) if submitted_to is not None else _stamp(datetime.now(UTC), end=True)
        if low > high:
            raise BadRequest(SOURCE, "the submission date range ends before it starts")
        terms.append(f"submittedDate:[{low} TO {high}]")
    if not terms:
        raise BadRequest(SOURCE, "a search needs an author, title, abstract words or a category")
    return " AND ".join(terms)


async def search(
    hub: SourceHub,
    *,
    author: str | None = None,
    title: str | None = None,
    abstract: str | None = None,
    category: str | Sequence[str] | None = None,
    submitted_from: date | datetime | None = None,
    submitted_to: date | datetime | None = None,
    start: int = 0,
    max_results: int = 100,
    page_size: int = 100,
    sort_by: SortBy = "submittedDate",
    sort_order: SortOrder = "descending",
) -> SearchResult:
    """Up to `max_results` papers from `start` on, fetched `page_size` at a time."""
    query = build_search_query(
        author=author, title=title, abstract=abstract, category=category,
        submitted_from=submitted_from, submitted_to=submitted_to,
    )  # fmt: skip
    page_size = max(1, min(page_size, MAX_PAGE))
    collected: dict[str, PaperRecord] = {}
    offset, total = max(0, start), 0
    # Repeated entries across pages add nothing; the cap keeps such a loop from walking the whole index.
    requests_left = -(-max(0, max_results) // page_size) + 2
    empty_retries = 1
    exhausted = False
    while len(collected) < max_results and requests_left > 0:
        requests_left -= 1
        size = min(page_size, max_results - len(collected))
        params = {"search_query": query, "start": offset, "max_results": size, "sortBy": sort_by, "sortOrder": sort_order}
        page = await _query(hub, params)
        total = page.total_results
        read = len(page.records) + page.skipped
        if read == 0:
            if offset < total and empty_retries > 0:
                # arXiv sometimes serves an empty page in the middle of a result set; asking again helps.
                empty_retries -= 1
                log.info("%s: empty page at %d of %d, asking again", SOURCE, offset, total)
                continue
            exhausted = offset >= total
            break
        for index, record in enumerate(page.records):
            if len(collected) >= max_results:
                # Stopped inside the page: resume at the first unread entry, so that nothing is skipped.
                offset += index
                break
            if record.arxiv_id:
                collected.setdefault(record.arxiv_id, record)
        else:
            offset += read
        if offset >= total:
            exhausted = True
            break
    records = tuple(collected.values())
    return SearchResult(records, total, query, max(0, start), None if exhausted else offset)
