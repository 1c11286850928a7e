"""Who asked and where: the two facts an adapter adds to every command it hands to core."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who asked: `can_manage` is set by the adapter from the platform's permissions; `timezone` is the person's
    IANA zone where the platform knows it (Slack's `users.info`), None where it does not (Discord)."""

    platform: str
    user_id: str
    can_manage: bool = False
    display_name: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Destination:
    """Where the command came from and where answers and digests go."""

    platform: str
    workspace_id: str
    channel_id: str
