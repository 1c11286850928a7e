"""Who is asking, and where: Slack payloads to core's Actor and Destination.

Managing a channel's subscriptions is for workspace admins and owners (Slack's `users.info` says so) and for
the user ids in SLACK_MANAGERS. `users.info` answers are cached per user for a few minutes: a burst of
commands costs one API call, and a demoted admin loses the right within minutes. The same answer carries the
user's time zone (`tz`), which a channel they set up takes; the lookup runs after the ack, like every command
that changes a channel, so it never holds the three seconds up, and a failed one just leaves the zone unknown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from core.model.context import Actor, Destination

log = logging.getLogger(__name__)
ROLE_TTL_S = 300.0
FAILURE_TTL_S = 30.0  # a failed lookup denies for a short while only, then asks again
MAX_CACHED = 10_000


def destination_of(body: Mapping[str, Any]) -> Destination | None:
    """The channel a slash command or a button click came from (None when the payload has no channel)."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    if not team or not channel:
        return None
    return Destination("slack", str(team), str(channel))


def user_of(body: Mapping[str, Any]) -> str:
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    return str(user or "")


@dataclass(frozen=True)
class _Role:
    can_manage: bool
    name: str | None
    expires: float
    timezone: str | None = None  # the user's IANA zone (`tz`): a channel they set up takes it


class ActorDirectory:
    """Resolves Slack users to Actors, with a small per-user cache of their role."""

    def __init__(self, managers: frozenset[str], *, ttl: float = ROLE_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.managers = managers
        self.ttl = ttl
        self.clock = clock
        self._roles: dict[tuple[str, str], _Role] = {}

    async def actor(self, client: AsyncWebClient, team_id: str, user_id: str, *, check_role: bool = True) -> Actor:
        """The Actor for this user; `check_role=False` skips the role lookup for commands that change nothing."""
        role = self._roles.get((team_id, user_id))
        if user_id in self.managers:
            # Their right needs no lookup (nor may a failed one deny it); their zone is known if it was looked up.
            return Actor("slack", user_id, can_manage=True, timezone=role.timezone if role else None)
        if not check_role:
            fresh = role is not None and role.expires > self.clock()
            return Actor("slack", user_id, can_manage=bool(fresh and role and role.can_manage),
                         timezone=role.timezone if role else None)
        if role is None or role.expires <= self.clock():
            role = await self._lookup(client, team_id, user_id)
        return Actor("slack", user_id, can_manage=role.can_manage, display_name=role.name, timezone=role.timezone)

    async def _lookup(self, client: AsyncWebClient, team_id: str, user_id: str) -> _Role:
        try:
            response = await client.users_info(user=user_id)
            user = response.get("user") or {}
        except SlackApiError as error:
            log.warning("users.info failed for a user of %s: %s", team_id, error.response.get("error"))
            return self._remember(team_id, user_id, _Role(False, None, self.clock() + FAILURE_TTL_S))
        except Exception as error:  # network trouble: deny now, ask again soon
            log.warning("users.info failed for a user of %s: %s", team_id, type(error).__name__)
            return self._remember(team_id, user_id, _Role(False, None, self.clock() + FAILURE_TTL_S))
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        # Guests and deactivated accounts never manage, whatever else the record says.
        if user.get("deleted") or user.get("is_restricted") or user.get("is_ultra_restricted"):
            admin = False
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("name")
        zone = user.get("tz")
        return self._remember(team_id, user_id, _Role(admin, name, self.clock() + self.ttl,
                                                      zone if isinstance(zone, str) and zone else None))

    def _remember(self, team_id: str, user_id: str, role: _Role) -> _Role:
        if len(self._roles) >= MAX_CACHED:
            now = self.clock()
            self._roles = {k: r for k, r in self._roles.items() if r.expires > now}
            if len(self._roles) >= MAX_CACHED:
                self._roles.clear()
        self._roles[(team_id, user_id)] = role
        return role
