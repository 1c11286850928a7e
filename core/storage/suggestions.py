"""The reads behind suggestions while a person types: a channel's own subscriptions, researchers seen before.

Both are asked on nearly every keystroke, so each is one small indexed query with a row limit.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.model.context import Destination
from core.storage.models import DestinationRow, ResearcherRow, SubscriptionRow


async def channel_subscriptions(session: AsyncSession, where: Destination, *, kind: str | None = None
                                ) -> list[SubscriptionRow]:
    """The subscriptions of exactly this channel (none for a channel never seen), by number."""
    statement = (
        select(SubscriptionRow)
        .join(DestinationRow, col(DestinationRow.id) == col(SubscriptionRow.destination_id))
        .where(
            DestinationRow.platform == where.platform,
            DestinationRow.workspace_id == where.workspace_id,
            DestinationRow.channel_id == where.channel_id,
        )
        .order_by(col(SubscriptionRow.number))
    )
    if kind is not None:
        statement = statement.where(SubscriptionRow.kind == kind)
    return list((await session.exec(statement)).all())


async def known_researchers(session: AsyncSession, text: str, *, limit: int) -> list[tuple[str, str]]:
    """(name, OpenAlex id) of researchers this deployment has looked up before whose name contains `text`."""
    rows = (await session.exec(
        select(ResearcherRow)
        .where(col(ResearcherRow.display_name).ilike(f"%{text}%"))
        .where(col(ResearcherRow.openalex_id).is_not(None))
        .limit(limit)
    )).all()
    return [(row.display_name, row.openalex_id) for row in rows if row.openalex_id]
