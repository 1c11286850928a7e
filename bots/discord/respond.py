"""From an interaction to an answer: who asked and where, permission, defer, core, render, send.

Every slash command and button click ends here with a core Command (or the UsageError that explains why
there is none). The order matters: denials are answered at once, before anything is deferred; anything that
may call an external API is deferred within Discord's three seconds; then core answers with a View and the
rendered messages go out with mentions disabled. Every one of those decisions (who may, where, deferred or
not, public or private, the wording of a usage error) is core's (`core.rules`, `core.help.usage_problem`);
this module only turns them into Discord's gestures.

Whatever goes wrong after that (a renderer bug, Discord refusing the answer, an answer that takes too long),
the person still gets an answer: a deferred "thinking…" would otherwise spin until Discord gives up on it.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import discord

from bots.discord import limits
from bots.discord.buttons import build_view
from bots.discord.message import AMBER, NO_MENTIONS, Outgoing, embed
from bots.discord.render import missing_renderers, render
from core.bootstrap import App
from core.commands import Command, UsageError, usage_problem
from core.model.context import Actor, Destination
from core.rules import (
    DIRECT_MESSAGE,
    answer_visibility,
    defer_first,
    expected_visibility,
    posts_later,
    refusal,
)
from core.service import handle
from core.views import Problem, View, Visibility

log = logging.getLogger(__name__)
PLATFORM = "discord"
DM_WORKSPACE = DIRECT_MESSAGE  # direct messages belong to no server: core knows them by this workspace id
# An answer may take the lookup's own deadline (core answers a Problem past it) plus this for our database and
# Discord's API; past both, something unexpected hangs and the person is told instead of left "thinking".
ANSWER_GRACE_S = 120.0
BROKEN = Problem("Something went wrong on our side", "Paper Radar could not finish that answer.",
                 "Try again; if it keeps happening, tell whoever runs the bot (it is in their logs).", code="internal")
TOO_SLOW = Problem("That took too long", "Paper Radar could not finish that answer in time.",
                   "This is usually temporary: try again in a few minutes.", code="source_down")


def actor_for(interaction: discord.Interaction[Any]) -> Actor:
    permissions = interaction.permissions
    user = interaction.user
    return Actor(
        platform=PLATFORM,
        user_id=str(user.id) if user else "0",
        # The member's resolved permissions in this channel, overwrites included: server admins may have
        # let others use /radar, but changing what a channel receives still needs Manage Channels here.
        can_manage=bool(interaction.guild_id) and (permissions.manage_channels or permissions.administrator),
        display_name=getattr(user, "display_name", None),
    )


def address_of(interaction: discord.Interaction[Any]) -> tuple[str, str]:
    """(workspace, channel) ids: the server and channel (or thread), or the direct message."""
    channel_id = interaction.channel_id or (interaction.channel.id if interaction.channel else None)
    workspace = str(interaction.guild_id) if interaction.guild_id else DM_WORKSPACE
    return workspace, str(channel_id or interaction.user.id)


def posting_problems(interaction: discord.Interaction[Any]) -> list[str]:
    """Permissions the bot lacks to post digests here (interaction answers need none, digests do)."""
    if not interaction.guild_id:
        return []
    have = interaction.app_permissions
    in_thread = isinstance(interaction.channel, discord.Thread)
    needed = (("View Channel", have.view_channel), ("Embed Links", have.embed_links),
              ("Send Messages in Threads" if in_thread else "Send Messages",
               have.send_messages_in_threads if in_thread else have.send_messages))
    return [name for name, ok in needed if not ok]


def append_embed(messages: list[Outgoing], card: discord.Embed) -> None:
    """Add a card to the last message, or to a new one when the last has no room left."""
    last = messages[-1]
    used = sum(len(e) for e in last.embeds)
    if len(last.embeds) < limits.EMBEDS_PER_MESSAGE and used + len(card) <= limits.EMBED_TOTAL:
        last.embeds.append(card)
    else:
        messages.append(Outgoing(embeds=[card]))


MISSING: Any = discord.utils.MISSING  # discord.py's "not given", distinct from None


def _view(message: Outgoing) -> Any:
    return build_view(message.buttons) or MISSING


def _files(message: Outgoing) -> Any:
    """The message's attachments (an export, a card's pictures with their alt text), or "not given"."""
    files = [discord.File(io.BytesIO(data), filename=name, description=alt or None)
             for name, data, alt in message.attachments()]
    return files or MISSING


class Responder:
    """Answers interactions for one App; also what buttons hand their clicks to (`client.radar`)."""

    def __init__(self, app: App) -> None:
        # Made once per client, at start-up: the place to fail when core can answer with a view this
        # adapter cannot show, instead of in a channel.
        missing = missing_renderers()
        if missing:
            log.error("discord: no renderer for %s", ", ".join(missing))
            raise RuntimeError(f"the Discord adapter has no renderer for {', '.join(missing)}")
        self.app = app

    async def run(self, interaction: discord.Interaction[Any], command: Command | UsageError) -> None:
        limit = self.app.settings.lookup_deadline_s + ANSWER_GRACE_S
        timer = asyncio.timeout(limit)
        try:
            async with timer:
                await self._run(interaction, command)
        except discord.NotFound as error:
            # 10062 Unknown interaction: the three seconds passed, or the person dismissed the message.
            log.warning("interaction %s is gone before we answered: %s", interaction.id, error)
        except discord.HTTPException as error:
            log.error("answering interaction %s failed: %s", interaction.id, error)
            await self.answer_failure(interaction, BROKEN)
        except Exception as error:
            if timer.expired():
                log.error("answering interaction %s took more than %.0fs; gave up", interaction.id, limit)
            else:
                log.exception("answering interaction %s failed", interaction.id)
            await self.answer_failure(interaction, TOO_SLOW if isinstance(error, TimeoutError) else BROKEN)

    async def answer_failure(self, interaction: discord.Interaction[Any], problem: Problem) -> None:
        """Tell the person, whether or not the interaction was deferred or partly answered; never raises."""
        messages = render(problem, can_manage=False)
        try:
            if not interaction.response.is_done() or interaction.extras.get("thinking"):
                # Nothing said yet, or "thinking…" still shown: the problem is the answer (and replaces it).
                await self.send(interaction, messages, ephemeral=True)
            else:
                # Part of the answer is out: keep it, and say below it that the rest failed.
                first = messages[0]
                await interaction.followup.send(first.content or MISSING, embeds=first.embeds, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
        except Exception as error:  # the interaction may be gone by now: nothing more can be said
            log.warning("could not tell interaction %s about the failure either: %s", interaction.id, error)

    async def _run(self, interaction: discord.Interaction[Any], command: Command | UsageError) -> None:
        if isinstance(command, UsageError):
            await self.reply(interaction, usage_problem(command), can_manage=False)
            return
        actor = actor_for(interaction)
        workspace, channel = address_of(interaction)
        where = Destination(PLATFORM, workspace, channel)
        # Asked before deferring, so a denial is answered at once (the door would give the same answer).
        refused = refusal(command, actor, where)
        if refused is not None:
            await self.reply(interaction, refused, can_manage=False)
            return
        if defer_first(command):
            private = expected_visibility(command) is Visibility.EPHEMERAL
            await interaction.response.defer(ephemeral=private, thinking=True)
            interaction.extras["deferred_ephemeral"] = private
            interaction.extras["thinking"] = True
        view = await handle(command, actor, where, app=self.app)
        messages = render(view, can_manage=actor.can_manage)
        missing = posting_problems(interaction) if posts_later(command, view) else []
        if missing:
            append_embed(messages, embed(
                title="I can't post digests here yet", color=AMBER,
                description=f"I am missing {', '.join(missing)} in this channel. Digests will fail (and the "
                            "channel will be paused) until a server admin grants them."))
        await self.send(interaction, messages, ephemeral=answer_visibility(command, view) is Visibility.EPHEMERAL)

    async def reply(self, interaction: discord.Interaction[Any], view: View, *, can_manage: bool) -> None:
        await self.send(interaction, render(view, can_manage=can_manage), ephemeral=True)

    async def send(self, interaction: discord.Interaction[Any], messages: list[Outgoing], *, ephemeral: bool) -> None:
        """Post the messages in order: the first answers the interaction, the rest follow it."""
        first, rest = messages[0], messages[1:]
        if not interaction.response.is_done():
            await interaction.response.send_message(
                first.content, embeds=first.embeds, view=_view(first), files=_files(first), ephemeral=ephemeral,
                allowed_mentions=NO_MENTIONS)
        else:
            deferred_ephemeral = interaction.extras.get("deferred_ephemeral", True)
            if deferred_ephemeral == ephemeral:
                await interaction.edit_original_response(
                    content=first.content, embeds=first.embeds, view=_view(first),
                    attachments=_files(first), allowed_mentions=NO_MENTIONS)
            elif ephemeral:
                # The "thinking…" was shown to everyone but the answer is for one person: remove it.
                await interaction.delete_original_response()
                rest = messages
            else:
                await interaction.edit_original_response(content="Done: posted in the channel.", embeds=[],
                                                        allowed_mentions=NO_MENTIONS)
                rest = messages
            interaction.extras["thinking"] = False
        for message in rest:
            await interaction.followup.send(
                message.content or MISSING, embeds=message.embeds, view=_view(message), files=_files(message),
                ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
