"""Subscriptions that add a section to the digest instead of matching papers: `subscribe trending [top N]`."""

from __future__ import annotations

from core.app import App
from core.commands import SubscribeTrending
from core.model.context import Actor, Destination
from core.storage import channels
from core.subscriptions.handlers import limit_problem
from core.subscriptions.setup import open_channel, schedule_phrase
from core.views import Notice, Problem, Visibility

TRENDING = "trending"


def trending_label(top: int) -> str:
    return f"Trending on Hugging Face (top {top})"


def trending_top(query: str | None, default: int = 5) -> int:
    """A stored trending subscription's size; the default for anything unreadable (a hand-edited row)."""
    return int(query) if query and query.isdecimal() and 0 < int(query) <= 50 else default


async def subscribe_trending(app: App, command: SubscribeTrending, actor: Actor,
                             where: Destination) -> Notice | Problem:
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        known = await channels.list_subscriptions(session, channel.id)
        existing = next((s for s in known if s.kind == TRENDING), None)
        if existing is not None:
            # One section per channel: asking again changes its size, under the same number.
            if trending_top(existing.query) == command.top:
                return Notice(f"This channel already has trending papers as #{existing.number} "
                              f"(top {command.top}).")
            await channels.change_subscription(session, channel.id, existing.number, query=str(command.top),
                                               display_name=trending_label(command.top))
            number = existing.number
        else:
            if len(known) >= app.settings.max_subscriptions_per_channel:
                return limit_problem(app.settings.max_subscriptions_per_channel)
            record = await channels.add_subscription(session, channel.id, kind=TRENDING, query=str(command.top),
                                                     display_name=trending_label(command.top),
                                                     created_by=actor.user_id)
            number = record.number
        await session.commit()
    when = schedule_phrase(channel.settings, actor, app.now(), first=not known)
    done = (f"Subscribed this channel to trending papers as #{number}" if existing is None
            else f"Subscribed this channel to the top {command.top} trending papers (#{number}, was top "
                 f"{trending_top(existing.query)})")
    return Notice(
        f"{done}: each digest ends with \"Trending today\", the {command.top} most upvoted of Hugging Face's "
        "daily papers that this channel has not had yet. On days Hugging Face lists none (weekends), the "
        f"section is left out. {when}",
        title="Subscribed", actor_id=actor.user_id, visibility=Visibility.CHANNEL)
