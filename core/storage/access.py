"""A workspace or server losing and regaining the bot's access: every channel of it at once, in one statement.

Which channels a regained access starts again is decided by `pause_cause`, never by the wording of the
reason: only channels paused because access was lost, not those a manager paused or whose own channel the
platform refused.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.model.enums import PauseCause
from core.storage.models import DestinationRow


async def pause_workspace_channels(session: AsyncSession, platform: str, workspace_id: str, reason: str) -> int:
    """Pause every running channel of a workspace or server; returns how many. Subscriptions are kept, and a
    channel already paused keeps its own reason and cause (a manager's pause stays a manager's)."""
    result = await session.execute(
        update(DestinationRow)
        .where(col(DestinationRow.platform) == platform, col(DestinationRow.workspace_id) == workspace_id,
               col(DestinationRow.paused).is_(False))
        .values(paused=True, paused_reason=reason[:500], pause_cause=PauseCause.ACCESS_LOST.value)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def resume_workspace_channels(session: AsyncSession, platform: str, workspace_id: str) -> int:
    """Resume the channels of a workspace or server that were paused because access was lost; returns how many."""
    result = await session.execute(
        update(DestinationRow)
        .where(col(DestinationRow.platform) == platform, col(DestinationRow.workspace_id) == workspace_id,
               col(DestinationRow.paused).is_(True),
               col(DestinationRow.pause_cause) == PauseCause.ACCESS_LOST.value)
        .values(paused=False, paused_reason=None, pause_cause=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
