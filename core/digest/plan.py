"""Planning a digest: which papers arrived in the window, which of them match, which are not yet delivered.

Planning only reads. The delivery engine turns a plan into a recorded run and ledger claims in one
transaction; `digest preview` shows a plan without claiming anything.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from core.digest.blend import (
    affinities_many,
    as_profile,
    close_counts,
    close_reason,
    liked_ids,
    net_ratings,
    profile_from,
)
from core.digest.index import UPDATE_TYPES
from core.digest.matching import (
    DigestMatch,
    DigestMatcher,
    DigestOptions,
    MatchReason,
    SubscriptionSpec,
    results_kept_unscanned,
)
from core.digest.profile import blend_weight
from core.digest.sections import SectionItem
from core.digest.select import arrange, filing, matched_per_subscription
from core.model.channels import Subscription
from core.model.papers import PaperRecord
from core.storage import digest_inputs, ledger, ratings
from core.storage.db import AsyncSession, json_text
from core.storage.ratings import StoredProfile

log = logging.getLogger(__name__)
FIRST_WINDOW = timedelta(hours=36)  # a channel's first digest looks back about a day and a half
WEEK = timedelta(days=7)  # a weekly channel's first digest covers a whole week, as every later one does
MAX_WINDOW = timedelta(days=14)  # beyond that, a catch-up would be a flood even with the cap
# Planned items a matcher keeps made for the channels after (`DigestMatcher.digest_as`; about 500 bytes each
# with their backlog parts): at 100,000 channels they would be millions, so they start afresh past this many.
PLANNED_KEPT = 1_000_000
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


def stored_reason(r: MatchReason) -> dict[str, Any]:
    """A reason as runs and deliveries store it: every field but the score, the `possible` flag only when set."""
    return _stored(r.kind, r.number, r.text, r.by_name, r.possible)


def _stored(kind: str, number: int, text: str, by_name: bool, possible: bool) -> dict[str, Any]:
    return {"kind": kind, "subscription": number, "text": text, "by_name": by_name,
            **({"possible": True} if possible else {})}


@lru_cache(maxsize=65536)
def _stored_text(kind: str, number: int, text: str, by_name: bool, possible: bool) -> str:
    # A channel's reasons recur in every channel with its subscriptions: each stored text is written once.
    return json_text(_stored(kind, number, text, by_name, possible))


class PlannedItem:
    """One matched paper of a plan, with what selection, scoring and the backlog read of it, again and again for
    every matched paper of thousands of channels: plain attributes, set once, in one call (a plain class with
    slots: a dataclass's `__init__` plus `__post_init__` cost twice as much), but for what only a backlog reads
    (`backlog_parts`), made when first asked for."""

    __slots__ = ("filing", "is_revision", "latest", "match", "packed", "paper", "paper_id", "rank", "reasons",
                 "revision")

    def __init__(self, match: DigestMatch, revision: int) -> None:
        self.match = match
        # 0: a new paper; N: the paper revised to vN (arXiv's replace), whether or not the channel had an
        # earlier version
        self.revision = revision
        reasons = self.reasons = match.reasons
        self.paper_id: str = match.paper_id
        self.paper: PaperRecord = match.paper
        self.rank = match.rank  # its place in the channel's matches (`DigestMatcher.digest_as` sorts by it)
        versions = match.paper.versions
        self.latest: int | None = max(versions) if versions else None  # the paper's newest version, if known
        self.packed: tuple[str, tuple[str, ...]] | None = None  # `backlog_parts`, once asked for
        # a new version of an older paper: below the new ones of its subscription
        self.is_revision = revision > 0 or match.paper.announce_type in UPDATE_TYPES
        # Where selection files a new paper with one reason, the commonest case (`select.filing`): worked out
        # once, as a shared entry's item serves every channel with that subscription.
        self.filing = filing(reasons[0]) if len(reasons) == 1 and not self.is_revision else None

    def backlog_parts(self) -> tuple[str, tuple[str, ...]]:
        """What a stored backlog keeps of it (`deliver._backlog`): the start of its entry (`ledger.backlog_entry`)
        and each reason's stored JSON text, which also tells reasons apart there. Made on first use and kept: a
        shared entry's item serves every channel with that subscription, and many items never wait in a backlog."""
        packed = self.packed
        if packed is None:
            packed = self.packed = (ledger.backlog_entry(self.paper_id, self.revision, self.latest),
                                    tuple([_stored_text(r.kind, r.number, r.text, r.by_name, r.possible)
                                           for r in self.reasons]))
        return packed

    @classmethod
    def of(cls, match: DigestMatch) -> PlannedItem:
        """The item of a matched paper; a replaced paper is labelled a revision whether or not the channel had
        an earlier version of it."""
        return cls(match, _revision(match.paper))

    def with_reasons(self, reasons: tuple[MatchReason, ...]) -> PlannedItem:
        return PlannedItem(self.match._replace(reasons=reasons), self.revision)

    def __repr__(self) -> str:
        return f"PlannedItem({self.paper_id!r}, revision={self.revision})"


class SubscriptionMatches(NamedTuple):
    """How many of the plan's papers one subscription matched: the digest's header line, and `list`. (A named
    tuple: the clock makes ten for each of thousands of channels, and a frozen dataclass costs four times as much.)"""

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


def _stamps_key(stamps: Sequence[tuple[str, datetime]]) -> tuple[object, ...]:
    """Which papers, in which state: their number, their ids as a set, their latest update (a set's hash needs
    no sort, and one latest time no text per paper: every chunk of a crowded minute keys its window)."""
    return len(stamps), hash(frozenset(paper_id for paper_id, _ in stamps)), str(max(u for _, u in stamps))


async def _matcher_of(session: AsyncSession, key: tuple[object, ...], start: datetime, end: datetime) -> DigestMatcher:
    matcher = _MATCHERS.get(key)
    if matcher is None:
        matcher = DigestMatcher(await digest_inputs.arrived_papers(session, start, end))
        _MATCHERS[key] = matcher
        while len(_MATCHERS) > _MATCHERS_KEPT:
            _MATCHERS.popitem(last=False)
    else:
        _MATCHERS.move_to_end(key)
    return matcher


async def shared_matcher(session: AsyncSession, start: datetime, end: datetime) -> DigestMatcher | None:
    """The matcher over the papers that arrived in (start, end], built once per distinct set of papers."""
    stamps = await digest_inputs.arrival_stamps(session, start, end)
    return await _matcher_of(session, _stamps_key(stamps), start, end) if stamps else None


async def matchers_for(session: AsyncSession, windows: dict[int, tuple[datetime, datetime]]) -> dict[int, DigestMatcher]:
    """Each channel's matcher over the papers of its window, from one read of the arrivals of all the windows:
    channels whose windows hold the same papers (yesterday's digests ended seconds apart) share one."""
    if not windows:
        return {}
    arrivals = await digest_inputs.arrivals(session, min(s for s, _ in windows.values()),
                                            max(e for _, e in windows.values()))
    times = [arrived for arrived, _, _ in arrivals]
    by_range: dict[tuple[int, int], DigestMatcher] = {}
    found = {}
    for destination_id, (start, end) in windows.items():
        first, last = bisect_right(times, start), bisect_right(times, end)
        if first == last:
            continue  # nothing arrived in this window
        matcher = by_range.get((first, last))
        if matcher is None:
            key = _stamps_key([(paper_id, updated) for _, paper_id, updated in arrivals[first:last]])
            matcher = by_range[first, last] = await _matcher_of(session, key, start, end)
        found[destination_id] = matcher
    return found


async def plan_digest(
    session: AsyncSession,
    destination: PlanSettings,
    window: tuple[datetime, datetime],
    *,
    papers: list[PaperRecord] | None = None,
    matcher: DigestMatcher | None = None,
) -> DigestPlan:
    """Match this destination's subscriptions against what arrived in `window`, minus what it already has.

    `papers` (as `digest_inputs.arrived_papers` reads them) or `matcher` replace the window's arrivals.
    """
    assert destination.id is not None
    if matcher is None and papers is not None:
        matcher = DigestMatcher(papers) if papers else None
        given: dict[int, DigestMatcher] | None = {destination.id: matcher} if matcher else {}
    else:
        given = {destination.id: matcher} if matcher is not None else None
    plans = await plan_many(session, [destination], {destination.id: window}, matchers=given)
    if destination.id not in plans:
        raise LookupError(f"the digest of destination {destination.id} could not be planned (see the log)")
    return plans[destination.id]


Parsed = dict[int, tuple[PlanSettings, list[Subscription], list[SubscriptionSpec]]]


async def plan_many(
    session: AsyncSession,
    destinations: Sequence[PlanSettings],
    windows: dict[int, tuple[datetime, datetime]],
    *,
    matchers: dict[int, DigestMatcher] | None = None,
) -> dict[int, DigestPlan]:
    """`plan_digest` for many channels at once, in a few set-based reads whatever their number: their
    subscriptions, the window's arrivals, what they already have and their profiles. Only reads.

    A channel whose plan fails (a bug on its data) is logged and left out; the others are planned."""
    plans: dict[int, DigestPlan] = {}
    parsed: Parsed = {}
    rows_of = await digest_inputs.channels_subscriptions(session, [d.id for d in destinations if d.id is not None])
    for destination in destinations:
        assert destination.id is not None
        plan = plans[destination.id] = DigestPlan(destination.id, *windows[destination.id],
                                                  weekly=destination.cadence == "weekly")
        rows = rows_of.get(destination.id, [])
        specs, plan.skipped_subscriptions = specs_for(destination.id, rows)
        plan.subscriptions = len(rows)
        if specs:
            parsed[destination.id] = (destination, rows, specs)
    if matchers is None:
        matchers = await matchers_for(session, {i: windows[i] for i in parsed})
    with results_kept_unscanned():  # hundreds of thousands of matches: see `results_kept_unscanned`
        matched = _match(plans, parsed, matchers)
    delivered = await ledger.delivered_revisions_many(
        session, {i: [m.paper_id for m in found] for i, found in matched.items()})
    learning = [i for i in matched if parsed[i][0].learning]
    profiles = await _profiles(session, learning, matchers)
    with results_kept_unscanned():
        _arrange(plans, parsed, matchers, matched, delivered, profiles)
    return plans


def _match(plans: dict[int, DigestPlan], parsed: Parsed,
           matchers: dict[int, DigestMatcher]) -> dict[int, list[PlannedItem]]:
    """Each channel's matched papers as planned items, best first (those one subscription alone brought are
    made once and shared by every channel with that subscription: `DigestMatcher.digest_as`)."""
    matched: dict[int, list[PlannedItem]] = {}
    for destination_id, (destination, _rows, specs) in parsed.items():
        matcher = matchers.get(destination_id)
        if matcher is None:
            continue
        options = DigestOptions(include_crosslists=destination.include_crosslists,
                                include_updates=destination.include_updates)
        try:
            found = matcher.digest_as(specs, options, PlannedItem.of, kept=PLANNED_KEPT)
        except Exception:
            log.exception("destination %s: its subscriptions could not be matched", destination_id)
            del plans[destination_id]
            continue
        if found:
            matched[destination_id] = found
    return matched


def _revision(paper: PaperRecord) -> int:
    """The version a replaced paper was revised to (0: a new paper)."""
    return max(paper.versions or (0,)) if paper.announce_type in UPDATE_TYPES else 0


def _arrange(plans: dict[int, DigestPlan], parsed: Parsed, matchers: dict[int, DigestMatcher],
             matched: dict[int, list[PlannedItem]], delivered: dict[int, dict[str, set[int]]],
             profiles: dict[int, StoredProfile]) -> None:
    """Each channel's papers minus what it has, in digest order (`select`)."""
    undelivered: dict[int, list[PlannedItem]] = {}
    for destination_id, found in matched.items():
        have = delivered.get(destination_id)
        if not have:  # the commonest case by far: a day's papers are new to the channel
            undelivered[destination_id] = found
            continue
        # What the channel had goes, but a revision of a paper it had comes again (if it wants updates).
        updates = parsed[destination_id][0].include_updates
        undelivered[destination_id] = [
            item for item in found
            if (revisions := have.get(item.paper_id)) is None
            or (updates and item.revision and item.revision not in revisions)]
    affinity = _affinities(undelivered, matchers, profiles)
    for destination_id, items in undelivered.items():
        destination, rows, _specs = parsed[destination_id]
        try:
            scores = affinity.get(destination_id)  # none: no profile, nothing to score, or its scoring failed
            select(plans[destination_id], items, rows, destination.max_items, matcher=matchers[destination_id],
                   profile=profiles.get(destination_id) if scores is not None else None, affinity=scores)
        except Exception:
            log.exception("destination %s: its digest could not be put in order", destination_id)
            del plans[destination_id]


def _affinities(undelivered: dict[int, list[PlannedItem]], matchers: dict[int, DigestMatcher],
                profiles: dict[int, StoredProfile]) -> dict[int, list[float]]:
    """Each profiled channel's papers scored against its profile, the channels sharing a matcher together
    (`affinities_many`). A channel whose scoring fails is planned without its profile, and logged."""
    by_matcher: dict[int, list[int]] = {}
    for destination_id, items in undelivered.items():
        if items and destination_id in profiles:
            by_matcher.setdefault(id(matchers[destination_id]), []).append(destination_id)
    found: dict[int, list[float]] = {}
    for destination_ids in by_matcher.values():
        matcher = matchers[destination_ids[0]]
        wanted = [(undelivered[i], as_profile(profiles[i])) for i in destination_ids]
        try:
            scores = affinities_many(matcher, wanted)
        except Exception:
            log.exception("the profiles of %d channels could not be applied", len(destination_ids))
            continue
        found.update(zip(destination_ids, scores, strict=True))
    return found


async def _profiles(session: AsyncSession, destination_ids: Sequence[int],
                    matchers: dict[int, DigestMatcher]) -> dict[int, StoredProfile]:
    """The channels' stored profiles; one learned here from its ratings when they came without one (an import)."""
    stored = await ratings.load_profiles(session, destination_ids)
    for destination_id, profile in list(stored.items()):
        if profile.stale:
            values = await ratings.channel_ratings(session, destination_id)
            known = await ratings.papers(session, list(net_ratings(values)))
            stored[destination_id] = profile_from(matchers[destination_id].space, destination_id, values, known)
    return stored


def select(plan: DigestPlan, items: list[PlannedItem], rows: Sequence[Subscription], max_items: int, *,
           matcher: DigestMatcher | None = None, profile: StoredProfile | None = None,
           affinity: Sequence[float] | None = None) -> None:
    """Put the plan's papers in digest order (each subscription represented within the cap, see
    `core.digest.select`, blended with the channel's learned profile when it has one) and count what each
    subscription matched. `affinity`: the items' cosines with the profile (`_affinities`, batch by batch)."""
    filings = [item.filing for item in items]
    arranged = arrange(items, max_items, filings=filings)
    if profile is not None and matcher is not None and affinity is not None and items:
        learned = as_profile(profile)
        weight = blend_weight(learned.ratings)
        unlearned = {index: place for place, index in enumerate(arranged.order)}
        liked = liked_ids(profile)
        scale = max((a for item, a in zip(items, affinity, strict=True) if item.paper_id not in liked and a > 0),
                    default=None)
        arranged_with = arrange(items, max_items, affinity=affinity, weight=weight, scale=scale, filings=filings)
        # The why-line says so where the profile moved a paper up: shown now, and further down without it.
        moved = [index for place, index in enumerate(arranged_with.shown) if unlearned[index] > place]
        close = close_counts(matcher, [items[i].paper for i in moved], profile)
        for index, count in zip(moved, close, strict=True):
            if count:
                items[index] = items[index].with_reasons((*items[index].reasons, close_reason(count)))
        arranged = arranged_with
    plan.items = [items[i] for i in arranged.order]
    plan.shown = len(arranged.shown)
    counts = matched_per_subscription(items)
    plan.matched_by = tuple(
        SubscriptionMatches(row.number, row.kind, row.label, counts[row.number])
        for row in sorted(rows, key=lambda r: r.number) if counts.get(row.number)
    )
