"""Every message we send must pass slack_sdk's Block Kit models and our size budget, and ping nobody."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_sdk.models.blocks import Block

from bots.slack.blocks import MAX_BLOCKS, MESSAGE_BUDGET

# Broadcasts, and user-group mentions (`<!subteam^S123>`), which ping everyone in the group.
_BROADCAST = re.compile(r"@(here|channel|everyone)\b|<!(here|channel|everyone|subteam\^)", re.IGNORECASE)
_MENTION = re.compile(r"<@([A-Z0-9]+)")
# The only control sequences we write ourselves: links, the asker's mention, and localised dates.
_OURS = re.compile(r"<(?:https?://[^|<>\s]+\|[^<>]*|@[UW][A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>]*)>")


def _mrkdwn_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str) else []
        return found + [t for v in value.values() for t in _mrkdwn_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _mrkdwn_texts(v)]
    return []


def check_message(message: dict[str, Any], *, may_mention: tuple[str, ...] = ()) -> None:
    """Raise when `message` (a chat.postMessage, ack or response_url payload) would be refused or could ping."""
    blocks = message.get("blocks") or []
    assert message.get("text"), "every message needs fallback text (notifications, screen readers)"
    assert len(blocks) <= MAX_BLOCKS, f"{len(blocks)} blocks"
    size = len(json.dumps(blocks, ensure_ascii=False))
    assert size <= MESSAGE_BUDGET, f"{size} characters of blocks"
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None, f"unknown block {raw}"
        parsed.to_dict()  # slack_sdk validates every documented limit here and raises past one
        if raw["type"] == "section":
            assert len(raw.get("fields", ())) <= 10
        if raw["type"] == "context":
            assert 1 <= len(raw["elements"]) <= 10
        assert len(raw.get("block_id", "")) <= 255
    for text in [*_mrkdwn_texts(blocks), str(message.get("text", ""))]:
        bare = _OURS.sub("", text)
        assert "<" not in bare and ">" not in bare, f"unescaped control characters in {text[:300]!r}"
    whole = json.dumps(message, ensure_ascii=False)
    assert not _BROADCAST.search(whole), f"a broadcast could ping: {whole[:300]}"
    for user in _MENTION.findall(whole):
        assert user in may_mention, f"mentions {user}"
    if message.get("channel"):  # a posted message, not an ephemeral answer
        assert message.get("unfurl_links") is False and message.get("unfurl_media") is False
