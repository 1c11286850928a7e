"""A channel's settings and subscriptions, read and changed by name.

The features (`core/subscriptions`, `core/researchers`) and the digest never hold a table row: they read the
kernel's `Channel` and `Subscription` values (core/model/channels.py) and ask for each change by name here, so that queries, the ORM's identity map and the
tables stay inside storage. Transactions stay with the caller: nothing here commits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.model.channels import SETTING_FIELDS, Channel, ChannelSettings, Subscription
from core.model.context import Destination
from core.model.enums import RunKind
from core.model.institutions import InstitutionRoster
from core.model.researchers import ResearcherEvidence
from core.storage import repos
from core.storage.models import DeliveryRow, DestinationRow, DigestRunRow, SubscriptionRow

# A channel's own digests (a `digest more` run only hands out the rest of one: its papers were counted there).
DIGEST_RUN_KINDS = (RunKind.SCHEDULED, RunKind.NOW, RunKind.CATCHUP)


def settings_of(row: DestinationRow) -> ChannelSettings:
    return ChannelSettings(**{name: getattr(row, name) for name in SETTING_FIELDS})


def channel_of(row: DestinationRow) -> Channel:
    assert row.id is not None
    return Channel(id=row.id, platform=row.platform, workspace_id=row.workspace_id, channel_id=row.channel_id,
                   created_at=row.created_at, last_digest_at=row.last_digest_at,
                   **{name: getattr(row, name) for name in SETTING_FIELDS})


# A stored subscription's columns, in the order `stored_subscription` takes them (the clock selects exactly these).
SUBSCRIPTION_COLUMNS = ("destination_id", "number", "kind", "query", "openalex_id", "orcid", "s2_id",
                        "display_name", "name_variants", "created_by", "examples", "evidence", "roster")
_new = object.__new__


def subscription_of(row: SubscriptionRow | Row[Any]) -> Subscription:
    """A stored subscription, from its mapped row or from a plain row of its columns (`digest_inputs`)."""
    return stored_subscription(*(getattr(row, name) for name in SUBSCRIPTION_COLUMNS))


def stored_subscription(destination_id: int, number: int, kind: str, query: str | None, openalex_id: str | None,
                        orcid: str | None, s2_id: str | None, display_name: str | None, name_variants: Any,
                        created_by: str, examples: Any, evidence: Any, roster: Any) -> Subscription:
    """A subscription from its stored columns (`SUBSCRIPTION_COLUMNS`, in that order). A frozen dataclass's
    `__init__` sets each of its thirteen fields through `object.__setattr__`, half the cost of reading a
    subscription for the clock's 100,000; here they are filled in at once (every field is given)."""
    made = _new(Subscription)
    made.__dict__.update(
        number=number, kind=kind, query=query, openalex_id=openalex_id, orcid=orcid, s2_id=s2_id,
        display_name=display_name, name_variants=tuple(name_variants) if name_variants else (),
        created_by=created_by, destination_id=destination_id, examples=examples,
        evidence=ResearcherEvidence.from_json(evidence) if evidence is not None else None,
        roster=InstitutionRoster.from_json(roster) if roster is not None else None)
    return made


def default_settings() -> ChannelSettings:
    """What a channel gets before anyone changes anything: the table's own defaults, stated once there."""
    return settings_of(DestinationRow(platform="", workspace_id="", channel_id=""))


# ---------------------------------------------------------------- channels


async def find_channel(session: AsyncSession, where: Destination) -> Channel | None:
    row = await repos.get_destination(session, where)
    return channel_of(row) if row is not None and row.id is not None else None


async def ensure_channel(session: AsyncSession, where: Destination, *, timezone: str | None = None) -> Channel:
    """The channel, stored on first contact, in `timezone` when given (see `repos.ensure_destination` for the
    race); an existing channel keeps its own zone."""
    return channel_of(await repos.ensure_destination(session, where, timezone=timezone))


async def channel_settings(session: AsyncSession, where: Destination) -> ChannelSettings:
    """The stored settings, or the defaults for a channel that has never changed or subscribed to anything."""
    row = await repos.get_destination(session, where)
    return settings_of(row) if row is not None else default_settings()


async def save_settings(session: AsyncSession, channel: Channel, settings: ChannelSettings) -> Channel:
    """Write the settings that differ from those `channel` was read with; the channel as it now is.

    Only those columns are written, so two people changing two different settings at once both keep theirs.
    """
    changes = {name: getattr(settings, name) for name in SETTING_FIELDS
               if getattr(settings, name) != getattr(channel.settings, name)}
    if changes:
        await session.execute(update(DestinationRow).where(col(DestinationRow.id) == channel.id).values(**changes))
    return replace(channel, **{name: getattr(settings, name) for name in SETTING_FIELDS})


# ---------------------------------------------------------------- subscriptions


async def list_subscriptions(session: AsyncSession, channel_id: int) -> list[Subscription]:
    """The channel's subscriptions by number."""
    return [subscription_of(row) for row in await repos.list_subscriptions(session, channel_id)]


async def count_subscriptions(session: AsyncSession, channel_id: int) -> int:
    return await repos.count_subscriptions(session, channel_id)


async def add_subscription(session: AsyncSession, channel_id: int, **values: Any) -> Subscription:
    """Add a subscription under the channel's next short number (see `repos.add_subscription`)."""
    destination = await session.get(DestinationRow, channel_id)
    if destination is None:
        raise LookupError(f"no channel with id {channel_id}")
    return subscription_of(await repos.add_subscription(session, destination, **values))


async def fill_researcher_evidence(session: AsyncSession, evidence: dict[str, Any], *, openalex_id: str | None = None,
                                   s2_id: str | None = None) -> int:
    """Store `evidence` on every subscription to this person (by OpenAlex id, else Semantic Scholar id) that
    has none yet; how many rows changed. Evidence a channel already has is left as it was captured."""
    if openalex_id:
        person = col(SubscriptionRow.openalex_id) == openalex_id
    elif s2_id:
        person = (col(SubscriptionRow.s2_id) == s2_id) & col(SubscriptionRow.openalex_id).is_(None)
    else:
        return 0
    result = await session.execute(
        update(SubscriptionRow)
        .where(col(SubscriptionRow.kind) == "researcher", person, col(SubscriptionRow.evidence).is_(None))
        .values(evidence=evidence)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def change_subscription(session: AsyncSession, channel_id: int, number: int, **values: Any) -> None:
    """Change the stored fields of one of this channel's subscriptions, keeping its number."""
    await session.execute(update(SubscriptionRow).where(
        col(SubscriptionRow.destination_id) == channel_id, col(SubscriptionRow.number) == number).values(**values))


async def set_institution_roster(session: AsyncSession, openalex_id: str, roster: dict[str, Any]) -> int:
    """Store a followed institution's roster on every subscription to it; how many rows changed."""
    result = await session.execute(
        update(SubscriptionRow)
        .where(col(SubscriptionRow.kind) == "institution", col(SubscriptionRow.openalex_id) == openalex_id)
        .values(roster=roster)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def remove_subscription(session: AsyncSession, channel_id: int, number: int) -> Subscription | None:
    """Remove one of this channel's subscriptions; what was removed, or None when it has no such number."""
    removed = await repos.delete_subscription(session, channel_id, number)
    return subscription_of(removed) if removed is not None else None


# ---------------------------------------------------------------- what was delivered


async def delivery_reasons_since(session: AsyncSession, channel_id: int, since: datetime) -> list[list[Any]]:
    """The `reasons` of every paper sent to the channel since `since` (each a list, as the ledger keeps it)."""
    result = await session.exec(
        select(DeliveryRow.reasons).where(
            DeliveryRow.destination_id == channel_id, col(DeliveryRow.sent_at) >= since
        )
    )
    return [list(reasons or ()) for reasons in result.all()]


async def matched_since(session: AsyncSession, channel_id: int, since: datetime) -> dict[int, int]:
    """Papers each subscription (by number) matched in the channel's digests started since `since`."""
    result = await session.exec(
        select(DigestRunRow.matched).where(
            DigestRunRow.destination_id == channel_id, col(DigestRunRow.started_at) >= since,
            col(DigestRunRow.kind).in_(DIGEST_RUN_KINDS),
        )
    )
    counts: dict[int, int] = {}
    for matched in result.all():
        for entry in matched or ():
            number, count = entry.get("number"), entry.get("matched")
            if isinstance(number, int) and isinstance(count, int):
                counts[number] = counts.get(number, 0) + count
    return counts
