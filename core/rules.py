"""The answer rules adapters ask core about: who may run a command, where, and for whom the answer is.

Only decisions live here; each adapter turns them into its platform's gestures (an ephemeral flag, a
deferred "thinking…", an answer inside Slack's ack) and renders the Problems it is given. The door
(`core.service.handle`) applies `refusal` itself, so an adapter that asks first, to answer a denial before
it defers, and one that does not, give the same answer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from core import commands as c
from core.model.context import Actor, Destination
from core.model.enums import ProblemCode
from core.views import Problem, View, Visibility

# The workspace id of a direct message with the bot: it belongs to no workspace or server. (Slack's direct
# messages are channels of their workspace and are not marked so; only Discord's have no server.)
DIRECT_MESSAGE = "@me"
PLATFORM_USER = "@platform"  # the user id of the platform actor, for logs: no person has it

# Lookups need no channel: they also work in a direct message with the bot.
_ANYWHERE = (c.Help, c.LookupResearcher, c.LookupInstitution, c.PickInstitution, c.LookupPaper, c.Trending)
# Commands whose answer, when they succeed, is for the whole channel (a confirmation others should see).
_PUBLIC_ON_SUCCESS = (c.Follow, c.FollowInstitution)
# Commands after which the bot posts in the channel by itself (digests), so it must be allowed to.
_POSTS_LATER = (c.SubscribeTopic, c.SubscribeCategory, c.SubscribeSimilar, c.Follow, c.FollowLab,
                c.FollowInstitution, c.Resume, c.DigestNow)
# Answered from the command alone, with neither the database nor a source: fit inside an acknowledgement.
_NEEDS_NOTHING = (c.Help,)


@dataclass(frozen=True)
class PlatformActor(Actor):
    """Slack or Discord itself, reporting an event (an uninstall, a server removal, an install): the only actor
    `from_platform` commands are taken from. Made only by `platform_actor`, never from a payload's user."""


def platform_actor(platform: str) -> Actor:
    return PlatformActor(platform, PLATFORM_USER, can_manage=False, display_name=platform)


def is_platform(actor: Actor) -> bool:
    return isinstance(actor, PlatformActor)


# ---------------------------------------------------------------- may this run here, for this actor?


def is_direct_message(where: Destination) -> bool:
    return where.workspace_id == DIRECT_MESSAGE


def allowed_in_direct_message(command: c.Command) -> bool:
    """Lookups and help work anywhere; whatever reads or changes a channel's subscriptions needs the channel."""
    if isinstance(command, c.PickCandidate):
        return command.action == "researcher"  # `follow pick` follows in a channel
    if isinstance(command, c.PickInstitution):
        return not command.follow
    return isinstance(command, _ANYWHERE)


def permission_problem(command: c.Command, actor: Actor) -> Problem:
    need = {
        "slack": "a workspace admin or owner, or someone listed in SLACK_MANAGERS",
        "discord": "the Manage Channels permission",
    }.get(actor.platform, "permission to manage this channel")
    name = type(command).__name__
    return Problem(
        title="You can't change this channel's subscriptions",
        detail=f"That command ({name}) changes what this channel receives, which needs {need}.",
        hint="Anyone can use researcher, institution, paper, trending, list, status, settings (to view) and help.",
        code=ProblemCode.PERMISSION,
    )


def direct_message_problem(command: c.Command) -> Problem:
    return Problem(
        "This works in a server channel",
        f"That command ({type(command).__name__}) reads or changes a channel's subscriptions, so it only works "
        "in a server channel, not in a direct message.",
        "Run it in the channel that should receive the digest.",
        code=ProblemCode.PERMISSION,
    )


def platform_only_problem(command: c.Command) -> Problem:
    return Problem(
        "That is not a command",
        f"{type(command).__name__} is reported by the chat platform itself, not asked for by a person.",
        "Type `/radar help` for the commands.",
        code=ProblemCode.PERMISSION,
    )


def refusal(command: c.Command, actor: Actor, where: Destination) -> Problem | None:
    """Why `actor` may not run `command` at `where`, or None when they may. Cheap (no I/O): adapters ask it
    before deferring, so a denial is answered at once."""
    # Platform events and people's commands never mix: nobody can make a workspace look uninstalled.
    if command.from_platform != is_platform(actor):
        return platform_only_problem(command)
    if is_direct_message(where) and not allowed_in_direct_message(command):
        return direct_message_problem(command)
    if command.mutates and not actor.can_manage:
        return permission_problem(command, actor)
    return None


# ---------------------------------------------------------------- how and for whom the answer goes


def answers_at_once(command: c.Command) -> bool:
    """Needs no database and no source: the answer can ride in the platform's acknowledgement."""
    return isinstance(command, _NEEDS_NOTHING)


def defer_first(command: c.Command) -> bool:
    """May call an external API: acknowledge or defer before handling (Slack and Discord give three seconds)."""
    return command.needs_network


def expected_visibility(command: c.Command) -> Visibility:
    """Whom the answer is for if the command succeeds, known before it runs (a deferred "thinking…" shows
    to the same people the answer will)."""
    public = isinstance(command, _PUBLIC_ON_SUCCESS) or (
        isinstance(command, c.PickCandidate) and command.action == "follow") or (
        isinstance(command, c.PickInstitution) and command.follow)
    return Visibility.CHANNEL if public else Visibility.EPHEMERAL


def answer_visibility(command: c.Command, view: View) -> Visibility:
    """Whom this answer is for: what the handler decided, except that a problem is only ever the asker's."""
    return Visibility.EPHEMERAL if isinstance(view, Problem) else view.visibility


def posts_later(command: c.Command, view: View) -> bool:
    """After this answer the bot will post in the channel by itself (digests): an adapter that can see its
    own permissions there should warn now when it lacks them."""
    return isinstance(command, _POSTS_LATER) and not isinstance(view, Problem)


# ---------------------------------------------------------------- every view has a renderer


def view_types() -> list[type[View]]:
    """Every View core may answer with (subclasses of subclasses included). Only core's own: a test that
    subclasses View for its own purpose must not make a running adapter look incomplete."""
    found: list[type[View]] = []
    pending = list(View.__subclasses__())
    while pending:
        kind = pending.pop()
        if kind.__module__.split(".")[0] == "core":
            found.append(kind)
        pending.extend(kind.__subclasses__())
    return found


def unrendered_views(rendered: Iterable[type[View]], not_rendered_here: Collection[str] = ()) -> list[str]:
    """The views an adapter has no renderer for and has not declared it never receives (by class name, so a
    declaration can name a view another part of the code answers with in its own way)."""
    have = set(rendered)
    return sorted(kind.__name__ for kind in view_types()
                  if kind not in have and kind.__name__ not in not_rendered_here)
