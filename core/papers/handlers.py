"""Paper and trending lookups."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from core.app import App
from core.commands import LookupPaper, Trending
from core.model.context import Actor, Destination
from core.papers.lookup import lookup_paper
from core.sources.huggingface import HuggingFaceSource, TrendingPaper
from core.storage import channels, repos
from core.views import PaperCard, PickList, Problem, TrendingItem, TrendingView

TRENDING_SHOWN = 15
TRENDING_LOOKBACK = 7  # days searched back for the latest list when none was asked for (weekends, holidays)


async def paper(app: App, command: LookupPaper, actor: Actor, where: Destination) -> PaperCard | PickList | Problem:
    return await lookup_paper(app, command.query)


def _item(rank: int, entry: TrendingPaper) -> TrendingItem:
    names = [a.name for a in entry.paper.authors]
    authors = ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")
    return TrendingItem(
        rank=rank, title=entry.paper.title, url=entry.paper.abs_url or entry.hf_url, upvotes=entry.upvotes,
        authors=authors, code_url=entry.github_url, project_url=entry.project_url,
        summary=(entry.ai_summary or "")[:300],
    )


async def _day_items(app: App, day: date, today: date) -> list[TrendingItem]:
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
    return [TrendingItem(**item) for item in cached]


async def _channel_today(app: App, where: Destination) -> date:
    """Today as the channel reads its calendar (its digest time zone), not the server's."""
    async with app.db.session() as session:
        zone = (await channels.channel_settings(session, where)).timezone
    try:
        return app.now().astimezone(ZoneInfo(zone)).date()
    except (KeyError, ValueError):
        return app.now().date()


async def trending(app: App, command: Trending, actor: Actor, where: Destination) -> TrendingView | Problem:
    today = await _channel_today(app, where)
    if command.day is not None:
        if command.day > today:
            return Problem("That day has not happened yet", f"{command.day.isoformat()} is in the future.",
                           "Try `trending` for the latest day.", code="invalid")
        return TrendingView(day=command.day, items=tuple(await _day_items(app, command.day, today)))
    # No day asked: the latest list with papers. Early in the morning, and on weekends, today's is empty.
    for back in range(TRENDING_LOOKBACK + 1):
        day = today - timedelta(days=back)
        items = await _day_items(app, day, today)
        if items:
            note = None if back == 0 else f"Today ({today.isoformat()}) has no list yet; this is the latest day with papers."
            return TrendingView(day=day, items=tuple(items), note=note)
    return TrendingView(day=today, items=(), note=f"No Hugging Face daily papers in the last {TRENDING_LOOKBACK} days.")
