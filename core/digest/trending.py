"""Hugging Face's daily papers for a digest's "Trending today" section.

The day's list is fetched once and cached (an hour while the day's list still moves, a month after), so a
thousand channels with the section cost one request, not a thousand. The cached entries keep what a digest
line and the ledger need: the paper (stored before it is claimed), its upvotes, comments and code link.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from core.app import App
from core.digest.sections import TRENDING, SectionItem
from core.model.papers import AuthorRef, PaperRecord
from core.sources.huggingface import PAPER_PAGE, HuggingFaceSource, TrendingPaper
from core.storage import repos

log = logging.getLogger(__name__)
CANDIDATES = 60  # enough that a top 20 survives what the channel had and what its digest holds


def _entry(item: TrendingPaper) -> dict[str, Any]:
    paper = item.paper
    return {"id": paper.arxiv_id, "title": paper.title, "abstract": paper.abstract,
            "authors": [a.name for a in paper.authors if a.name], "upvotes": item.upvotes,
            "comments": item.num_comments, "code": item.github_url}


def _candidate(entry: dict[str, Any], number: int) -> SectionItem | None:
    arxiv_id, title = entry.get("id"), entry.get("title")
    if not isinstance(arxiv_id, str) or not isinstance(title, str):
        return None
    paper = PaperRecord(title=title, arxiv_id=arxiv_id, abstract=str(entry.get("abstract") or ""),
                        authors=tuple(AuthorRef(name=str(n)) for n in entry.get("authors") or ()),
                        sources=("huggingface",), links={"huggingface": PAPER_PAGE.format(id=arxiv_id)})
    upvotes, comments = int(entry.get("upvotes") or 0), int(entry.get("comments") or 0)
    text = f"trending on Hugging Face: ▲ {upvotes} upvotes · {comments} comment{'' if comments == 1 else 's'}"
    code = entry.get("code")
    return SectionItem(paper, TRENDING, number, text, code_url=code if isinstance(code, str) else None)


async def trending_candidates(app: App, day: date, number: int) -> list[SectionItem]:
    """The day's trending papers, most upvoted first; [] on a day Hugging Face lists none (weekends).
    Raises the source's errors when Hugging Face does not answer."""
    key = f"digest-trending:{day.isoformat()}"
    now: datetime = app.now()
    async with app.db.session() as session:
        cached = await repos.cache_get(session, key, now=now)
    if cached is None:
        entries = await HuggingFaceSource(app.sources.huggingface).daily_papers(day)
        cached = [_entry(e) for e in entries[:CANDIDATES]]
        # The day's list still moves while the day lasts somewhere; a past day's is settled.
        ttl = timedelta(hours=1) if day >= now.date() - timedelta(days=1) else timedelta(days=30)
        async with app.db.session() as session:
            await repos.cache_put(session, key, cached, ttl, now=now)
            await session.commit()
    return [c for c in (_candidate(e, number) for e in cached if isinstance(e, dict)) if c is not None]
