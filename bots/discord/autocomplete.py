"""Suggestions while a person types an option: core's `Suggestions` as Discord's autocomplete choices.

Core decides what to suggest (researchers, arXiv categories, time zones, setting values, the channel's
subscriptions), within Discord's three seconds, and answers a failure with no suggestions. Here each one is
only fitted to Discord's limits: at most 25 choices, names and values of at most 100 characters.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bots.discord import limits
from bots.discord.limits import fit
from bots.discord.respond import PLATFORM, actor_for, address_of
from core.bootstrap import App
from core.commands import Suggest
from core.model.context import Destination
from core.service import handle
from core.views import Suggestions, View

log = logging.getLogger(__name__)
Choices = list[app_commands.Choice[str]]


def choices_of(view: View) -> Choices:
    """The suggestions as choices; anything but Suggestions (which core does not send) as none."""
    if not isinstance(view, Suggestions):
        return []
    return [app_commands.Choice(name=fit(item.label, limits.CHOICE_NAME), value=item.value[: limits.CHOICE_VALUE])
            for item in view.items[: limits.CHOICES] if item.label.strip() and item.value]


async def suggest(app: App, interaction: discord.Interaction[Any], field: str, current: str) -> Choices:
    """Ask core what `current`, typed into the option `field`, may mean for this person in this channel."""
    workspace, channel = address_of(interaction)
    command = Suggest(field, str(current), limit=limits.CHOICES)
    try:
        view = await handle(command, actor_for(interaction), Destination(PLATFORM, workspace, channel), app=app)
    except Exception:  # core answers failures with no suggestions; this is only the last line of defence
        log.exception("suggestions for %s failed", field)
        return []
    return choices_of(view)
