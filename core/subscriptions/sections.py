"""Subscriptions that add a section to the digest instead of matching papers: `subscribe trending [top N]`."""

from __future__ import annotations

from core.app import App
from core.commands import FollowCitations, SubscribeTrending
from core.ids import InvalidId
from core.model.context import Actor, Destination
from core.model.papers import PaperRecord
from core.sources.http import NotFound, SourceError
from core.sources.openalex import OpenAlexSource
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


CITATIONS = "citations"
MAX_CITATION_TARGETS = 10  # per channel: each costs one billed OpenAlex list call a day


def citations_label(paper: PaperRecord) -> str:
    """`Datamodels (2022)`: what `list` shows and what each citation line says it cites."""
    title = " ".join(paper.title.split())[:250]
    return f"{title} ({paper.published.year})" if paper.published else title


async def follow_citations(app: App, command: FollowCitations, actor: Actor,
                           where: Destination) -> Notice | Problem:
    if app.settings.openalex_api_key is None:
        return Problem("Citations need OpenAlex", "New citations come from OpenAlex's citation lists, which this "
                       "server cannot read without an API key.",
                       "Whoever runs Paper Radar can set OPENALEX_API_KEY.", code="unavailable")
    try:
        paper = await OpenAlexSource(app.sources.openalex).work(command.target)
    except (NotFound, InvalidId):
        return Problem("I can't find that paper", f"OpenAlex has no work `{command.target[:80]}`.",
                       "Use an OpenAlex work id (`W2741809807`), a DOI or an arXiv id.", code="not_found")
    except SourceError as error:
        return Problem("OpenAlex did not answer", str(error), "Try again in a few minutes.", code="unavailable")
    if not paper.openalex_id:
        return Problem("I can't follow that paper's citations", "OpenAlex gave it no work id.", code="not_found")
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        known = await channels.list_subscriptions(session, channel.id)
        for existing in known:
            if existing.kind == CITATIONS and existing.query == paper.openalex_id:
                return Notice(f"This channel already follows the citations of {existing.label} as "
                              f"#{existing.number}.")
        if sum(s.kind == CITATIONS for s in known) >= MAX_CITATION_TARGETS:
            return Problem("This channel follows enough citations", f"A channel can follow the citations of at "
                           f"most {MAX_CITATION_TARGETS} papers.", "Remove one with `unsubscribe <number>`.",
                           code="limit")
        if len(known) >= app.settings.max_subscriptions_per_channel:
            return limit_problem(app.settings.max_subscriptions_per_channel)
        label = citations_label(paper)
        record = await channels.add_subscription(session, channel.id, kind=CITATIONS, query=paper.openalex_id,
                                                 display_name=label, created_by=actor.user_id)
        await session.commit()
    cited = f" ({paper.citation_count:,} so far)" if paper.citation_count else ""
    return Notice(
        f"Subscribed this channel to the citations of {label}{cited} as #{record.number}: each digest gets a "
        "\"New citations\" section with the works published since the last one that cite it (at most 10, with a "
        f"count of the rest). {schedule_phrase(channel.settings, actor, app.now(), first=not known)}",
        title="Subscribed", actor_id=actor.user_id, visibility=Visibility.CHANNEL)
