"""Buttons whose custom ids carry the whole action, so a click works on any process, after any restart.

A button says what it does in its id (`radar:pick:researcher:A5023888391`, `radar:follow:<key>`,
`radar:unsub:3`, `radar:more`, `radar:rate:+:arXiv:2411.18562`); one `DynamicItem` pattern catches them all
and turns the id back into the same core Command a typed command would build. Nothing is kept in memory per
message, so there is nothing to lose on a restart and nothing that grows with every list the bot has ever shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from bots.discord import limits
from bots.discord.message import ButtonSpec, layout
from core.commands import (
    Command,
    DigestMore,
    Follow,
    IAm,
    LookupResearcher,
    RatePaper,
    Unsubscribe,
    UsageError,
)

log = logging.getLogger(__name__)
PREFIX = "radar:"
_PICK = re.compile(r"pick:(?P<action>researcher|follow|iam):(?P<key>.+)")
_FOLLOW = re.compile(r"follow:(?P<key>.+)")
_UNSUB = re.compile(r"unsub:(?P<number>\d{1,8})")
_RATE = re.compile(r"rate:(?P<value>[+-]):(?P<paper>\S+)")
RATE_PREFIX = f"{PREFIX}rate:+:"  # as long as the dislike one: what a paper id leaves room for


class Runner(Protocol):
    """What a click is handed to (the Responder of the running client)."""

    async def run(self, interaction: discord.Interaction[Any], command: Command | UsageError) -> None: ...


def _spec(label: str, custom_id: str, style: discord.ButtonStyle) -> ButtonSpec | None:
    # An id past Discord's limit would make the whole message fail; a missing button is the lesser harm.
    if len(custom_id) > limits.CUSTOM_ID:
        return None
    return ButtonSpec(label=label, custom_id=custom_id, style=style)


def pick_button(action: str, key: str, label: str) -> ButtonSpec | None:
    return _spec(label, f"{PREFIX}pick:{action}:{key}", discord.ButtonStyle.primary)


def follow_button(key: str, label: str = "Follow in this channel") -> ButtonSpec | None:
    return _spec(label, f"{PREFIX}follow:{key}", discord.ButtonStyle.success)


def unsubscribe_button(number: int) -> ButtonSpec | None:
    return _spec(f"Remove #{number}", f"{PREFIX}unsub:{number}", discord.ButtonStyle.secondary)


def more_button(count: int) -> ButtonSpec | None:
    return _spec(f"Show {count} more", f"{PREFIX}more", discord.ButtonStyle.primary)


def rateable(paper_id: str) -> bool:
    """A paper whose id fits a rating button's custom id (`arXiv:…` always does; a very long DOI may not)."""
    return bool(paper_id) and len(RATE_PREFIX) + len(paper_id) <= limits.CUSTOM_ID


def rate_buttons(paper_id: str, number: int | str, row: int | None = None) -> list[ButtonSpec]:
    """👍 and 👎 for one digest paper, labelled with its number in the digest, or the start of a section paper's
    title (the buttons sit below all the embeds of a message, so the label says which paper each pair is for);
    none for an id that does not fit."""
    if not rateable(paper_id):
        return []
    return [ButtonSpec(label=f"{mark} {number}", custom_id=f"{PREFIX}rate:{sign}:{paper_id}", row=row)
            for mark, sign in (("👍", "+"), ("👎", "-"))]


def command_for(custom_id: str) -> Command | None:
    """The core Command a button id stands for, or None for an id this version does not know."""
    if not custom_id.startswith(PREFIX):
        return None
    rest = custom_id[len(PREFIX) :]
    if rest == "more":
        return DigestMore()
    if match := _PICK.fullmatch(rest):
        key, action = match.group("key"), match.group("action")
        return Follow(key) if action == "follow" else IAm(key) if action == "iam" else LookupResearcher(key)
    if match := _FOLLOW.fullmatch(rest):
        return Follow(match.group("key"))
    if match := _UNSUB.fullmatch(rest):
        return Unsubscribe(match.group("number"))
    if match := _RATE.fullmatch(rest):
        # A button, unlike typed `like`, takes back the rating the person already gave (a second click).
        return RatePaper(match.group("paper"), 1 if match.group("value") == "+" else -1, toggle=True)
    return None


class RadarButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"radar:.+"):
    """Every Paper Radar button, old or new: the id is parsed when it is clicked."""

    def __init__(self, custom_id: str, label: str = "…", style: discord.ButtonStyle = discord.ButtonStyle.secondary,
                 row: int | None = None):
        super().__init__(discord.ui.Button(label=label, custom_id=custom_id, style=style, row=row))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RadarButton:
        button = item if isinstance(item, discord.ui.Button) else None
        label = button.label if button is not None and button.label else "…"
        style = button.style if button is not None else discord.ButtonStyle.secondary
        return cls(match.group(0), label, style)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        runner: Runner | None = getattr(interaction.client, "radar", None)
        if runner is None:
            log.warning("button %s clicked on a client without a Paper Radar responder", self.custom_id)
            return
        command = command_for(self.custom_id)
        await runner.run(interaction, command if command is not None else UsageError(
            "That button belongs to an older version of Paper Radar.", "help"))


def build_view(buttons: Sequence[ButtonSpec]) -> discord.ui.View | None:
    """A persistent view (no timeout) of the buttons, or None when there are none."""
    rows = layout(buttons)
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for row, specs in enumerate(rows):
        for spec in specs:
            label = limits.fit(spec.label, limits.BUTTON_LABEL)
            if spec.custom_id:
                view.add_item(RadarButton(spec.custom_id, label, spec.style, row=row))
            else:
                view.add_item(discord.ui.Button(label=label, url=spec.url, style=discord.ButtonStyle.link, row=row))
    return view
