"""A channel as every layer sees it once storage has read it: its address, settings and subscriptions.

Frozen values, never table rows: the features and the digest hold these, and ask storage for each change by
name. One `Channel` for both (the settings features show and change, the fields the planner and clock read).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from core.model.context import Destination
from core.model.institutions import InstitutionRoster
from core.model.researchers import ResearcherEvidence


@dataclass(frozen=True)
class ChannelSettings:
    """A channel's schedule and preferences: what `settings` shows and changes."""

    timezone: str
    digest_time: str  # HH:MM, local to `timezone`
    weekdays: str  # cron day_of_week expression
    max_items: int
    paused: bool
    paused_reason: str | None
    pause_cause: str | None  # PauseCause: who may lift the pause (a person, or the workspace regaining access)
    include_updates: bool
    include_crosslists: bool
    quiet_notice: bool
    learning: bool = True
    cadence: str = "daily"  # Cadence: daily, or weekly on the one day in `weekdays`
    summary_mode: str = "tldr"  # tldr | abstract | off: what each digest line says under its title
    follow_lab: bool = False  # follows everyone who claimed a researcher record in this workspace (`follow lab`)


SETTING_FIELDS = tuple(f.name for f in fields(ChannelSettings))


@dataclass(frozen=True)
class Channel:
    """A stored channel: its id, where it is, its settings (flat, as the planner reads them), and its history."""

    id: int
    platform: str
    workspace_id: str
    channel_id: str
    timezone: str
    digest_time: str
    weekdays: str
    max_items: int
    paused: bool
    paused_reason: str | None
    pause_cause: str | None
    include_updates: bool
    include_crosslists: bool
    quiet_notice: bool
    created_at: datetime
    learning: bool = True
    cadence: str = "daily"
    last_digest_at: datetime | None = None
    summary_mode: str = "tldr"
    follow_lab: bool = False

    @property
    def address(self) -> Destination:
        return Destination(self.platform, self.workspace_id, self.channel_id)

    @property
    def settings(self) -> ChannelSettings:
        return ChannelSettings(**{name: getattr(self, name) for name in SETTING_FIELDS})


@dataclass(frozen=True)
class Subscription:
    """One thing a channel follows, with the short number the channel knows it by."""

    number: int
    kind: str  # SubscriptionKind: topic | category | researcher | similar | institution
    query: str | None = None
    openalex_id: str | None = None
    orcid: str | None = None
    s2_id: str | None = None
    display_name: str | None = None
    name_variants: tuple[str, ...] = ()
    created_by: str = ""
    destination_id: int = 0  # the channel's id (lists of one channel's subscriptions carry it too)
    evidence: ResearcherEvidence | None = None  # a researcher's; None when stored before evidence existed
    # `subscribe similar`: the examples' vectors and titles ({"vectors": [[indices, weights], ...], "titles": [...]})
    examples: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    # A followed institution's active researchers (`follow institution`); None until ingest first builds it.
    roster: InstitutionRoster | None = field(default=None, compare=False, hash=False)

    @property
    def label(self) -> str:
        """What the channel calls it: the query or category as typed, or the person's name."""
        named = ("researcher", "similar", "institution", "trending", "citations")
        return (self.display_name if self.kind in named else self.query) or "?"
