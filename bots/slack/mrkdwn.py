"""Text for Slack: user-supplied text made harmless, links, mentions, and cutting to Block Kit's limits.

Everything that did not come from our own code (queries, paper titles, names, notes) goes through `escape`:
Slack reads `<...>` as a control sequence (`<!channel>`, `<@U123>`, `<url|label>`), so `&`, `<`, `>` become
entities; bare `@here`/`@channel`/`@everyone` get a zero-width joiner so that no client or `link_names`
setting can turn them into a ping.
"""

from __future__ import annotations

import re
from urllib.parse import quote

ZWJ = "\u200d"
ELLIPSIS = "…"

_BROADCAST = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_SPACE = re.compile(r"\s")


def neutralise(text: str) -> str:
    """Break `@here`-style broadcasts without changing how they read."""
    return _BROADCAST.sub("@" + ZWJ, text)


def escape(text: str | None) -> str:
    """User text for a mrkdwn field: no control sequences, no broadcasts."""
    if not text:
        return ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return neutralise(text)


def plain(text: str | None) -> str:
    """User text for a plain_text field (headers, buttons). Slack shows these literally; control sequences
    are still broken up, so that no client that parses them anyway could turn them into a ping."""
    return neutralise((text or "").replace("<!", "<" + ZWJ + "!").replace("<@", "<" + ZWJ + "@"))


def unescape_incoming(text: str) -> str:
    """Slack sends `&`, `<`, `>` in slash command text as entities; give core the characters the user typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clip(text: str, limit: int) -> str:
    """Cut already-escaped text to `limit` characters without splitting an entity like `&amp;`."""
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 1])
    return cut.rstrip() + ELLIPSIS


def clip_plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for `<url|label>` (a `|` or `>` in it would end the link early), or None."""
    if not url or not url.startswith(("https://", "http://")) or _SPACE.search(url):
        return None
    url = quote(url, safe=":/?#[]@!$&'()*+,;=%~.-_")
    return url.replace("&", "&amp;") if len(url) <= 1000 else None  # so a link line always fits a section


def link(url: str | None, label: str, *, label_limit: int = 300) -> str:
    """A mrkdwn link with an escaped label; just the label when the URL is unusable."""
    text = clip(escape(label), label_limit) or "link"
    target = safe_url(url)
    return f"<{target}|{text}>" if target else text


def mention(user_id: str | None) -> str:
    """`<@U123>` for a real Slack user id (from a signed payload); nothing for anything else."""
    return f"<@{user_id}>" if user_id and _USER_ID.match(user_id) else ""

