"""Planning a digest: which papers arrived in the window, which of them match, which are not yet delivered.

Planning only reads. The delivery engine turns a plan into a recorded run and ledger claims in one
transaction; `digest preview` shows a plan without claiming anything.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from core.digest.matching import DigestMatch, DigestMatcher, DigestOptions, SubscriptionSpec
from core.model.channels import Subscription
from core.model.papers import PaperRecord
from core.storage import digest_inputs, ledger
from core.storage.db import AsyncSession

log = logging.getLogger(__name__)
FIRST_WINDOW = timedelta(hours=36)  # a channel's first digest looks back about a day and a half
CATCH_UP_AFTER = timedelta(hours=30)  # a window longer than this means a missed digest: say so
MAX_WINDOW = timedelta(days=14)  # beyond that, a catch-up would be a flood even with the cap


class PlanSettings(Protocol):
    """What planning reads of a channel (`digest_inputs.Channel`, or any record with these fields)."""

    @property
    def id(self) -> int | None: ...
    @property
    def max_items(self) -> int: ...
    @property
    def include_updates(self) -> bool: ...
    @property
    def include_crosslists(self) -> bool: ...
    @property
    def last_digest_at(self) -> datetime | None: ...


@dataclass
class PlannedItem:
    match: DigestMatch
    revision: int  # 0: the paper itself; N: "updated to vN" for a paper the channel already received

    @property
    def paper_id(self) -> str:
        return self.match.paper_id


@dataclass
class DigestPlan:
    destination_id: int
    window_start: datetime
    window_end: datetime
    items: list[PlannedItem] = field(default_factory=list)
    subscriptions: int = 0
    skipped_subscriptions: list[int] = field(default_factory=list)  # stored text that no longer parses

    @property
    def catch_up(self) -> bool:
        return self.window_end - self.window_start > CATCH_UP_AFTER

    @property
    def days_covered(self) -> int:
        return max(1, round((self.window_end - self.window_start) / timedelta(days=1)))


def window_for(destination: PlanSettings, now: datetime) -> tuple[datetime, datetime]:
    start = destination.last_digest_at
    if start is None:
        start = now - FIRST_WINDOW
    if start.tzinfo is None:  # SQLite hands back naive UTC
        start = start.replace(tzinfo=UTC)
    return max(start, now - MAX_WINDOW), now


def specs_for(destination_id: int, rows: Sequence[Subscription]) -> tuple[list[SubscriptionSpec], list[int]]:
    specs, broken = [], []
    for row in rows:
        try:
            specs.append(SubscriptionSpec.from_stored(
                destination_id, row.number, row.kind, row.query, openalex_id=row.openalex_id, orcid=row.orcid,
                s2_id=row.s2_id, display_name=row.display_name, name_variants=row.name_variants or (),
                evidence=row.evidence,
            ))
        except ValueError as error:
            # A subscription stored by an older release that this one cannot read: skip it, never crash.
            log.warning("subscription #%s of destination %s no longer parses: %s", row.number, destination_id, error)
            broken.append(row.number)
    return specs, broken


# Channels whose digests fire around the same time see the same arrivals: they share one index (and its
# per-query caches) instead of each loading and indexing the day's papers again.
_MATCHERS: OrderedDict[tuple[object, ...], DigestMatcher] = OrderedDict()
_MATCHERS_KEPT = 4


async def shared_matcher(session: AsyncSession, start: datetime, end: datetime) -> DigestMatcher | None:
    """The matcher over the papers that arrived in (start, end], built once per distinct set of papers."""
    stamps = await digest_inputs.arrival_stamps(session, start, end)
    if not stamps:
        return None
    key = (len(stamps), hash(tuple(paper_id for paper_id, _ in stamps)), max(str(u) for _, u in stamps))
    matcher = _MATCHERS.get(key)
    if matcher is None:
        matcher = DigestMatcher(await digest_inputs.arrived_papers(session, start, end))
        _MATCHERS[key] = matcher
        while len(_MATCHERS) > _MATCHERS_KEPT:
            _MATCHERS.popitem(last=False)
    else:
        _MATCHERS.move_to_end(key)
    return matcher


async def plan_digest(
    session: AsyncSession,
    destination: PlanSettings,
    window: tuple[datetime, datetime],
    *,
    papers: list[PaperRecord] | None = None,
    matcher: DigestMatcher | None = None,
) -> DigestPlan:
    """Match this destination's subscriptions against what arrived in `window`, minus what it already has.

    `papers` (as `digest_inputs.arrived_papers` reads them) and `matcher` let the scheduler share one batch
    and its index across every destination.
    """
    assert destination.id is not None
    start, end = window
    plan = DigestPlan(destination.id, start, end)
    rows = await digest_inputs.channel_subscriptions(session, destination.id)
    specs, plan.skipped_subscriptions = specs_for(destination.id, rows)
    plan.subscriptions = len(rows)
    if not specs:
        return plan
    if matcher is None:
        if papers is not None:
            matcher = DigestMatcher(papers) if papers else None
        else:
            matcher = await shared_matcher(session, start, end)
        if matcher is None:
            return plan
    options = DigestOptions(include_crosslists=destination.include_crosslists,
                            include_updates=destination.include_updates)
    matches = matcher.digest(specs, options)
    if not matches:
        return plan
    delivered = await ledger.delivered_revisions(session, destination.id, [m.paper_id for m in matches])
    for match in matches:
        revisions = delivered.get(match.paper_id)
        if revisions is None:
            plan.items.append(PlannedItem(match, 0))
        elif match.is_update and destination.include_updates:
            version = max(match.paper.versions or (0,))
            if version and version not in revisions:
                plan.items.append(PlannedItem(match, version))
    return plan
