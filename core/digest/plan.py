"""Planning a digest: which papers arrived in the window, which of them match, which are not yet delivered.

Planning only reads. The delivery engine turns a plan into a recorded run and ledger claims in one
transaction; `digest preview` shows a plan without claiming anything.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from core.digest.blend import (
    affinities,
    as_profile,
    close_counts,
    close_reason,
    liked_ids,
    net_ratings,
    profile_from,
)
from core.digest.matching import DigestMatch, DigestMatcher, DigestOptions, MatchReason, SubscriptionSpec
from core.digest.profile import blend_weight
from core.digest.sections import SectionItem
from core.digest.select import arrange, matched_per_subscription
from core.model.channels import Subscription
from core.model.papers import PaperRecord
from core.storage import digest_inputs, ledger, ratings
from core.storage.db import AsyncSession
from core.storage.ratings import StoredProfile

log = logging.getLogger(__name__)
FIRST_WINDOW = timedelta(hours=36)  # a channel's first digest looks back about a day and a half
WEEK = timedelta(days=7)  # a weekly channel's first digest covers a whole week, as every later one does
MAX_WINDOW = timedelta(days=14)  # beyond that, a catch-up would be a flood even with the cap
SECTION_SUBSCRIPTIONS = frozenset({"trending", "citations"})  # they add a section and match nothing


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
    def learning(self) -> bool: ...
    @property
    def last_digest_at(self) -> datetime | None: ...
    @property
    def cadence(self) -> str: ...


@dataclass
class PlannedItem:
    match: DigestMatch
    # 0: a new paper; N: the paper revised to vN (arXiv's replace), whether or not the channel had an earlier version
    revision: int

    @property
    def paper_id(self) -> str:
        return self.match.paper_id

    @property
    def paper(self) -> PaperRecord:
        return self.match.paper

    @property
    def reasons(self) -> tuple[MatchReason, ...]:
        return self.match.reasons

    @property
    def is_revision(self) -> bool:
        """A new version of an older paper: it ranks below the new papers of its subscription."""
        return self.revision > 0 or self.match.is_update


@dataclass(frozen=True)
class SubscriptionMatches:
    """How many of the plan's papers one subscription matched: the digest's header line, and `list`."""

    number: int
    kind: str
    label: str
    matched: int


@dataclass
class DigestPlan:
    destination_id: int
    window_start: datetime
    window_end: datetime
    # Shown papers first (the first `shown` of them, in display order), then the backlog in turn order.
    items: list[PlannedItem] = field(default_factory=list)
    shown: int = 0
    matched_by: tuple[SubscriptionMatches, ...] = ()
    subscriptions: int = 0
    skipped_subscriptions: list[int] = field(default_factory=list)  # stored text that no longer parses
    missed: int = 0  # scheduled digests before this one that never went out (`core.digest.missed`)
    weekly: bool = False  # the week's digest: its papers were ranked together over the seven days
    # Papers of the sections after the matched ones (`core.digest.extras`), claimed with the shown papers.
    sections: list[SectionItem] = field(default_factory=list)

    @property
    def shown_items(self) -> list[PlannedItem]:
        return self.items[: self.shown]

    @property
    def backlog(self) -> list[PlannedItem]:
        return self.items[self.shown :]

    @property
    def catch_up(self) -> bool:
        """It follows a missed digest; a long window alone (a first digest, a weekend) is not one."""
        return self.missed > 0

    @property
    def days_covered(self) -> int:
        return max(1, round((self.window_end - self.window_start) / timedelta(days=1)))


def window_for(destination: PlanSettings, now: datetime) -> tuple[datetime, datetime]:
    start = destination.last_digest_at
    if start is None:
        start = now - (WEEK if destination.cadence == "weekly" else FIRST_WINDOW)
    if start.tzinfo is None:  # SQLite hands back naive UTC
        start = start.replace(tzinfo=UTC)
    return max(start, now - MAX_WINDOW), now


def specs_for(destination_id: int, rows: Sequence[Subscription]) -> tuple[list[SubscriptionSpec], list[int]]:
    specs, broken = [], []
    for row in rows:
        if row.kind in SECTION_SUBSCRIPTIONS:
            continue  # it adds a section to the digest (`core.digest.extras`) and matches nothing
        try:
            specs.append(SubscriptionSpec.from_stored(
                destination_id, row.number, row.kind, row.query, openalex_id=row.openalex_id, orcid=row.orcid,
                s2_id=row.s2_id, display_name=row.display_name, name_variants=row.name_variants or (),
                examples=row.examples, evidence=row.evidence, roster=row.roster,
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
    plan = DigestPlan(destination.id, start, end, weekly=destination.cadence == "weekly")
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
    items: list[PlannedItem] = []
    for match in matches:
        revisions = delivered.get(match.paper_id)
        version = max(match.paper.versions or (0,)) if match.is_update else 0
        if revisions is None:
            # A revision the channel never had an earlier version of is still a revision: it is labelled so.
            items.append(PlannedItem(match, version))
        elif version and destination.include_updates and version not in revisions:
            items.append(PlannedItem(match, version))
    profile = await _profile(session, destination.id, matcher) if destination.learning else None
    select(plan, items, rows, destination.max_items, matcher=matcher, profile=profile)
    return plan


async def _profile(session: AsyncSession, destination_id: int, matcher: DigestMatcher) -> StoredProfile | None:
    """The channel's stored profile; learned here from its ratings when they came without one (an import)."""
    stored = await ratings.load_profile(session, destination_id)
    if stored is None or not stored.stale:
        return stored
    values = await ratings.channel_ratings(session, destination_id)
    known = await ratings.papers(session, list(net_ratings(values)))
    return profile_from(matcher.space, destination_id, values, known)


def select(plan: DigestPlan, items: list[PlannedItem], rows: Sequence[Subscription], max_items: int, *,
           matcher: DigestMatcher | None = None, profile: StoredProfile | None = None) -> None:
    """Put the plan's papers in digest order (each subscription represented within the cap, see
    `core.digest.select`, blended with the channel's learned profile when it has one) and count what each
    subscription matched."""
    arranged = arrange(items, max_items)
    if profile is not None and matcher is not None and items:
        learned = as_profile(profile)
        weight = blend_weight(learned.ratings)
        affinity = affinities(matcher, [i.paper_id for i in items], [i.paper for i in items], learned)
        unlearned = {index: place for place, index in enumerate(arranged.order)}
        liked = liked_ids(profile)
        scale = max((a for item, a in zip(items, affinity, strict=True) if item.paper_id not in liked and a > 0),
                    default=None)
        arranged_with = arrange(items, max_items, affinity=affinity, weight=weight, scale=scale)
        # The why-line says so where the profile moved a paper up: shown now, and further down without it.
        moved = [index for place, index in enumerate(arranged_with.shown) if unlearned[index] > place]
        close = close_counts(matcher, [items[i].paper for i in moved], profile)
        for index, count in zip(moved, close, strict=True):
            if count:
                match = items[index].match
                items[index] = replace(items[index], match=match._replace(
                    reasons=(*match.reasons, close_reason(count))))
        arranged = arranged_with
    plan.items = [items[i] for i in arranged.order]
    plan.shown = len(arranged.shown)
    counts = matched_per_subscription(items)
    plan.matched_by = tuple(
        SubscriptionMatches(row.number, row.kind, row.label, counts[row.number])
        for row in sorted(rows, key=lambda r: r.number) if counts.get(row.number)
    )
