"""From an interaction to an answer: who asked and where, permission, defer, core, render, send.

Every slash command and button click ends here with a core Command (or the UsageError that explains why
there is none). The order matters: denials are answered at once, before anything is deferred; anything that
may call an external API is deferred within Discord's three seconds; then core answers with a View and the
rendered messages go out with mentions disabled.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import discord

from bots.discord import limits
from bots.discord.buttons import build_view
from bots.discord.message import AMBER, NO_MENTIONS, Outgoing, embed
from bots.discord.render import render
from core.bootstrap import App
from core.commands import (
    Command,
    DigestNow,
    Follow,
    Help,
    LookupPaper,
    LookupResearcher,
    PickCandidate,
    Resume,
    SubscribeCategory,
    SubscribeTopic,
    Trending,
    UsageError,
)
from core.model.context import Actor, Destination
from core.service import handle, permission_problem
from core.views import Problem, View, Visibility

log = logging.getLogger(__name__)
PLATFORM = "discord"
DM_WORKSPACE = "@me"  # direct messages belong to no server
# Lookups need no channel: they also work in a direct message with the bot.
ANYWHERE = (Help, LookupResearcher, LookupPaper, Trending)
# Commands whose answer is for the channel when they succeed: their "thinking…" is shown to everyone.
PUBLIC_ON_SUCCESS = (Follow,)
# Commands after which the bot will post in the channel by itself, so it must be able to.
POSTS_LATER = (SubscribeTopic, SubscribeCategory, Follow, Resume, DigestNow)


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


def usage_problem(error: UsageError) -> Problem:
    hint = f"Usage: /radar {error.usage}" if error.usage and error.usage != "help" else "See `/radar help`."
    return Problem("That doesn't work as given", error.message, hint, code="usage")


def server_only_problem(command: Command) -> Problem:
    return Problem(
        "This works in a server channel",
        f"That command ({type(command).__name__}) reads or changes a channel's subscriptions, so it only works "
        "in a server channel, not in a direct message.",
        "Run it in the channel that should receive the digest.",
        code="permission",
    )


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


def _file(message: Outgoing) -> Any:
    return discord.File(io.BytesIO(message.file[1]), filename=message.file[0]) if message.file else MISSING


class Responder:
    """Answers interactions for one App; also what buttons hand their clicks to (`client.radar`)."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def run(self, interaction: discord.Interaction[Any], command: Command | UsageError) -> None:
        try:
            await self._run(interaction, command)
        except discord.NotFound as error:
            # 10062 Unknown interaction: the three seconds passed, or the person dismissed the message.
            log.warning("interaction %s is gone before we answered: %s", interaction.id, error)
        except discord.HTTPException as error:
            log.error("answering interaction %s failed: %s", interaction.id, error)

    async def _run(self, interaction: discord.Interaction[Any], command: Command | UsageError) -> None:
        if isinstance(command, UsageError):
            await self.reply(interaction, usage_problem(command), can_manage=False)
            return
        actor = actor_for(interaction)
        workspace, channel = address_of(interaction)
        where = Destination(PLATFORM, workspace, channel)
        if workspace == DM_WORKSPACE and not isinstance(command, ANYWHERE) and not (
                isinstance(command, PickCandidate) and command.action == "researcher"):
            await self.reply(interaction, server_only_problem(command), can_manage=False)
            return
        if command.mutates and not actor.can_manage:
            await self.reply(interaction, permission_problem(command, actor), can_manage=False)
            return
        if command.needs_network:
            public = isinstance(command, PUBLIC_ON_SUCCESS) or (
                isinstance(command, PickCandidate) and command.action == "follow")
            await interaction.response.defer(ephemeral=not public, thinking=True)
            interaction.extras["deferred_ephemeral"] = not public
        view = await handle(command, actor, where, app=self.app)
        messages = render(view, can_manage=actor.can_manage)
        missing = posting_problems(interaction) if isinstance(command, POSTS_LATER) and not isinstance(
            view, Problem) else []
        if missing:
            append_embed(messages, embed(
                title="I can't post digests here yet", color=AMBER,
                description=f"I am missing {', '.join(missing)} in this channel. Digests will fail (and the "
                            "channel will be paused) until a server admin grants them."))
        await self.send(interaction, messages, ephemeral=view.visibility is Visibility.EPHEMERAL)

    async def reply(self, interaction: discord.Interaction[Any], view: View, *, can_manage: bool) -> None:
        await self.send(interaction, render(view, can_manage=can_manage), ephemeral=True)

    async def send(self, interaction: discord.Interaction[Any], messages: list[Outgoing], *, ephemeral: bool) -> None:
        """Post the messages in order: the first answers the interaction, the rest follow it."""
        first, rest = messages[0], messages[1:]
        if not interaction.response.is_done():
            await interaction.response.send_message(
                first.content, embeds=first.embeds, view=_view(first), file=_file(first), ephemeral=ephemeral,
                allowed_mentions=NO_MENTIONS)
        else:
            deferred_ephemeral = interaction.extras.get("deferred_ephemeral", True)
            if deferred_ephemeral == ephemeral:
                file = _file(first)
                await interaction.edit_original_response(
                    content=first.content, embeds=first.embeds, view=_view(first),
                    attachments=[file] if file is not MISSING else MISSING, allowed_mentions=NO_MENTIONS)
            elif ephemeral:
                # The "thinking…" was shown to everyone but the answer is for one person: remove it.
                await interaction.delete_original_response()
                rest = messages
            else:
                await interaction.edit_original_response(content="Done: posted in the channel.", embeds=[])
                rest = messages
        for message in rest:
            await interaction.followup.send(
                message.content or MISSING, embeds=message.embeds, view=_view(message), file=_file(message),
                ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
