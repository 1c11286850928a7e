"""Block Kit building blocks that respect Slack's limits by construction, and the message they make up.

Every builder clips its text to the documented limit, so a renderer cannot produce a block Slack rejects;
`pack` groups blocks into messages under the per-message budget (50 blocks and about 10k characters:
Slack answers `msg_blocks_too_long` well before its documented maximum).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bots.slack.mrkdwn import clip, clip_plain, plain

MAX_BLOCKS = 50
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTION_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
MESSAGE_BUDGET = 10_000  # characters of serialized blocks per message
FALLBACK_TEXT = 3000  # the notification text; Slack truncates far later, people read far less

Block = dict[str, Any]


@dataclass
class SlackMessage:
    """One Slack message: blocks, the notification/fallback text, and what it carries."""

    text: str
    blocks: list[Block]
    in_channel: bool = False
    paper_ids: tuple[str, ...] = ()  # digest items this message carries, in order (for the ledger)

    def size(self) -> int:
        return blocks_size(self.blocks)

    def payload(self) -> dict[str, Any]:
        return {"text": clip(self.text, FALLBACK_TEXT), "blocks": self.blocks,
                "unfurl_links": False, "unfurl_media": False}


def blocks_size(blocks: Sequence[Block]) -> int:
    return len(json.dumps(list(blocks), ensure_ascii=False))


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def plain_text(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip_plain(plain(text), limit) or " ", "emoji": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text, HEADER_TEXT)}


def section(text: str, *, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def fields(entries: Sequence[str]) -> Block:
    """A two-column section; callers pass at most ten entries (the rest are dropped)."""
    return {"type": "section", "fields": [mrkdwn(e, FIELD_TEXT) for e in entries[:MAX_FIELDS]]}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS] if t]}


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    element: Block = {"type": "button", "text": plain_text(text, BUTTON_TEXT), "action_id": action_id[:255]}
    if value is not None:
        element["value"] = value[:BUTTON_VALUE]
    if url is not None:
        element["url"] = url[:3000]
    if style in ("primary", "danger"):
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def confirm(title: str, text: str, yes: str, no: str = "Cancel") -> Block:
    return {"title": plain_text(title, 100), "text": plain_text(text, 300),
            "confirm": plain_text(yes, 30), "deny": plain_text(no, 30), "style": "danger"}


def actions(*elements: Block) -> Block:
    return {"type": "actions", "elements": list(elements[:ACTION_ELEMENTS])}


def fit_lines(lines: Sequence[str], limit: int = SECTION_TEXT, more: str = "…") -> str:
    """Whole lines up to `limit` characters: lines holding links must never be cut in the middle."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit - len(more) - 1:
            return "\n".join([*kept, more]) if kept else clip(line, limit)
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def split_text(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Cut long (escaped) text into pieces of at most `limit`, at line ends where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
            amp = text.rfind("&", max(0, cut - 6), cut)
            if amp != -1 and ";" not in text[amp:cut]:
                cut = amp  # never split an entity such as &amp;
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces


@dataclass
class Packer:
    """Fills messages with groups of blocks (a group is never split) under the block and size budgets.

    `reserve_blocks`/`reserve_chars` keep room in every message for what is added later (a part label,
    a footer); `start(first)` opens the first message with some blocks (a header). Sizes are summed as
    groups are added (each block serialized once), so packing a long digest stays linear.
    """

    reserve_blocks: int = 0
    reserve_chars: int = 0
    max_groups_first: int | None = None
    max_groups: int | None = None
    pages: list[list[Block]] = field(default_factory=list)
    groups_per_page: list[int] = field(default_factory=list)
    _chars: list[int] = field(default_factory=list)

    def start(self, first: Sequence[Block] = ()) -> None:
        self.pages = [list(first)]
        self.groups_per_page = [0]
        self._chars = [blocks_size(first)]

    def add(self, group: Sequence[Block]) -> None:
        if not self.pages:
            self.start()
        # Each block adds its own JSON and a ", " separator to the serialized list.
        added = sum(len(json.dumps(block, ensure_ascii=False)) + 2 for block in group)
        page, count = self.pages[-1], self.groups_per_page[-1]
        limit = self.max_groups_first if len(self.pages) == 1 else self.max_groups
        fits = (len(page) + len(group) + self.reserve_blocks <= MAX_BLOCKS
                and self._chars[-1] + added + self.reserve_chars <= MESSAGE_BUDGET
                and (limit is None or count < limit))
        if page and not fits:
            self.pages.append([])
            self.groups_per_page.append(0)
            self._chars.append(2)
        self.pages[-1].extend(group)
        self.groups_per_page[-1] += 1
        self._chars[-1] += added
