"""Queries the rest of core needs, kept in one place so that SQLite and PostgreSQL behave alike."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.model.context import Destination
from core.model.papers import AuthorRef, PaperRecord, merge_records
from core.storage.models import (
    DestinationRow,
    LookupCacheRow,
    PaperRow,
    SubscriptionRow,
    utcnow,
)


def _insert(session: AsyncSession, table: Any) -> Any:
    """A dialect-specific INSERT that understands ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# ---------------------------------------------------------------- destinations


async def get_destination(session: AsyncSession, address: Destination) -> DestinationRow | None:
    result = await session.exec(
        select(DestinationRow).where(
            DestinationRow.platform == address.platform,
            DestinationRow.workspace_id == address.workspace_id,
            DestinationRow.channel_id == address.channel_id,
        )
    )
    return result.first()


async def ensure_destination(session: AsyncSession, address: Destination, *,
                             timezone: str | None = None) -> DestinationRow:
    """The channel's row, created on first contact (two racing requests both end up with one row, and the
    `timezone` of the one that made it, else the default)."""
    existing = await get_destination(session, address)
    if existing is not None:
        return existing
    zone = {"timezone": timezone} if timezone else {}
    statement = (
        _insert(session, DestinationRow)
        .values(
            platform=address.platform,
            workspace_id=address.workspace_id,
            channel_id=address.channel_id,
            created_at=utcnow(),
            **zone,
        )
        .on_conflict_do_nothing(index_elements=["platform", "workspace_id", "channel_id"])
    )
    await session.execute(statement)
    await session.flush()
    created = await get_destination(session, address)
    assert created is not None
    return created


# ---------------------------------------------------------------- subscriptions


async def list_subscriptions(session: AsyncSession, destination_id: int) -> list[SubscriptionRow]:
    result = await session.exec(
        select(SubscriptionRow)
        .where(SubscriptionRow.destination_id == destination_id)
        .order_by(col(SubscriptionRow.number))
    )
    return list(result.all())


async def count_subscriptions(session: AsyncSession, destination_id: int) -> int:
    result = await session.exec(
        select(func.count()).where(SubscriptionRow.destination_id == destination_id)
    )
    return int(result.one())


async def add_subscription(
    session: AsyncSession, destination: DestinationRow, **fields: Any
) -> SubscriptionRow:
    """Add a subscription with the channel's next short number (numbers are never reused)."""
    assert destination.id is not None
    # One atomic UPDATE ... RETURNING, not read-then-write: two `subscribe` commands in one channel at the
    # same moment would otherwise both take the same number (PostgreSQL holds the row lock until commit, so
    # the second waits and takes the next number; SQLite's single writer serialises them the same way).
    taken = await session.execute(
        update(DestinationRow)
        .where(col(DestinationRow.id) == destination.id)
        .values(next_subscription_number=col(DestinationRow.next_subscription_number) + 1)
        .returning(col(DestinationRow.next_subscription_number))
    )
    following = int(taken.scalar_one())
    number = following - 1
    set_committed_value(destination, "next_subscription_number", following)  # the row already says so
    record = SubscriptionRow(destination_id=destination.id, number=number, created_at=utcnow(), **fields)
    session.add(record)
    await session.flush()
    return record


async def delete_subscription(session: AsyncSession, destination_id: int, number: int) -> SubscriptionRow | None:
    """Remove one of *this* channel's subscriptions; another channel's number is simply not found."""
    result = await session.exec(
        select(SubscriptionRow).where(
            SubscriptionRow.destination_id == destination_id, SubscriptionRow.number == number
        )
    )
    record = result.first()
    if record is not None:
        await session.delete(record)
        await session.flush()
    return record


# ---------------------------------------------------------------- papers


def row_to_record(row: PaperRow) -> PaperRecord:
    return PaperRecord(
        title=row.title,
        arxiv_id=row.arxiv_id,
        doi=row.doi,
        versions=tuple(row.versions or ()),
        abstract=row.abstract,
        authors=tuple(AuthorRef.from_json(a) for a in row.authors or ()),
        categories=tuple(row.categories or ()),
        primary_category=row.primary_category,
        announce_type=row.announce_type,
        announced=row.announced,
        published=row.published,
        journal_ref=row.journal_ref,
        venue=row.venue,
        citation_count=row.citation_count,
        openalex_id=row.openalex_id,
        s2_id=row.s2_id,
        sources=tuple(row.sources or ()),
        links=dict(row.links or {}),
        comment=row.comment,
        ai_summary=row.ai_summary,
        tldr=row.tldr,
        code_stars=row.code_stars,
    )


def _apply(row: PaperRow, record: PaperRecord) -> PaperRow:
    row.arxiv_id = record.arxiv_id
    row.doi = record.doi
    row.versions = list(record.versions)
    row.latest_version = record.latest_version
    row.title = record.title
    row.abstract = record.abstract
    row.authors = [a.to_json() for a in record.authors]
    row.categories = list(record.categories)
    row.primary_category = record.primary_category
    row.announce_type = record.announce_type
    row.announced = record.announced
    row.published = record.published
    row.journal_ref = record.journal_ref
    row.venue = record.venue
    row.citation_count = record.citation_count
    row.openalex_id = record.openalex_id
    row.s2_id = record.s2_id
    row.sources = list(record.sources)
    row.links = dict(record.links)
    row.comment = record.comment
    row.ai_summary = record.ai_summary
    row.tldr = record.tldr
    row.code_stars = record.code_stars
    row.updated_at = utcnow()
    return row


async def upsert_papers(
    session: AsyncSession, records: Iterable[PaperRecord], *, now: datetime | None = None
) -> dict[str, PaperRow]:
    """Store records, merging with what is known: one row per canonical id, every version and source kept.

    Safe against another process storing the same papers at the same moment (two clocks' ingests, a lookup
    during an ingest): new rows go in with INSERT ... ON CONFLICT DO NOTHING, and a paper someone else
    inserted meanwhile is merged into like any known one, instead of failing the whole batch on its key.
    """
    incoming: dict[str, PaperRecord] = {}
    for record in records:
        key = record.canonical_id
        incoming[key] = merge_records(incoming[key], record) if key in incoming else record
    if not incoming:
        return {}
    now = now or utcnow()
    # Rows are locked and inserted in id order, so two writers never wait on each other in a circle.
    existing = await _papers_for_update(session, sorted(incoming))
    fresh_keys = [key for key in sorted(incoming) if key not in existing]
    inserted = await _insert_new_papers(session, {key: incoming[key] for key in fresh_keys}, now)
    raced = [key for key in fresh_keys if key not in inserted]
    if raced:
        existing.update(await _papers_for_update(session, raced))
    # A paper first known by DOI alone is folded into its arXiv row when the DOI turns up on one.
    for key, fresh in incoming.items():
        row = existing.get(key)
        if row is None:
            continue  # inserted just now, complete
        known_versions = set(row.versions or ())
        record = merge_records(row_to_record(row), fresh)
        if set(record.versions) - known_versions:
            row.arrived_at = now  # a new version arrives again (for channels that want updates)
        _announce(row, fresh)
        _apply(row, record)
        session.add(row)
    await session.flush()
    if inserted:
        existing.update(await _papers_for_update(session, sorted(inserted), lock=False))
    return {key: existing[key] for key in incoming if key in existing}


def _announce(row: PaperRow, fresh: PaperRecord) -> None:
    if fresh.announced and (row.last_announced is None or fresh.announced >= row.last_announced):
        row.last_announced, row.last_announce_type = fresh.announced, fresh.announce_type


async def _papers_for_update(session: AsyncSession, keys: list[str], *, lock: bool = True) -> dict[str, PaperRow]:
    """The stored rows of these ids. On PostgreSQL they are locked until commit, so that two writers merging
    into one paper take turns instead of the second overwriting the first's sources (SQLite has one writer)."""
    found: dict[str, PaperRow] = {}
    for start in range(0, len(keys), 500):
        statement = select(PaperRow).where(col(PaperRow.id).in_(keys[start : start + 500]))
        if lock and session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update()
        result = await session.exec(statement.execution_options(populate_existing=True))
        found.update({row.id: row for row in result.all()})
    return found


async def _insert_new_papers(session: AsyncSession, records: dict[str, PaperRecord], now: datetime) -> set[str]:
    """Insert papers not stored yet, skipping any another writer has stored since we looked; the ids inserted."""
    if not records:
        return set()
    values = []
    for key, fresh in records.items():
        row = PaperRow(id=key, title=fresh.title, first_seen_at=now, arrived_at=now)
        _announce(row, fresh)
        _apply(row, fresh)
        values.append({column.name: getattr(row, column.name) for column in PaperRow.__table__.columns})  # type: ignore[attr-defined]
    inserted: set[str] = set()
    for start in range(0, len(values), 100):  # ~25 columns each: well under either database's parameter limit
        statement = (_insert(session, PaperRow).values(values[start : start + 100])
                     .on_conflict_do_nothing(index_elements=["id"]).returning(col(PaperRow.id)))
        inserted.update((await session.execute(statement)).scalars().all())
    return inserted


async def get_paper(session: AsyncSession, canonical_id: str) -> PaperRow | None:
    return await session.get(PaperRow, canonical_id)


# ---------------------------------------------------------------- lookup cache


async def cache_get(session: AsyncSession, key: str, *, now: datetime | None = None) -> Any | None:
    row = await session.get(LookupCacheRow, key)
    if row is None:
        return None
    current = now or utcnow()
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=current.tzinfo)
    return row.value if expires > current else None


async def cache_put(session: AsyncSession, key: str, value: Any, ttl: timedelta, *, now: datetime | None = None) -> None:
    current = now or utcnow()
    statement = _insert(session, LookupCacheRow).values(
        key=key, value=value, fetched_at=current, expires_at=current + ttl
    )
    statement = statement.on_conflict_do_update(
        index_elements=["key"], set_={"value": value, "fetched_at": current, "expires_at": current + ttl}
    )
    await session.execute(statement)


async def cache_purge(session: AsyncSession, *, now: datetime | None = None) -> int:
    result = await session.execute(delete(LookupCacheRow).where(col(LookupCacheRow.expires_at) <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)
