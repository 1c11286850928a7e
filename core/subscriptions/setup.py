"""A channel's first setup: its time zone from the manager who sets it up, and a first confirmation that says when
digests come and how to change that.

Where the platform knows the person's zone (Slack's `users.info`), the channel made by a manager's command takes
it: a digest at 08:00 is then 08:00 where they are, not in London. Where it does not (Discord), the channel starts
in UTC and the first confirmation asks for the zone, with the words that set it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.model.channels import Channel, ChannelSettings
from core.model.context import Actor, Destination
from core.model.zones import zone_label
from core.storage import channels
from core.storage.db import AsyncSession
from core.subscriptions.timing import next_digest

PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord"}
_DAYS = {"mon-fri": "Monday to Friday", "mon-sun": "every day", "sat,sun": "on Saturdays and Sundays"}
CHANGE = "Change them with `settings time HH:MM` and `settings timezone <zone>`."
ASK = ("Set your time zone with `settings timezone Europe/Berlin` or `settings timezone PST`, and the hour with "
       "`settings time HH:MM`.")


def platform_zone(actor: Actor) -> str | None:
    """The person's zone as the platform reported it, if this machine can schedule in it."""
    if not actor.timezone:
        return None
    try:
        ZoneInfo(actor.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return actor.timezone


async def open_channel(session: AsyncSession, where: Destination, actor: Actor) -> Channel:
    """The channel, made now if it is new: in the zone of the manager making it, when the platform knows it.
    Only a manager's zone counts (they set the channel up); an existing channel keeps its zone."""
    return await channels.ensure_channel(session, where, timezone=platform_zone(actor) if actor.can_manage else None)


def _days(weekdays: str) -> str:
    return _DAYS.get(weekdays, f"on {weekdays}")


def schedule_phrase(settings: ChannelSettings, actor: Actor, now: datetime, *, first: bool) -> str:
    """What a subscription's confirmation says about when its papers come. The channel's first subscription says
    the time, zone and days, where the zone came from, and how to change them; later ones the next digest."""
    if settings.paused:
        return "The digest is paused; `resume` starts it again."
    when = next_digest(settings.digest_time, settings.weekdays, settings.timezone, now)
    zone = zone_label(settings.timezone)
    if not first:
        return f"New matches arrive in the next digest ({when:%a %d %b %H:%M} {zone})." if when else ""
    first_one = f" The first comes {when:%a %d %b}." if when else ""
    arrive = f"Digests arrive at {settings.digest_time} {zone}"
    if platform_zone(actor) == settings.timezone:
        source = PLATFORM_NAMES.get(actor.platform, actor.platform)
        return f"{arrive} (your {source} time zone), {_days(settings.weekdays)}.{first_one} {CHANGE}"
    if settings.timezone == "UTC" and platform_zone(actor) is None:
        # Nobody chose UTC: the platform could not say where this channel is. Ask, with the words that answer.
        return f"{arrive}, {_days(settings.weekdays)}.{first_one} {ASK}"
    return f"{arrive}, {_days(settings.weekdays)}.{first_one} {CHANGE}"
