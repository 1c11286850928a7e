"""Ratings and what a channel learns from them: `like`, `dislike`, `unrate` (and the 👍/👎 buttons),
`feedback`, `feedback reset`.

Every change of a channel's ratings relearns its profile at once (a few milliseconds) and stores it, so the
clock planning thousands of digests only reads one row per channel that rated anything. The content space the
profile lives in is the latest batch's (the papers arrived in the last day and a half), shared with the
digest's matcher; before any batch has arrived, the rated papers themselves give it its idf.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import numpy as np

from core.app import App
from core.commands import RatePaper, ResetFeedback, ShowFeedback
from core.digest.blend import as_profile, net_ratings, profile_from
from core.digest.content import ContentSpace, paper_terms, term_indices
from core.digest.plan import FIRST_WINDOW, shared_matcher
from core.digest.profile import ChannelProfile, blend_weight, learn_profile
from core.model.context import Actor, Destination
from core.model.papers import PaperRecord
from core.papers.lookup import resolve_paper
from core.storage import channels, ratings
from core.storage.db import AsyncSession
from core.views import FeedbackView, Notice, PaperLine, Problem, Visibility

log = logging.getLogger(__name__)
SHOWN_TERMS = 8
SHOWN_EXAMPLES = 3


async def learning_space(app: App, session: AsyncSession, rated: Sequence[PaperRecord]) -> ContentSpace:
    """The content space of the latest batch, or of the rated papers when nothing has arrived lately."""
    now = app.now()
    matcher = await shared_matcher(session, now - FIRST_WINDOW - timedelta(days=3), now)
    return matcher.space if matcher is not None else ContentSpace(list(rated))


async def relearn(app: App, session: AsyncSession, destination_id: int) -> ChannelProfile:
    """Learn the channel's profile from all its ratings and store it (in the caller's transaction)."""
    values = await ratings.channel_ratings(session, destination_id)
    known = await ratings.papers(session, list(net_ratings(values)))
    space = await learning_space(app, session, list(known.values()))
    stored = profile_from(space, destination_id, values, known)
    await ratings.save_profile(session, stored)
    return as_profile(stored)


def _verb(value: int) -> str:
    return {1: "like", -1: "dislike"}.get(value, "unrate")


async def rate(app: App, command: RatePaper, actor: Actor, where: Destination) -> Notice | Problem:
    found = await resolve_paper(app, command.paper)
    if isinstance(found, Problem):
        return found
    paper_id = found.canonical_id
    async with app.db.session() as session:
        channel = await channels.ensure_channel(session, where)
        current = await ratings.current_rating(session, channel.id, paper_id, actor.user_id)
        value = 0 if command.toggle and current == command.value else command.value
        if value != current:
            await ratings.set_rating(session, channel.id, paper_id, actor.user_id, value, now=app.now())
            await relearn(app, session, channel.id)
        likes, dislikes = await ratings.paper_tally(session, channel.id, paper_id)
        learning = channel.settings.learning
        await session.commit()
    title = " ".join(found.title.split())[:120]
    tally = f"{likes} 👍 · {dislikes} 👎 in this channel"
    off = "" if learning else " (learning is off here: `settings learning on` lets the digest use ratings)"
    if value == 0:
        text = f"Took back your rating of “{title}” ({tally})." if current else f"You had not rated “{title}”."
    else:
        mark = "👍 You like" if value > 0 else "👎 You dislike"
        again = " Click again to take it back." if command.toggle else f" `unrate {found.arxiv_id or paper_id}` takes it back."
        text = f"{mark} “{title}” here ({tally}). The digest learns from it{off}.{again}"
    log.info("rating: %s %s in destination %s", _verb(value), paper_id, channel.id)
    return Notice(text, title="Rated", visibility=Visibility.EPHEMERAL)


def _line(paper: PaperRecord) -> PaperLine:
    return PaperLine(title=" ".join(paper.title.split()), url=paper.abs_url,
                     year=paper.published.year if paper.published else None)


def _term_label(term: str) -> str:
    if term.startswith("cat:"):
        return f"category {term[4:]}"
    if term.startswith("au:"):
        surname, _, initial = term[3:].partition("_")
        return f"author {initial.upper()}. {surname.title()}" if initial else f"author {surname.title()}"
    return term.replace("_", " ")


def _named_terms(profile: ChannelProfile, rated: Sequence[PaperRecord]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The profile's heaviest terms for and against, by name (hashing keeps no names: the rated papers do)."""
    names: dict[int, str] = {}
    terms = sorted({t for p in rated for t in paper_terms(p)})
    for term, index in zip(terms, term_indices(terms), strict=True):
        names.setdefault(index, term)
    weighted = sorted(zip(profile.weights, profile.indices, strict=True))
    against = tuple(_term_label(names[i]) for w, i in weighted if w < 0 and i in names)[:SHOWN_TERMS]
    towards = tuple(_term_label(names[i]) for w, i in reversed(weighted) if w > 0 and i in names)[:SHOWN_TERMS]
    return towards, against


async def feedback(app: App, command: ShowFeedback, actor: Actor, where: Destination) -> FeedbackView:
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        if channel is None:
            return FeedbackView(0, 0, 0, 0, learning=True)
        values = await ratings.channel_ratings(session, channel.id)
        net = net_ratings(values)
        known = await ratings.papers(session, list(net))
        liked = [known[p] for p, v in net.items() if v > 0 and p in known]
        disliked = [known[p] for p, v in net.items() if v < 0 and p in known]
        space = await learning_space(app, session, liked + disliked)
    profile = learn_profile(space, liked, disliked)
    towards, against = _named_terms(profile, liked + disliked)
    closest: list[PaperLine] = []
    furthest: list[PaperLine] = []
    if not profile.empty:
        if liked:
            scores = profile.affinity(space.vectors(liked))
            closest = [_line(liked[i]) for i in np.argsort(-scores, kind="stable")[:SHOWN_EXAMPLES]]
        if disliked:
            scores = profile.affinity(space.vectors(disliked))
            furthest = [_line(disliked[i]) for i in np.argsort(scores, kind="stable")[:SHOWN_EXAMPLES]]
    learning = channel.settings.learning
    return FeedbackView(
        ratings=len(values), raters=len({r.user_id for r in values}), liked=len(liked), disliked=len(disliked),
        learning=learning, terms_for=towards, terms_against=against, liked_examples=tuple(closest),
        disliked_examples=tuple(furthest), weight=blend_weight(profile.ratings) if learning else 0.0,
    )


async def reset_feedback(app: App, command: ResetFeedback, actor: Actor, where: Destination) -> FeedbackView:
    async with app.db.session() as session:
        channel = await channels.ensure_channel(session, where)
        forgotten = await ratings.clear_ratings(session, channel.id)
        await session.commit()
    return FeedbackView(forgotten, 0, 0, 0, learning=channel.settings.learning, reset=True,
                        visibility=Visibility.CHANNEL)
