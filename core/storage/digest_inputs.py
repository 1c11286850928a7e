"""What the digest reads and what ingest writes, besides the ledger: channels' digest settings, subscriptions,
the papers that arrived, researchers' last works check, and the health of each source.

Every function takes the caller's session and never commits (the caller owns the transaction). Answers are
frozen snapshots or plain values, not live rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import Table, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.model.channels import Channel, Subscription
from core.model.papers import PaperRecord
from core.storage import repos
from core.storage.channels import SUBSCRIPTION_COLUMNS, channel_of, stored_subscription, subscription_of
from core.storage.models import (
    DestinationRow,
    PaperRow,
    ResearcherRow,
    SourceStatusRow,
    SubscriptionRow,
    utcnow,
)

_SUBSCRIPTIONS: Table = SubscriptionRow.__table__  # type: ignore[attr-defined]
CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits

# ---------------------------------------------------------------- channels


async def digest_channel(session: AsyncSession, destination_id: int) -> Channel | None:
    row = await session.get(DestinationRow, destination_id)
    return channel_of(row) if row is not None else None


async def digest_channels(session: AsyncSession, destination_ids: Sequence[int]) -> dict[int, Channel]:
    """Many channels' digest settings in one query per 500 (the clock planning a minute's channels)."""
    found: dict[int, Channel] = {}
    ids = list(destination_ids)
    for start in range(0, len(ids), CHUNK):
        rows = (await session.exec(select(DestinationRow).where(
            col(DestinationRow.id).in_(ids[start : start + CHUNK])))).all()
        found.update((row.id, channel_of(row)) for row in rows if row.id is not None)
    return found


async def active_channels(session: AsyncSession) -> list[Channel]:
    """Channels that get digests: not paused, and following at least one thing."""
    with_subs = select(SubscriptionRow.destination_id).group_by(col(SubscriptionRow.destination_id)).having(
        func.count() > 0)
    rows = await session.exec(
        select(DestinationRow).where(col(DestinationRow.paused).is_(False), col(DestinationRow.id).in_(with_subs))
    )
    return [channel_of(row) for row in rows.all()]


# ---------------------------------------------------------------- subscriptions


async def channel_subscriptions(session: AsyncSession, destination_id: int) -> list[Subscription]:
    """One channel's subscriptions, by number."""
    return [subscription_of(row) for row in await repos.list_subscriptions(session, destination_id)]


async def channels_subscriptions(session: AsyncSession, destination_ids: Sequence[int]) -> dict[int, list[Subscription]]:
    """Many channels' subscriptions, by channel and number, in one query per 500 channels.

    Plain columns rather than ORM rows: the clock reads ten subscriptions for each of thousands of channels,
    and building and tracking a mapped object for each would cost more than the query."""
    found: dict[int, list[Subscription]] = {}
    ids = list(destination_ids)
    columns = [_SUBSCRIPTIONS.c[name] for name in SUBSCRIPTION_COLUMNS]
    for start in range(0, len(ids), CHUNK):
        rows = (await session.execute(
            sa_select(*columns).where(_SUBSCRIPTIONS.c.destination_id.in_(ids[start : start + CHUNK]))
            .order_by(_SUBSCRIPTIONS.c.destination_id, _SUBSCRIPTIONS.c.number)
        )).all()
        for row in rows:
            found.setdefault(row[0], []).append(stored_subscription(*row))
    return found


async def channels_following(session: AsyncSession, destination_ids: Sequence[int], kinds: Sequence[str]) -> set[int]:
    """Which of these channels have a subscription of one of these kinds (one small query per 500 channels)."""
    found: set[int] = set()
    ids = list(destination_ids)
    for start in range(0, len(ids), CHUNK):
        result = await session.exec(
            select(SubscriptionRow.destination_id).where(
                col(SubscriptionRow.destination_id).in_(ids[start : start + CHUNK]),
                col(SubscriptionRow.kind).in_(list(kinds))).distinct())
        found.update(result.all())
    return found


async def all_subscriptions(session: AsyncSession) -> list[Subscription]:
    """Every channel's subscriptions: what ingest fetches for."""
    return [subscription_of(row) for row in (await session.exec(select(SubscriptionRow))).all()]


async def any_subscription(session: AsyncSession) -> bool:
    """Whether any channel follows anything (with none, there is no feed to read)."""
    return (await session.exec(select(SubscriptionRow.id).limit(1))).first() is not None


# ---------------------------------------------------------------- papers


def _as_announced(row: PaperRow) -> PaperRecord:
    """The stored paper as the matcher sees it: announced as its newest announcement listed it."""
    record = repos.row_to_record(row)
    return replace(record, announce_type=row.last_announce_type or record.announce_type,
                   announced=row.last_announced or record.announced)


async def arrival_stamps(session: AsyncSession, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    """(id, last update) of each paper that arrived in (start, end], by id: cheap to read, enough to tell
    whether two windows hold the same papers in the same state."""
    rows = (await session.exec(
        select(PaperRow.id, PaperRow.updated_at)
        .where(col(PaperRow.arrived_at) > start, col(PaperRow.arrived_at) <= end)
        .order_by(col(PaperRow.id))
    )).all()
    return [(paper_id, updated) for paper_id, updated in rows]


async def arrivals(session: AsyncSession, start: datetime, end: datetime) -> list[tuple[datetime, str, datetime]]:
    """(arrival, id, last update) of each paper that arrived in (start, end], by arrival (UTC): one read that
    tells, for any window inside (start, end], which papers it holds."""
    rows = (await session.exec(
        select(PaperRow.arrived_at, PaperRow.id, PaperRow.updated_at)
        .where(col(PaperRow.arrived_at) > start, col(PaperRow.arrived_at) <= end)
        .order_by(col(PaperRow.arrived_at), col(PaperRow.id))
    )).all()
    return [(_utc(arrived), paper_id, updated) for arrived, paper_id, updated in rows]


async def arrived_papers(session: AsyncSession, start: datetime, end: datetime) -> list[PaperRecord]:
    """The papers that arrived in (start, end], in arrival order, as last announced."""
    rows = (await session.exec(
        select(PaperRow).where(col(PaperRow.arrived_at) > start, col(PaperRow.arrived_at) <= end)
        .order_by(col(PaperRow.arrived_at), col(PaperRow.id))
    )).all()
    return [_as_announced(row) for row in rows]


async def stored_papers(session: AsyncSession, paper_ids: Sequence[str]) -> dict[str, PaperRecord]:
    """These papers as stored (first announced as they first were), by canonical id: as a run's lines read them."""
    found: dict[str, PaperRecord] = {}
    ids = list(paper_ids)
    for start in range(0, len(ids), CHUNK):
        rows = (await session.exec(select(PaperRow).where(col(PaperRow.id).in_(ids[start : start + CHUNK])))).all()
        found.update((row.id, repos.row_to_record(row)) for row in rows)
    return found


async def known_paper_ids(session: AsyncSession, paper_ids: Sequence[str]) -> set[str]:
    """Which of these canonical ids are stored."""
    known: set[str] = set()
    ids = list(paper_ids)
    for start in range(0, len(ids), CHUNK):
        result = await session.exec(select(PaperRow.id).where(col(PaperRow.id).in_(ids[start : start + CHUNK])))
        known.update(result.all())
    return known


def _utc(moment: datetime) -> datetime:
    """SQLite stores a datetime's wall time and drops its zone, and the stored times are UTC: a bound in any other
    zone would be compared as if its wall time were UTC (Auckland's midnight 13 hours late)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


async def papers_first_seen_since(session: AsyncSession, since: datetime) -> int:
    result = await session.exec(select(func.count()).select_from(PaperRow).where(
        col(PaperRow.first_seen_at) >= _utc(since)))
    return int(result.one())


async def papers_first_seen_between(session: AsyncSession, start: datetime, end: datetime) -> int:
    """How many papers were first stored in [start, end)."""
    result = await session.exec(select(func.count()).select_from(PaperRow).where(
        col(PaperRow.first_seen_at) >= _utc(start), col(PaperRow.first_seen_at) < _utc(end)))
    return int(result.one())


# ---------------------------------------------------------------- researchers' works


async def works_checked_at(session: AsyncSession, source: str, author_id: str) -> datetime | None:
    """When ingest last listed this author's works on `source` ("openalex", else Semantic Scholar)."""
    column = ResearcherRow.openalex_id if source == "openalex" else ResearcherRow.s2_id
    row = (await session.exec(select(ResearcherRow).where(col(column) == author_id))).first()
    return row.works_checked_at if row else None


async def mark_works_checked(session: AsyncSession, source: str, author_id: str) -> None:
    column = ResearcherRow.openalex_id if source == "openalex" else ResearcherRow.s2_id
    row = (await session.exec(select(ResearcherRow).where(col(column) == author_id))).first()
    if row is None:
        row = ResearcherRow(openalex_id=author_id) if source == "openalex" else ResearcherRow(s2_id=author_id)
    row.works_checked_at = utcnow()
    session.add(row)


# ---------------------------------------------------------------- source health


@dataclass(frozen=True)
class SourceStatus:
    """The last known health of a source or feed (`key`), and for feeds the last date read."""

    key: str
    ok: bool
    message: str | None
    feed_date: date | None
    last_ok_at: datetime | None
    last_error_at: datetime | None
    items: int


def _source_status(row: SourceStatusRow) -> SourceStatus:
    return SourceStatus(key=row.key, ok=row.ok, message=row.message, feed_date=row.feed_date,
                        last_ok_at=row.last_ok_at, last_error_at=row.last_error_at, items=row.items)


async def source_status(session: AsyncSession, key: str) -> SourceStatus | None:
    row = await session.get(SourceStatusRow, key)
    return _source_status(row) if row is not None else None


async def failing_sources(session: AsyncSession) -> list[SourceStatus]:
    rows = (await session.exec(select(SourceStatusRow).where(col(SourceStatusRow.ok).is_(False)))).all()
    return [_source_status(row) for row in rows]


async def record_source_status(session: AsyncSession, key: str, ok: bool, message: str | None, *,
                               feed_date: date | None = None, items: int = 0, now: datetime | None = None) -> None:
    """Write a source's latest outcome; a `feed_date` of None keeps the date already stored. `now` is the
    caller's clock (ingest's), which also decides whether today's feed is owed."""
    now = now or utcnow()
    # The row is made once with ON CONFLICT DO NOTHING: two processes recording the same source's first
    # outcome at once (two clocks, a lookup during an ingest) would otherwise collide on its key.
    await session.execute(repos._insert(session, SourceStatusRow).values(key=key, ok=ok, items=0)
                          .on_conflict_do_nothing(index_elements=["key"]))
    row = await session.get(SourceStatusRow, key, populate_existing=True)
    assert row is not None
    row.ok, row.message, row.items = ok, message, items
    if feed_date is not None:
        row.feed_date = feed_date
    if ok:
        row.last_ok_at = now
    else:
        row.last_error_at = now
    session.add(row)
