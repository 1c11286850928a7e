"""Named leases: work that one process at a time may do (the daily ingest), shared through the database.

A lease works the same on SQLite and PostgreSQL and survives its holder's death without cleanup: the holder
renews it while it works, and once `until` has passed anyone may take it. Taking is one conditional UPDATE,
so of two processes reaching for a free lease exactly one gets it. Every function takes the caller's session
and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.storage.models import LeaseRow, utcnow
from core.storage.repos import _insert


@dataclass(frozen=True)
class Lease:
    name: str
    owner: str | None
    until: datetime | None


async def take(session: AsyncSession, name: str, owner: str, ttl: timedelta) -> bool:
    """Take (or renew) `name` until now + `ttl`; False while another owner holds it."""
    # The row is made once, free; from then on only the conditional UPDATE decides who holds it.
    await session.execute(_insert(session, LeaseRow).values(name=name, owner=None, until=None)
                          .on_conflict_do_nothing(index_elements=["name"]))
    now = utcnow()
    result = await session.execute(
        update(LeaseRow)
        .where(col(LeaseRow.name) == name,
               or_(col(LeaseRow.until).is_(None), col(LeaseRow.until) < now, col(LeaseRow.owner) == owner))
        .values(owner=owner, until=now + ttl)
    )
    return bool(getattr(result, "rowcount", 0))


async def release(session: AsyncSession, name: str, owner: str) -> None:
    """Give `name` back at once, if `owner` still holds it (a lease taken over after it ran out is not ours)."""
    await session.execute(update(LeaseRow).where(col(LeaseRow.name) == name, col(LeaseRow.owner) == owner)
                          .values(owner=None, until=None))


async def holder(session: AsyncSession, name: str) -> Lease | None:
    """Who holds `name` now; None when it is free (never taken, released, or run out)."""
    row = await session.get(LeaseRow, name)
    if row is None or row.owner is None or row.until is None:
        return None
    until = row.until if row.until.tzinfo else row.until.replace(tzinfo=utcnow().tzinfo)
    return Lease(row.name, row.owner, until) if until >= utcnow() else None
