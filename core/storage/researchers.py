"""Saved researcher profiles: what `researcher` and `follow` keep so that asking again costs no API call.

The lookup feature hands in and gets back plain values (an `AuthorProfile`, its JSON, a time); the
`researchers` table and its queries stay here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.model.researchers import AuthorProfile
from core.storage.models import ResearcherRow

# The kinds of id a profile can be found by, as `ResearcherQuery.kind` names them.
_ID_COLUMNS = {"openalex": ResearcherRow.openalex_id, "orcid": ResearcherRow.orcid, "s2": ResearcherRow.s2_id}


@dataclass(frozen=True)
class SavedProfile:
    """A profile as saved: its JSON (None when only the ids are known) and when it was fetched."""

    profile: dict[str, Any] | None
    fetched_at: datetime | None


async def find_saved_profile(session: AsyncSession, id_kind: str, value: str) -> SavedProfile | None:
    """The saved profile for an id (`openalex`, `orcid` or `s2`); None for another kind or nobody saved."""
    column = _ID_COLUMNS.get(id_kind)
    if column is None:
        return None
    rows = list((await session.exec(select(ResearcherRow).where(col(column) == value))).all())
    # An ORCID can sit on an OpenAlex row and a Semantic Scholar row; the OpenAlex one is richer.
    rows.sort(key=lambda r: (r.openalex_id is None, r.profile is None))
    return SavedProfile(profile=rows[0].profile, fetched_at=rows[0].fetched_at) if rows else None


async def save_profile(session: AsyncSession, profile: AuthorProfile, fetched_at: datetime) -> bool:
    """Save (or refresh) a profile under its OpenAlex id, else its Semantic Scholar id.

    True when there is something for the caller to commit; False when the profile has neither id, or when
    another request saved the same person a moment ago (theirs is as good as ours; the session is rolled back).
    """
    if profile.openalex_id:
        where = col(ResearcherRow.openalex_id) == profile.openalex_id
    elif profile.s2_id:
        where = col(ResearcherRow.s2_id) == profile.s2_id
    else:
        return False
    row = (await session.exec(select(ResearcherRow).where(where))).first()
    row = row or ResearcherRow(openalex_id=profile.openalex_id, s2_id=profile.s2_id)
    row.orcid = profile.orcid or row.orcid
    row.s2_id = profile.s2_id or row.s2_id
    row.display_name = profile.display_name[:300]
    row.names = list(profile.names)
    row.profile = profile.to_json()
    row.fetched_at = fetched_at
    session.add(row)
    try:
        # Flushed here so that losing the race shows up here, not in the caller's commit.
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return False
    return True
