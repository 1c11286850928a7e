"""One outgoing Discord message as data, and the packing that keeps any number of embeds within limits.

Renderers return `Outgoing` values instead of sending: the same value is posted by an interaction, by the
digest sink over plain HTTP, or checked by the tests with `check_message_limits(outgoing.payload())`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bots.discord import limits
from bots.discord.limits import fit, safe, web_url

BLUE = 0x3B82F6
GREEN = 0x22C55E
RED = 0xEF4444
AMBER = 0xF59E0B
GREY = 0x94A3B8
PURPLE = 0x8B5CF6

NO_MENTIONS = discord.AllowedMentions.none()


@dataclass(frozen=True)
class ButtonSpec:
    """A button to attach: `custom_id` for an action the bot answers, or `url` for a plain link."""

    label: str
    custom_id: str | None = None
    url: str | None = None
    style: discord.ButtonStyle = discord.ButtonStyle.secondary
    row: int | None = None  # the action row (0-4) it must sit in; None: the next free place


@dataclass
class Outgoing:
    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[ButtonSpec] = field(default_factory=list)
    file: tuple[str, bytes] | None = None  # (file name, bytes): an export too long for a message
    paper_ids: tuple[str, ...] = ()  # for digests: the papers this message carries, in order
    # (file name, PNG, alt text): pictures attached to the message, shown by the embeds that name them
    # (`attachment://<file name>` as their image)
    images: list[tuple[str, bytes, str]] = field(default_factory=list)

    def attachments(self) -> list[tuple[str, bytes, str]]:
        """Every file the message carries, as (name, bytes, description), in the order they are attached."""
        found = [(self.file[0], self.file[1], "")] if self.file is not None else []
        return found + list(self.images)

    def payload(self) -> dict[str, Any]:
        """The JSON body Discord receives for this message (what `check_message_limits` judges)."""
        body: dict[str, Any] = {
            "content": self.content,
            "embeds": [embed.to_dict() for embed in self.embeds],
            "components": components(self.buttons),
            "allowed_mentions": NO_MENTIONS.to_dict(),
        }
        if self.attachments():
            body["attachments"] = [{"id": n, "filename": name, **({"description": alt} if alt else {})}
                                   for n, (name, _, alt) in enumerate(self.attachments())]
        return body


def layout(buttons: Sequence[ButtonSpec]) -> list[list[ButtonSpec]]:
    """The buttons in their action rows: those with a `row` in it, the others filling rows of five in order;
    at most five rows of five (a button that finds no room is dropped, as Discord would refuse the message)."""
    usable = [b for b in buttons if b.custom_id or web_url(b.url)]
    rows: list[list[ButtonSpec]] = [[] for _ in range(limits.ACTION_ROWS)]
    free = 0
    for button in usable:
        if button.row is not None:
            if 0 <= button.row < limits.ACTION_ROWS and len(rows[button.row]) < limits.BUTTONS_PER_ROW:
                rows[button.row].append(button)
            continue
        while free < limits.ACTION_ROWS and len(rows[free]) >= limits.BUTTONS_PER_ROW:
            free += 1
        if free < limits.ACTION_ROWS:
            rows[free].append(button)
    return [row for row in rows if row]


def components(buttons: Sequence[ButtonSpec]) -> list[dict[str, Any]]:
    """Buttons as Discord's JSON expects them (the same rows `buttons.build_view` gives discord.py)."""
    rows = []
    for specs in layout(buttons):
        row = []
        for button in specs:
            item: dict[str, Any] = {"type": 2, "disabled": False, "label": fit(button.label, limits.BUTTON_LABEL)}
            if button.custom_id:
                item |= {"style": button.style.value, "custom_id": button.custom_id}
            else:
                item |= {"style": discord.ButtonStyle.link.value, "url": button.url}
            row.append(item)
        rows.append({"type": 1, "components": row})
    return rows


# Backtick code spans are kept as they are: nothing inside one renders (no links, no mentions, no markdown),
# and core writes command names that way (`resume`, `list`).
_CODE_SPAN = re.compile(r"`[^`\n]{1,300}`")


def safe_prose(text: str | None) -> str:
    """Core's sentences, which quote user text: escaped, except for inert `code spans`."""
    if not text:
        return ""
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(safe(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(safe(text[last:]))
    return "".join(out)


def link(label: str, url: str | None, limit: int = 300) -> str:
    """`[label](url)` when the url is usable, otherwise just the escaped label."""
    text = fit(safe(label), limit)
    target = web_url(url)
    if target is None or ")" in target or "(" in target:
        return text
    return f"[{text}]({target})"


def embed(
    *, title: str | None = None, description: str | None = None, color: int = BLUE, url: str | None = None,
    footer: str | None = None,
) -> discord.Embed:
    """An embed whose parts are already escaped text, cut to their limits."""
    result = discord.Embed(
        title=fit(title, limits.TITLE) if title else None,
        description=fit(description, limits.DESCRIPTION) if description else None,
        color=color,
        url=web_url(url),
    )
    if footer:
        result.set_footer(text=fit(footer, limits.FOOTER))
    return result


def add_field(target: discord.Embed, name: str, value: str, *, inline: bool = False) -> None:
    if value.strip() and len(target.fields) < limits.FIELDS:
        target.add_field(name=fit(name, limits.FIELD_NAME), value=fit(value, limits.FIELD_VALUE), inline=inline)


def join_lines(lines: Iterable[str], limit: int) -> str:
    """As many whole lines as fit in `limit`, then a note of how many were left out."""
    lines = list(lines)
    reserve = 24  # room for the "…and N more" note
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        line = fit(line, limit - reserve)
        room = limit if index == len(lines) - 1 else limit - reserve
        if used + len(line) + (1 if kept else 0) > room:
            kept.append(f"…and {len(lines) - index} more")
            break
        used += len(line) + (1 if kept else 0)
        kept.append(line)
    return "\n".join(kept)


def lines_to_embeds(title: str, lines: Sequence[str], *, color: int = BLUE, footer: str | None = None,
                    url: str | None = None) -> list[discord.Embed]:
    """A long list as consecutive embeds, each description within the limit; the title goes on the first."""
    chunks: list[list[str]] = [[]]
    used = 0
    budget = limits.DESCRIPTION - 10
    for line in lines:
        line = fit(line, budget)
        if chunks[-1] and used + len(line) + 1 > budget:
            chunks.append([])
            used = 0
        chunks[-1].append(line)
        used += len(line) + 1
    embeds = [embed(title=title if i == 0 else None, description="\n".join(chunk) or None, color=color,
                    url=url if i == 0 else None) for i, chunk in enumerate(chunks)]
    if footer:
        embeds[-1].set_footer(text=fit(footer, limits.FOOTER))
    return embeds


def trim(card: discord.Embed, budget: int = limits.EMBED_TOTAL) -> discord.Embed:
    """Cut a card that is within every part's limit but not the total: description first, then fields."""
    if len(card) <= budget:
        return card
    if card.description:
        card.description = fit(card.description, max(200, len(card.description) - (len(card) - budget)))
    while len(card) > budget and card.fields:
        last, index = card.fields[-1], len(card.fields) - 1
        over = len(card) - budget
        if last.value and len(last.value) - over >= 50:
            card.set_field_at(index, name=last.name or "…", value=fit(last.value, len(last.value) - over),
                              inline=bool(last.inline))
        else:
            card.remove_field(index)
    if len(card) > budget and card.description:
        card.description = fit(card.description, max(1, len(card.description) - (len(card) - budget)))
    return card


def pack(embeds: Sequence[discord.Embed], *, buttons: Sequence[ButtonSpec] = (), content: str | None = None,
         file: tuple[str, bytes] | None = None) -> list[Outgoing]:
    """Embeds in order across as few messages as the per-message limits allow; buttons on the last one."""
    messages: list[Outgoing] = [Outgoing(content=content)]
    used = 0
    for item in embeds:
        item = trim(item)
        size = limits.embed_length(item.to_dict())
        current = messages[-1]
        if current.embeds and (len(current.embeds) >= limits.EMBEDS_PER_MESSAGE or used + size > limits.EMBED_TOTAL):
            messages.append(Outgoing())
            used = 0
        messages[-1].embeds.append(item)
        used += size
    messages[-1].buttons = list(buttons)
    messages[-1].file = file
    return messages
