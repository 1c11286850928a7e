"""Ratings (👍/👎 per channel, paper and person) and the channel profiles learned from them.

A rating is an upsert on (channel, paper, person): the last click counts. The profile row is rewritten by the
feature that learns it (`core.digest.learning`) after each change, so a digest only ever reads one row.
Transactions stay with the caller: nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.model.papers import PaperRecord
from core.storage.models import ChannelProfileRow, PaperRow, RatingRow, utcnow
from core.storage.repos import row_to_record


@dataclass(frozen=True)
class Rating:
    paper_id: str
    user_id: str
    value: int
    rated_at: datetime


@dataclass(frozen=True)
class StoredProfile:
    """A channel profile as stored (see `core.digest.profile.ChannelProfile`)."""

    destination_id: int
    indices: tuple[int, ...]
    weights: tuple[float, ...]
    liked: int
    disliked: int
    raters: int
    liked_vectors: tuple[Any, ...] = field(default_factory=tuple)
    stale: bool = False  # ratings came without a profile (an import): the digest learns it when it plans


STALE = -1  # `liked` of a profile row that only says "learn me again"


async def current_rating(session: AsyncSession, destination_id: int, paper_id: str, user_id: str) -> int:
    row = (await session.exec(select(RatingRow.value).where(
        RatingRow.destination_id == destination_id, RatingRow.paper_id == paper_id,
        RatingRow.user_id == user_id))).first()
    return int(row) if row is not None else 0


async def set_rating(session: AsyncSession, destination_id: int, paper_id: str, user_id: str, value: int,
                     *, now: datetime | None = None) -> None:
    """Record one person's rating (value 0 removes it). The paper must be stored."""
    found = (await session.exec(select(RatingRow).where(
        RatingRow.destination_id == destination_id, RatingRow.paper_id == paper_id,
        RatingRow.user_id == user_id))).first()
    if value == 0:
        if found is not None:
            await session.delete(found)
        return
    if found is None:
        found = RatingRow(destination_id=destination_id, paper_id=paper_id, user_id=user_id, value=value)
    found.value, found.rated_at = value, now or utcnow()
    session.add(found)


async def paper_tally(session: AsyncSession, destination_id: int, paper_id: str) -> tuple[int, int]:
    """(likes, dislikes) of one paper in one channel."""
    rows = (await session.exec(select(RatingRow.value).where(
        RatingRow.destination_id == destination_id, RatingRow.paper_id == paper_id))).all()
    return sum(1 for v in rows if v > 0), sum(1 for v in rows if v < 0)


async def channel_ratings(session: AsyncSession, destination_id: int) -> list[Rating]:
    rows = (await session.exec(select(RatingRow).where(RatingRow.destination_id == destination_id)
                               .order_by(col(RatingRow.rated_at), col(RatingRow.id)))).all()
    return [Rating(r.paper_id, r.user_id, r.value, r.rated_at) for r in rows]


async def papers(session: AsyncSession, paper_ids: Sequence[str]) -> dict[str, PaperRecord]:
    if not paper_ids:
        return {}
    rows = (await session.exec(select(PaperRow).where(col(PaperRow.id).in_(list(paper_ids))))).all()
    return {row.id: row_to_record(row) for row in rows}


async def clear_ratings(session: AsyncSession, destination_id: int) -> int:
    count = (await session.exec(select(func.count()).select_from(RatingRow)
                                .where(RatingRow.destination_id == destination_id))).one()
    await session.exec(delete(RatingRow).where(col(RatingRow.destination_id) == destination_id))
    await session.exec(delete(ChannelProfileRow).where(
        col(ChannelProfileRow.destination_id) == destination_id))
    return int(count)


async def save_profile(session: AsyncSession, profile: StoredProfile) -> None:
    row = await session.get(ChannelProfileRow, profile.destination_id)
    if row is None:
        row = ChannelProfileRow(destination_id=profile.destination_id)
    row.indices, row.weights = list(profile.indices), list(profile.weights)
    row.liked, row.disliked, row.raters = profile.liked, profile.disliked, profile.raters
    row.liked_vectors, row.updated_at = list(profile.liked_vectors), utcnow()
    session.add(row)


def _stored(row: ChannelProfileRow) -> StoredProfile:
    return StoredProfile(row.destination_id, tuple(row.indices or ()), tuple(row.weights or ()), row.liked,
                         row.disliked, row.raters, tuple(row.liked_vectors or ()))


async def load_profiles(session: AsyncSession, destination_ids: Sequence[int]) -> dict[int, StoredProfile]:
    """The profiles of many channels in one query per 500 (the clock planning a minute's channels together): a
    channel that never rated anything has no row; one whose ratings came by import without a profile is stale."""
    found: dict[int, StoredProfile] = {}
    ids = list(destination_ids)
    for start in range(0, len(ids), 500):
        rows = (await session.exec(select(ChannelProfileRow).where(
            col(ChannelProfileRow.destination_id).in_(ids[start:start + 500])))).all()
        for row in rows:
            if row.liked == STALE:
                found[row.destination_id] = StoredProfile(row.destination_id, (), (), 0, 0, 0, stale=True)
            elif row.indices:
                found[row.destination_id] = _stored(row)
    return found


async def export_ratings(session: AsyncSession, destination_id: int) -> list[dict[str, Any]]:
    """The channel's ratings as `export` writes them."""
    return [{"paper": r.paper_id, "user": r.user_id, "value": r.value, "at": r.rated_at.isoformat()}
            for r in await channel_ratings(session, destination_id)]


async def import_ratings(session: AsyncSession, destination_id: int, entries: Sequence[tuple[str, str, int]],
                         ) -> tuple[int, int]:
    """Add (paper id, user, value) ratings where the paper is stored here; (added, skipped as unknown papers).
    The stored profile is marked stale: the digest learns it again from the ratings (`core.digest.plan`)."""
    known = set((await session.exec(select(PaperRow.id).where(
        col(PaperRow.id).in_([paper for paper, _, _ in entries])))).all()) if entries else set()
    added = skipped = 0
    for paper, user, value in entries:
        if paper not in known:
            skipped += 1
            continue
        await set_rating(session, destination_id, paper, user, value)
        added += 1
    if added:
        await save_profile(session, StoredProfile(destination_id, (), (), STALE, 0, 0))
    return added, skipped
