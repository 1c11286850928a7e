"""Researcher claims (`iam`) and what they feed: the card's "on this workspace", `follow lab`, and how many
channels of a workspace follow someone.

Transactions stay with the caller: nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.model.channels import Channel
from core.model.researchers import ResearcherClaim
from core.storage.channels import channel_of
from core.storage.models import DestinationRow, ResearcherClaimRow, SubscriptionRow, utcnow


def _claim_of(row: ResearcherClaimRow) -> ResearcherClaim:
    return ResearcherClaim(user_id=row.user_id, display_name=row.display_name, openalex_id=row.openalex_id,
                           orcid=row.orcid, s2_id=row.s2_id, name_variants=tuple(row.name_variants or ()),
                           institution=row.institution)


async def _row(session: AsyncSession, platform: str, workspace_id: str, user_id: str) -> ResearcherClaimRow | None:
    statement = select(ResearcherClaimRow).where(
        ResearcherClaimRow.platform == platform, ResearcherClaimRow.workspace_id == workspace_id,
        ResearcherClaimRow.user_id == user_id)
    return (await session.exec(statement)).first()


async def claim_of(session: AsyncSession, platform: str, workspace_id: str, user_id: str) -> ResearcherClaim | None:
    row = await _row(session, platform, workspace_id, user_id)
    return _claim_of(row) if row is not None else None


async def save_claim(session: AsyncSession, platform: str, workspace_id: str, claim: ResearcherClaim) -> None:
    """This user's claim, replacing any earlier one of theirs here (one researcher per chat user)."""
    row = await _row(session, platform, workspace_id, claim.user_id)
    row = row or ResearcherClaimRow(platform=platform, workspace_id=workspace_id, user_id=claim.user_id)
    row.openalex_id, row.orcid, row.s2_id = claim.openalex_id, claim.orcid, claim.s2_id
    row.display_name = claim.display_name[:300]
    row.name_variants = list(claim.name_variants)
    row.institution = (claim.institution or "")[:300] or None
    row.created_at = utcnow()
    session.add(row)
    await session.flush()


async def remove_claim(session: AsyncSession, platform: str, workspace_id: str, user_id: str) -> ResearcherClaim | None:
    row = await _row(session, platform, workspace_id, user_id)
    if row is None:
        return None
    await session.delete(row)
    await session.flush()
    return _claim_of(row)


async def workspace_claims(session: AsyncSession, platform: str, workspace_id: str) -> list[ResearcherClaim]:
    """Every claim in a workspace or server, oldest first."""
    statement = select(ResearcherClaimRow).where(
        ResearcherClaimRow.platform == platform, ResearcherClaimRow.workspace_id == workspace_id,
    ).order_by(col(ResearcherClaimRow.created_at), col(ResearcherClaimRow.id))
    return [_claim_of(row) for row in (await session.exec(statement)).all()]


async def lab_channels(session: AsyncSession, platform: str, workspace_id: str) -> list[Channel]:
    """The channels of a workspace that follow its lab (`follow lab`)."""
    statement = select(DestinationRow).where(
        DestinationRow.platform == platform, DestinationRow.workspace_id == workspace_id,
        col(DestinationRow.follow_lab).is_(True)).order_by(col(DestinationRow.id))
    return [channel_of(row) for row in (await session.exec(statement)).all()]


def _same_person(openalex_ids: Iterable[str], orcid: str | None, s2_id: str | None) -> list[ColumnElement[bool]]:
    """Conditions on a researcher subscription meaning this person (any one shared id)."""
    ids = list(openalex_ids)
    same: list[ColumnElement[bool]] = [col(SubscriptionRow.openalex_id).in_(ids)] if ids else []
    same += [col(SubscriptionRow.orcid) == orcid] if orcid else []
    same += [col(SubscriptionRow.s2_id) == s2_id] if s2_id else []
    return same


async def remove_added_by(session: AsyncSession, channel_id: int, created_by: str,
                          openalex_ids: Iterable[str] = (), orcid: str | None = None, s2_id: str | None = None,
                          *, everyone: bool = False) -> int:
    """Remove the researcher subscriptions `created_by` added to a channel: all of them (`everyone`), or the one
    of this person. How many were removed."""
    conditions: list[Any] = [col(SubscriptionRow.destination_id) == channel_id,
                             col(SubscriptionRow.kind) == "researcher", col(SubscriptionRow.created_by) == created_by]
    if not everyone:
        same = _same_person(openalex_ids, orcid, s2_id)
        if not same:
            return 0
        conditions.append(or_(*same))
    result = await session.execute(delete(SubscriptionRow).where(*conditions))
    return int(getattr(result, "rowcount", 0) or 0)


async def followers_in_workspace(session: AsyncSession, platform: str, workspace_id: str,
                                 openalex_ids: Iterable[str], orcid: str | None, s2_id: str | None) -> int:
    """How many channels of a workspace or server follow the person with these ids."""
    same = _same_person(openalex_ids, orcid, s2_id)
    if not same:
        return 0
    statement = (
        select(func.count(func.distinct(SubscriptionRow.destination_id)))
        .join(DestinationRow, col(DestinationRow.id) == col(SubscriptionRow.destination_id))
        .where(DestinationRow.platform == platform, DestinationRow.workspace_id == workspace_id,
               SubscriptionRow.kind == "researcher", or_(*same))
    )
    return int((await session.exec(statement)).one())
