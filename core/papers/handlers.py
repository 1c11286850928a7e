"""Paper and trending lookups."""

from __future__ import annotations

from datetime import timedelta

from core.app import App
from core.commands import LookupPaper, Trending
from core.model.context import Actor, Destination
from core.papers.lookup import lookup_paper
from core.sources.huggingface import HuggingFaceSource, TrendingPaper
from core.storage import repos
from core.views import PaperCard, Problem, TrendingItem, TrendingView

TRENDING_SHOWN = 15


async def paper(app: App, command: LookupPaper, actor: Actor, where: Destination) -> PaperCard | Problem:
    return await lookup_paper(app, command.query)


def _item(rank: int, entry: TrendingPaper) -> TrendingItem:
    names = [a.name for a in entry.paper.authors]
    authors = ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")
    return TrendingItem(
        rank=rank, title=entry.paper.title, url=entry.paper.abs_url or entry.hf_url, upvotes=entry.upvotes,
        authors=authors, code_url=entry.github_url, project_url=entry.project_url,
        summary=(entry.ai_summary or "")[:300],
    )


async def trending(app: App, command: Trending, actor: Actor, where: Destination) -> TrendingView | Problem:
    today = app.now().date()
    day = command.day or today
    if day > today:
        return Problem("That day has not happened yet", f"{day.isoformat()} is in the future.",
                       "Try `trending` for today.", code="invalid")
    key = f"trending:{day.isoformat()}"
    async with app.db.session() as session:
        cached = await repos.cache_get(session, key, now=app.now())
    if cached is None:
        entries = await HuggingFaceSource(app.sources.huggingface).daily_papers(day)
        cached = [_item(rank, e).__dict__ for rank, e in enumerate(entries[:TRENDING_SHOWN], 1)]
        # Today's list still moves; a past day's is settled.
        ttl = timedelta(hours=1) if day >= today - timedelta(days=1) else timedelta(days=30)
        async with app.db.session() as session:
            await repos.cache_put(session, key, cached, ttl, now=app.now())
            await session.commit()
    return TrendingView(day=day, items=tuple(TrendingItem(**item) for item in cached))
