"""New works citing a followed paper or researcher, for a digest's "New citations" section (`follow citations`).

OpenAlex list calls are billed, so each followed target costs one call per digest window start (a day's digests
share it through the cache), asks for one page only, and shows at most `SHOWN` papers; the rest are counted, not
fetched. A followed researcher is watched through their `TOP_CITED` most cited works, joined in one `cites:`
filter (`cites:W1|W2|…`); which works those are is asked once a week (`WORKS_TTL`). A work OpenAlex knows no arXiv
id or DOI for cannot be deduplicated against other sources: it is counted with the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from core.app import App
from core.digest.sections import CITATION, SectionItem
from core.ids import InvalidId
from core.model.channels import Subscription
from core.model.papers import AuthorRef, PaperRecord
from core.researchers.citations import (
    CITING_PAGE,
    CitedWork,
    is_researcher_target,
    paper_target,
    researcher_works,
)
from core.sources.openalex import OpenAlexSource
from core.storage import repos

SHOWN = 10  # citations of one followed target in one digest
PAGE = CITING_PAGE  # one OpenAlex page: enough for SHOWN after what the channel already had
LISTING_TTL = timedelta(hours=20)


def _entry(paper: PaperRecord, cites: Iterable[str]) -> dict[str, Any] | None:
    try:
        paper_id = paper.canonical_id
    except InvalidId:
        return None
    return {"id": paper_id, "title": paper.title, "arxiv": paper.arxiv_id, "doi": paper.doi,
            "authors": [a.name for a in paper.authors if a.name][:10], "abstract": paper.abstract[:1000],
            "published": paper.published.date().isoformat() if paper.published else None,
            "url": paper.links.get("landing") or paper.links.get("openalex"), "cites": sorted(cites)}


def _paper(entry: dict[str, Any]) -> PaperRecord:
    url = entry.get("url")
    return PaperRecord(title=str(entry["title"]), arxiv_id=entry.get("arxiv"), doi=entry.get("doi"),
                       abstract=str(entry.get("abstract") or ""),
                       authors=tuple(AuthorRef(name=str(n)) for n in entry.get("authors") or ()),
                       sources=("openalex",), links={"landing": url} if isinstance(url, str) else {})


async def target_works(app: App, row: Subscription) -> list[CitedWork]:
    """The works whose new citations a citations subscription watches."""
    query = row.query or ""
    return await researcher_works(app, query) if is_researcher_target(query) else [paper_target(row.display_name,
                                                                                                  query)]


async def citing_works(app: App, target: str, works: Sequence[CitedWork],
                       since: date) -> tuple[list[dict[str, Any]], int]:
    """The works citing any of `works` published since `since`, as cached entries, and how many OpenAlex counts."""
    ids = sorted(w.openalex_id for w in works)
    key = f"digest-cites:{target}:{'|'.join(ids)}:{since.isoformat()}"
    async with app.db.session() as session:
        cached = await repos.cache_get(session, key, now=app.now())
    if cached is None:
        found, total = await OpenAlexSource(app.sources.openalex).citing_works(ids, since, per_page=PAGE)
        entries = [e for e in (_entry(paper, cites) for paper, cites in found) if e is not None]
        cached = {"works": entries, "total": total}
        async with app.db.session() as session:
            await repos.cache_put(session, key, cached, LISTING_TTL, now=app.now())
            await session.commit()
    works_found = [w for w in cached.get("works", []) if isinstance(w, dict)]
    return works_found, int(cached.get("total") or len(works_found))


def cites_text(cited: Sequence[CitedWork], whose: str | None) -> str:
    """`cites *Datamodels* (2022)`; for a followed researcher `cites Andrew Ilyas's *Datamodels* (2022)`, and
    `… and 2 more of their papers` when it cites several."""
    owner = f"{whose}'s " if whose else ""
    if not cited:
        return f"cites {owner}work" if whose else "cites the paper"
    text = f"cites {owner}{cited[0].label}"
    if len(cited) == 2:
        text += f" and {cited[1].label}"
    elif len(cited) > 2:
        text += f" and {len(cited) - 1} more of their papers"
    return text


async def citation_candidates(app: App, row: Subscription, since: date) -> tuple[list[SectionItem], int]:
    """The section's candidates for one followed target, newest first, and how many new citations there are."""
    works = await target_works(app, row)
    if not works:
        return [], 0
    whose = row.display_name if is_researcher_target(row.query) else None
    entries, total = await citing_works(app, row.query or "", works, since)
    order = {w.openalex_id: place for place, w in enumerate(works)}
    items = []
    for entry in entries:
        listed = [str(i) for i in entry.get("cites") or () if str(i) in order]
        cited = sorted((works[order[i]] for i in listed), key=lambda w: order[w.openalex_id])
        if not cited and whose is None:
            cited = list(works[:1])  # a followed paper's citing work cites that paper
        items.append(SectionItem(_paper(entry), CITATION, row.number, cites_text(cited, whose), cited=tuple(cited)))
    return items, total
