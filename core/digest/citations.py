"""New works citing a followed paper, for a digest's "New citations" section (`follow citations <paper>`).

OpenAlex list calls are billed, so each followed paper costs one call per digest window start (a day's digests
share it through the cache), asks for one page only, and shows at most `SHOWN` papers; the rest are counted,
not fetched. A work OpenAlex knows no arXiv id or DOI for cannot be deduplicated against other sources: it is
counted with the rest.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from core.app import App
from core.digest.sections import CITATION, SectionItem
from core.ids import InvalidId
from core.model.papers import AuthorRef, PaperRecord
from core.sources.openalex import OpenAlexSource
from core.storage import repos

SHOWN = 10  # citations of one followed paper in one digest
PAGE = 25  # one OpenAlex page: enough for SHOWN after what the channel already had


def _entry(paper: PaperRecord) -> dict[str, Any] | None:
    try:
        paper_id = paper.canonical_id
    except InvalidId:
        return None
    return {"id": paper_id, "title": paper.title, "arxiv": paper.arxiv_id, "doi": paper.doi,
            "authors": [a.name for a in paper.authors if a.name][:10], "abstract": paper.abstract[:1000],
            "published": paper.published.date().isoformat() if paper.published else None,
            "url": paper.links.get("landing") or paper.links.get("openalex")}


def _paper(entry: dict[str, Any]) -> PaperRecord:
    url = entry.get("url")
    return PaperRecord(title=str(entry["title"]), arxiv_id=entry.get("arxiv"), doi=entry.get("doi"),
                       abstract=str(entry.get("abstract") or ""),
                       authors=tuple(AuthorRef(name=str(n)) for n in entry.get("authors") or ()),
                       sources=("openalex",), links={"landing": url} if isinstance(url, str) else {})


def cited_label(display_name: str | None) -> str:
    """`*Datamodels* (2022)` from the subscription's stored label (`Datamodels (2022)`)."""
    name = display_name or "the paper"
    title, _, year = name.rpartition(" (")
    return f"*{title}* ({year}" if title and year.endswith(")") else f"*{name}*"


async def citing_works(app: App, work_id: str, since: date) -> tuple[list[dict[str, Any]], int]:
    """The works citing `work_id` published since `since`, as cached entries, and how many OpenAlex counts."""
    key = f"digest-cites:{work_id}:{since.isoformat()}"
    async with app.db.session() as session:
        cached = await repos.cache_get(session, key, now=app.now())
    if cached is None:
        listing = await OpenAlexSource(app.sources.openalex).works(
            f"cites:{work_id},from_publication_date:{since.isoformat()}", per_page=PAGE, max_results=PAGE)
        entries = [e for e in map(_entry, listing.items) if e is not None]
        cached = {"works": entries, "total": listing.total if listing.total is not None else len(entries)}
        async with app.db.session() as session:
            await repos.cache_put(session, key, cached, timedelta(hours=20), now=app.now())
            await session.commit()
    works = [w for w in cached.get("works", []) if isinstance(w, dict)]
    return works, int(cached.get("total") or len(works))


async def citation_candidates(app: App, number: int, work_id: str, label: str | None,
                              since: date) -> tuple[list[SectionItem], int]:
    """The section's candidates for one followed paper, newest first, and how many citations there are in all."""
    works, total = await citing_works(app, work_id, since)
    text = f"cites {cited_label(label)}"
    items = [SectionItem(_paper(w), CITATION, number, text) for w in works]
    return items, total
