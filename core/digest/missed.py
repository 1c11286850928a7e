"""Whether a digest catches up: it follows a scheduled digest of this channel that never went out.

A window's length says nothing about that. A channel's first digest looks back a day and a half, and nothing was
missed: it has just started. Monday's digest covers three days, and nothing was missed either: arXiv announces
nothing on Friday and Saturday nights. So a slot of the channel's schedule counts as missed only if it passed
without a digest while arXiv had rebuilt its feeds since the slot before it: a digest then would have had papers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from core.digest.ingest import EASTERN, FEED_REBUILT
from core.subscriptions.timing import digest_trigger

# A digest this close to a slot, before or after, is that slot's (the clock's RECENT_RUN).
SAME_SLOT = timedelta(minutes=30)
LOOK_BACK = timedelta(days=14)  # as far back as a digest's window goes (plan.MAX_WINDOW)


class Schedule(Protocol):
    """What this reads of a channel (`core.model.channels.Channel`, or any record with these fields)."""

    @property
    def digest_time(self) -> str: ...
    @property
    def weekdays(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def last_digest_at(self) -> datetime | None: ...


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def feed_rebuilt_between(start: datetime, end: datetime) -> bool:
    """Whether arXiv rebuilt its feeds (00:30 US Eastern, Monday to Friday) in (start, end]."""
    if end - start > timedelta(days=7):
        return True  # every week has weekdays
    day, last = start.astimezone(EASTERN).date(), end.astimezone(EASTERN).date()
    while day <= last:
        rebuilt = datetime.combine(day, FEED_REBUILT, tzinfo=EASTERN)
        if day.weekday() < 5 and start < rebuilt <= end:
            return True
        day += timedelta(days=1)
    return False


def missed_digests(channel: Schedule, now: datetime) -> int:
    """How many of the channel's scheduled digests since its last one went out passed without one while there were
    new papers for them, besides the one due now (which the digest being made serves, even if late). 0 for a
    channel that never had a digest, or whose schedule cannot be read."""
    if channel.last_digest_at is None:
        return 0
    last = max(_aware(channel.last_digest_at), now - LOOK_BACK)
    try:
        trigger = digest_trigger(channel.digest_time, channel.weekdays, channel.timezone)
    except (ValueError, LookupError):
        return 0
    due, boundary = 0, last
    slot = trigger.get_next_fire_time(None, last + SAME_SLOT)
    while slot is not None and slot <= now + SAME_SLOT:
        if feed_rebuilt_between(boundary, slot):
            due += 1
        boundary = slot
        slot = trigger.get_next_fire_time(slot, slot + timedelta(seconds=1))
    return max(0, due - 1)
