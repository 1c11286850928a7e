"""The handler table: which function answers each Command. Explicit, so nothing registers itself on import
and a command without a handler is caught by `missing_handlers()` at start-up and in the tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core import commands as c
from core.app import App
from core.digest import examples, learning
from core.digest import handlers as digest
from core.digest.status import status
from core.help import help_view
from core.model.context import Actor, Destination
from core.papers import handlers as papers
from core.researchers import citations, claims
from core.researchers import handlers as researchers
from core.researchers import institution_handlers as institutions
from core.subscriptions import access, channel, sections
from core.subscriptions import handlers as subscriptions
from core.suggestions import suggest
from core.views import Problem, View

# (app, command, actor, destination) -> View; the command type is the key it is stored under.
Handler = Callable[..., Awaitable[View]]


async def answer_help(app: App | None, command: c.Help, actor: Actor, where: Destination) -> View:
    view = help_view(command.topic)
    if view is None:
        return Problem("No such command", f"There is no command `{command.topic}`.", "Type `help` for the list.",
                       code="usage")
    return view


HANDLERS: dict[type[c.Command], Handler] = {
    c.Help: answer_help,
    c.LookupResearcher: researchers.lookup_researcher,
    c.PickCandidate: researchers.pick_candidate,
    c.Follow: researchers.follow,
    c.IAm: researchers.iam,
    c.FollowLab: claims.follow_lab,
    c.UnfollowLab: claims.unfollow_lab,
    c.LookupInstitution: institutions.lookup_institution,
    c.PickInstitution: institutions.pick_institution,
    c.FollowInstitution: institutions.follow_institution,
    c.LookupPaper: papers.paper,
    c.Trending: papers.trending,
    c.SubscribeTopic: subscriptions.subscribe_topic,
    c.SubscribeCategory: subscriptions.subscribe_category,
    c.SubscribeTrending: sections.subscribe_trending,
    c.FollowCitations: citations.follow_citations,
    c.ListSubscriptions: subscriptions.list_subscriptions,
    c.Unsubscribe: subscriptions.unsubscribe,
    c.Unfollow: subscriptions.unfollow,
    c.ShowSettings: channel.show_settings,
    c.ChangeSetting: channel.change_setting,
    c.Pause: channel.pause,
    c.Resume: channel.resume,
    c.Export: channel.export,
    c.Import: channel.import_,
    c.Status: status,
    c.DigestNow: digest.send_now,
    c.DigestPreview: digest.preview,
    c.DigestMore: digest.more,
    c.RatePaper: learning.rate,
    c.ShowFeedback: learning.feedback,
    c.ResetFeedback: learning.reset_feedback,
    c.SubscribeSimilar: examples.subscribe_similar,
    c.FindSimilar: examples.find_similar,
    c.Suggest: suggest,
    c.AccessLost: access.access_lost,
    c.AccessRegained: access.access_regained,
}


def command_types() -> list[type[c.Command]]:
    """Every concrete Command the language has (subclasses of subclasses included)."""
    found: list[type[c.Command]] = []
    pending = list(c.Command.__subclasses__())
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found


def missing_handlers() -> list[str]:
    return sorted(kind.__name__ for kind in command_types() if kind not in HANDLERS)

