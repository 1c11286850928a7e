"""Planning a digest: which papers arrived in the window, which of them match, which are not yet delivered.

Planning only reads. The delivery engine turns a plan into a recorded run and ledger claims in one
transaction; `digest preview` shows a plan without claiming anything.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.digest.matching import DigestMatch, DigestMatcher, DigestOptions, SubscriptionSpec
from core.model.papers import PaperRecord
from core.storage import repos
from core.storage.models import DeliveryRow, DestinationRow, PaperRow, SubscriptionRow

log = logging.getLogger(__name__)
FIRST_WINDOW = timedelta(hours=36)  # a channel's first digest looks back about a day and a half
CATCH_UP_AFTER = timedelta(hours=30)  # a window longer than this means a missed digest: say so
MAX_WINDOW = timedelta(days=14)  # beyond that, a catch-up would be a flood even with the cap


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


def window_for(destination: DestinationRow, now: datetime) -> tuple[datetime, datetime]:
    start = destination.last_digest_at
    if start is None:
        start = now - FIRST_WINDOW
    if start.tzinfo is None:  # SQLite hands back naive UTC
        start = start.replace(tzinfo=UTC)
    return max(start, now - MAX_WINDOW), now


def specs_for(destination_id: int, rows: list[SubscriptionRow]) -> tuple[list[SubscriptionSpec], list[int]]:
    specs, broken = [], []
    for row in rows:
        try:
            specs.append(SubscriptionSpec.from_stored(
                destination_id, row.number, row.kind, row.query, openalex_id=row.openalex_id, orcid=row.orcid,
                s2_id=row.s2_id, display_name=row.display_name, name_variants=row.name_variants or (),
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
    stamps = (await session.exec(
        select(PaperRow.id, PaperRow.updated_at).where(col(PaperRow.arrived_at) > start, col(PaperRow.arrived_at) <= end)
        .order_by(col(PaperRow.id))
    )).all()
    if not stamps:
        return None
    key = (len(stamps), hash(tuple(paper_id for paper_id, _ in stamps)), max(str(u) for _, u in stamps))
    matcher = _MATCHERS.get(key)
    if matcher is None:
        matcher = DigestMatcher([record_for_matching(row) for row in await arrived_papers(session, start, end)])
        _MATCHERS[key] = matcher
        while len(_MATCHERS) > _MATCHERS_KEPT:
            _MATCHERS.popitem(last=False)
    else:
        _MATCHERS.move_to_end(key)
    return matcher


async def arrived_papers(session: AsyncSession, start: datetime, end: datetime) -> list[PaperRow]:
    result = await session.exec(
        select(PaperRow).where(col(PaperRow.arrived_at) > start, col(PaperRow.arrived_at) <= end)
        .order_by(col(PaperRow.arrived_at), col(PaperRow.id))
    )
    return list(result.all())


def record_for_matching(row: PaperRow) -> PaperRecord:
    """The stored paper as the matcher sees it: announced as its newest announcement listed it."""
    record = repos.row_to_record(row)
    return replace(record, announce_type=row.last_announce_type or record.announce_type,
                   announced=row.last_announced or record.announced)


async def plan_digest(
    session: AsyncSession,
    destination: DestinationRow,
    window: tuple[datetime, datetime],
    *,
    papers: list[PaperRow] | None = None,
    matcher: DigestMatcher | None = None,
) -> DigestPlan:
    """Match this destination's subscriptions against what arrived in `window`, minus what it already has.

    `papers` and `matcher` let the scheduler share one batch and its index across every destination.
    """
    assert destination.id is not None
    start, end = window
    plan = DigestPlan(destination.id, start, end)
    rows = await repos.list_subscriptions(session, destination.id)
    specs, plan.skipped_subscriptions = specs_for(destination.id, rows)
    plan.subscriptions = len(rows)
    if not specs:
        return plan
    if matcher is None:
        if papers is not None:
            matcher = DigestMatcher([record_for_matching(row) for row in papers]) if papers else None
        else:
            matcher = await shared_matcher(session, start, end)
        if matcher is None:
            return plan
    options = DigestOptions(include_crosslists=destination.include_crosslists,
                            include_updates=destination.include_updates)
    matches = matcher.digest(specs, options)
    if not matches:
        return plan
    delivered = await _delivered(session, destination.id, [m.paper_id for m in matches])
    for match in matches:
        revisions = delivered.get(match.paper_id)
        if revisions is None:
            plan.items.append(PlannedItem(match, 0))
        elif match.is_update and destination.include_updates:
            version = max(match.paper.versions or (0,))
            if version and version not in revisions:
                plan.items.append(PlannedItem(match, version))
    return plan


async def _delivered(session: AsyncSession, destination_id: int, paper_ids: list[str]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for start in range(0, len(paper_ids), 500):
        chunk = paper_ids[start : start + 500]
        result = await session.exec(
            select(DeliveryRow.paper_id, DeliveryRow.revision).where(
                DeliveryRow.destination_id == destination_id, col(DeliveryRow.paper_id).in_(chunk)
            )
        )
        for paper_id, revision in result.all():
            found.setdefault(paper_id, set()).add(revision)
    return found
