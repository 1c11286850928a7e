"""The closed vocabularies stored in the database and compared across layers.

They are `StrEnum`s so a stored string and a member compare equal: rows written before these existed load
unchanged, and SQL filters can take either.
"""

from __future__ import annotations

from enum import StrEnum


class SubscriptionKind(StrEnum):
    TOPIC = "topic"
    CATEGORY = "category"
    RESEARCHER = "researcher"
    INSTITUTION = "institution"


class RunKind(StrEnum):
    """Why a digest run exists."""

    SCHEDULED = "scheduled"
    NOW = "now"
    CATCHUP = "catchup"
    MORE = "more"


class RunState(StrEnum):
    """A digest run's life: built, then sending (claimed papers), then one of the ends."""

    BUILDING = "building"
    SENDING = "sending"
    DONE = "done"
    EMPTY = "empty"
    FAILED = "failed"
    RETRY = "retry"
    SUPERSEDED = "superseded"
    SKIPPED = "skipped"


class DeliveryState(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"


class ProblemCode(StrEnum):
    """What kind of trouble a `Problem` reports; adapters and tests branch on it, people read the text."""

    USAGE = "usage"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SOURCE_DOWN = "source_down"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"
    LIMIT = "limit"
    INVALID = "invalid"


class PauseCause(StrEnum):
    """Why a channel's digest is paused, which decides what may start it again (`paused_reason` is the
    sentence people read; this is what code compares)."""

    MANAGER = "manager"  # a person paused it: only a person's `resume` starts it again
    DELIVERY = "delivery"  # the platform refused this channel (gone, archived, no permission to post)
    ACCESS_LOST = "access_lost"  # the workspace or server took the bot's access away: regaining it resumes


class AccessCause(StrEnum):
    """How a platform took the bot's access to a whole workspace or server away."""

    UNINSTALLED = "uninstalled"  # Slack: app_uninstalled
    TOKENS_REVOKED = "tokens_revoked"  # Slack: tokens_revoked for the bot token
    REMOVED_FROM_GUILD = "removed_from_guild"  # Discord: the bot was kicked from, or left, the server
