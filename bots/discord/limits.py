"""Discord's message limits, the check every rendered message must pass, and safe text helpers.

Renderers build payloads inside these limits; `check_message_limits` is the independent judge the tests use
on every message (Discord answers 400 "Invalid Form Body" to a message past any of them, so a digest that
breaks a limit is a digest that is never delivered).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import discord

CONTENT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000  # title + description + field names and values + footer + author, across all embeds
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR_NAME = 256
URL = 2048
ACTION_ROWS = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID = 100
BUTTON_LABEL = 80
ATTACHMENTS = 10
ATTACHMENT_DESCRIPTION = 1024  # an attachment's alt text
CHOICES = 25  # autocomplete answers
CHOICE_NAME = 100
CHOICE_VALUE = 100

# Line-start markdown that escape_markdown leaves alone: headings, subtext and block quotes.
_LINE_START = re.compile(r"^(\s*)(#{1,3}\s|-#\s|>{1,3}\s)", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def safe(text: str | None) -> str:
    """User or source text made inert: no markdown, no mentions, no bidi tricks."""
    if not text:
        return ""
    text = _CONTROL.sub("", text)
    text = discord.utils.escape_markdown(text)
    text = _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)
    return discord.utils.escape_mentions(text)


def fit(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most `limit` characters, cut at a word where possible, never leaving a dangling escape."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space > len(cut) * 0.6:
        cut = cut[:space]
    # An odd run of trailing backslashes would escape the ellipsis (or whatever follows in a message).
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut.rstrip() + ellipsis


def web_url(url: str | None) -> str | None:
    """A link Discord accepts in an embed or a link button; anything else is dropped rather than rejected."""
    if not url or len(url) > URL or not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        return None
    return url


def embed_length(embed: Mapping[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or ():
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def _check_embed(index: int, embed: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    where = f"embed {index}"
    for key, limit in (("title", TITLE), ("description", DESCRIPTION)):
        if len(embed.get(key) or "") > limit:
            problems.append(f"{where}: {key} is {len(embed[key])} characters (limit {limit})")
    if "url" in embed and embed["url"] is not None and web_url(embed["url"]) is None:
        problems.append(f"{where}: url {embed['url']!r} is not an http(s) link")
    fields = embed.get("fields") or ()
    if len(fields) > FIELDS:
        problems.append(f"{where}: {len(fields)} fields (limit {FIELDS})")
    for n, field in enumerate(fields):
        name, value = field.get("name") or "", field.get("value") or ""
        if not name.strip() or not value.strip():
            problems.append(f"{where}: field {n} has an empty name or value")
        if len(name) > FIELD_NAME:
            problems.append(f"{where}: field {n} name is {len(name)} characters (limit {FIELD_NAME})")
        if len(value) > FIELD_VALUE:
            problems.append(f"{where}: field {n} value is {len(value)} characters (limit {FIELD_VALUE})")
    footer = (embed.get("footer") or {}).get("text") or ""
    if len(footer) > FOOTER:
        problems.append(f"{where}: footer is {len(footer)} characters (limit {FOOTER})")
    author = (embed.get("author") or {}).get("name") or ""
    if len(author) > AUTHOR_NAME:
        problems.append(f"{where}: author is {len(author)} characters (limit {AUTHOR_NAME})")
    if not embed_length(embed) and not embed.get("url"):
        problems.append(f"{where}: empty")
    return problems


def _check_components(rows: Any) -> list[str]:
    problems: list[str] = []
    rows = list(rows or ())
    if len(rows) > ACTION_ROWS:
        problems.append(f"{len(rows)} action rows (limit {ACTION_ROWS})")
    seen: set[str] = set()
    for r, row in enumerate(rows):
        buttons = row.get("components") or ()
        if not 1 <= len(buttons) <= BUTTONS_PER_ROW:
            problems.append(f"row {r} has {len(buttons)} buttons (1 to {BUTTONS_PER_ROW})")
        for button in buttons:
            label = button.get("label") or ""
            if len(label) > BUTTON_LABEL:
                problems.append(f"button label {label[:20]!r}… is {len(label)} characters (limit {BUTTON_LABEL})")
            custom_id = button.get("custom_id")
            if custom_id is None:
                if web_url(button.get("url")) is None:
                    problems.append(f"button {label[:20]!r} has neither a custom id nor a valid url")
                continue
            if not 1 <= len(custom_id) <= CUSTOM_ID:
                problems.append(f"custom id {custom_id[:20]!r}… is {len(custom_id)} characters (1 to {CUSTOM_ID})")
            if custom_id in seen:
                problems.append(f"custom id {custom_id!r} is used twice in one message")
            seen.add(custom_id)
    return problems


def _check_attachments(attachments: Any, embeds: list[Any]) -> list[str]:
    """Within the count, alt texts within their limit, and every `attachment://` image an attached file."""
    problems: list[str] = []
    attachments = list(attachments)
    if len(attachments) > ATTACHMENTS:
        problems.append(f"{len(attachments)} attachments (limit {ATTACHMENTS})")
    for item in attachments:
        described = item.get("description") or ""
        if len(described) > ATTACHMENT_DESCRIPTION:
            problems.append(f"attachment {item.get('filename')!r} description is {len(described)} characters "
                            f"(limit {ATTACHMENT_DESCRIPTION})")
    names = {item.get("filename") for item in attachments}
    for index, embed in enumerate(embeds):
        url = (embed.get("image") or {}).get("url") or ""
        if url.startswith("attachment://") and url[len("attachment://"):] not in names:
            problems.append(f"embed {index} shows {url}, which is not attached")
    return problems


def check_message_limits(payload: Mapping[str, Any]) -> list[str]:
    """Every way `payload` (the JSON body of a message) breaks Discord's limits; empty when it is fine."""
    problems: list[str] = []
    content = payload.get("content") or ""
    if len(content) > CONTENT:
        problems.append(f"content is {len(content)} characters (limit {CONTENT})")
    embeds = list(payload.get("embeds") or ())
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"{len(embeds)} embeds (limit {EMBEDS_PER_MESSAGE})")
    for index, embed in enumerate(embeds):
        problems += _check_embed(index, embed)
    total = sum(embed_length(e) for e in embeds)
    if total > EMBED_TOTAL:
        problems.append(f"embeds hold {total} characters together (limit {EMBED_TOTAL})")
    problems += _check_components(payload.get("components"))
    problems += _check_attachments(payload.get("attachments") or (), embeds)
    if not content.strip() and not embeds and not payload.get("attachments") and not payload.get("files"):
        problems.append("the message is empty")
    mentions = payload.get("allowed_mentions")
    if mentions is None or mentions.get("parse") or mentions.get("users") or mentions.get("roles"):
        problems.append(f"mentions are not disabled (allowed_mentions={mentions!r})")
    return problems
