"""Raw interaction payloads as Discord sends them (INTERACTION_CREATE `d`), for both test layers."""

from __future__ import annotations

import itertools
from typing import Any

from tests.discord.fake_discord import APP_ID

GUILD = "800000000000000001"
CHANNEL = "800000000000000011"
OTHER_CHANNEL = "800000000000000012"
MANAGER = "700000000000000001"
MEMBER = "700000000000000002"
# Manage Channels (1 << 4) plus what every member has; a plain member has only the latter.
EVERYONE_PERMS = (1 << 10) | (1 << 11) | (1 << 31)  # view channel, send messages, use application commands
MANAGER_PERMS = EVERYONE_PERMS | (1 << 4)
BOT_PERMS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 38)  # what `radar discord invite` asks for

_ids = itertools.count(600000000000000001)
STRING, INTEGER, SUBCOMMAND, GROUP, ATTACHMENT = 3, 4, 1, 2, 11


def _user(user_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": f"user{user_id[-3:]}", "discriminator": "0", "global_name": None,
            "avatar": None}


def options_for(values: dict[str, Any], focused: str | None = None) -> list[dict[str, Any]]:
    result = []
    for name, value in values.items():
        if value is None:
            continue
        kind = INTEGER if isinstance(value, int) and not isinstance(value, bool) else STRING
        if isinstance(value, dict) and value.get("attachment"):
            kind, value = ATTACHMENT, value["id"]
        option: dict[str, Any] = {"type": kind, "name": name, "value": value}
        if name == focused:
            option["focused"] = True
        result.append(option)
    return result


def command_data(path: str, options: dict[str, Any], *, focused: str | None = None,
                 resolved: dict[str, Any] | None = None) -> dict[str, Any]:
    """`path` like "subscribe topic": the subcommand (and group) under /radar."""
    words = path.split()
    leaf: dict[str, Any] = {"type": SUBCOMMAND, "name": words[-1], "options": options_for(options, focused)}
    inner = {"type": GROUP, "name": words[0], "options": [leaf]} if len(words) == 2 else leaf
    data: dict[str, Any] = {"id": "500000000000000001", "name": "radar", "type": 1, "options": [inner]}
    if resolved:
        data["resolved"] = resolved
    return data


def base(kind: int, *, user: str = MANAGER, permissions: int = MANAGER_PERMS, guild: str | None = GUILD,
         channel: str = CHANNEL, app_permissions: int = BOT_PERMS) -> dict[str, Any]:
    interaction_id = str(next(_ids))
    payload: dict[str, Any] = {
        "id": interaction_id, "application_id": str(APP_ID), "type": kind, "token": f"token-{interaction_id}",
        "version": 1, "locale": "en-US", "entitlements": [], "attachment_size_limit": 8 * 1024 * 1024,
        "app_permissions": str(app_permissions),
    }
    if guild is not None:
        payload |= {
            "guild_id": guild, "guild_locale": "en-US", "context": 0,
            "authorizing_integration_owners": {"0": guild},
            "channel_id": channel,
            "channel": {"id": channel, "type": 0, "name": "papers", "position": 0, "guild_id": guild,
                        "permission_overwrites": [], "nsfw": False, "flags": 0},
            "member": {"user": _user(user), "roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False,
                       "mute": False, "flags": 0, "nick": None, "pending": False, "permissions": str(permissions)},
        }
    else:
        payload |= {"context": 1, "authorizing_integration_owners": {"1": user}, "channel_id": channel,
                    "channel": {"id": channel, "type": 1, "recipients": [_user(user)], "flags": 0},
                    "user": _user(user)}
    return payload


def slash(path: str, /, *, focused: str | None = None, resolved: dict[str, Any] | None = None,
          **kwargs: Any) -> dict[str, Any]:
    """An application command (or, with `focused`, an autocomplete) interaction for `/radar <path>`."""
    who = {k: kwargs.pop(k) for k in ("user", "permissions", "guild", "channel", "app_permissions") if k in kwargs}
    payload = base(4 if focused else 2, **who)
    payload["data"] = command_data(path, kwargs, focused=focused, resolved=resolved)
    return payload


def click(custom_id: str, message: dict[str, Any], **who: Any) -> dict[str, Any]:
    """A button press on `message` (a message object the bot sent, with its components)."""
    payload = base(3, **who)
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    payload["message"] = message
    return payload


def attachment(attachment_id: str, filename: str, url: str, size: int) -> dict[str, Any]:
    return {"id": attachment_id, "filename": filename, "size": size, "url": url, "proxy_url": url,
            "content_type": "application/json"}
