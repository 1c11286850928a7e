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
