"""A channel as the subscription features see it: its settings and subscriptions, as frozen values.

The features (`core/subscriptions`, `core/researchers`) never hold a table row: they read `Channel` and
`Subscription` snapshots and ask for each change by name here, so that queries, the ORM's identity map and the
tables stay inside storage. Transactions stay with the caller: nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.model.context import Destination
from core.storage import repos
from core.storage.models import DeliveryRow, DestinationRow, SubscriptionRow


@dataclass(frozen=True)
class ChannelSettings:
    """A channel's schedule and preferences: what `settings` shows and `set` changes."""

    timezone: str
    digest_time: str  # HH:MM, local to `timezone`
    weekdays: str  # cron day_of_week expression
    max_items: int
    paused: bool
    paused_reason: str | None
    pause_cause: str | None  # PauseCause: who may lift the pause (a person, or the workspace regaining access)
    include_updates: bool
    include_crosslists: bool
    quiet_notice: bool


_SETTING_NAMES = tuple(f.name for f in fields(ChannelSettings))


@dataclass(frozen=True)
class Channel:
    """A stored channel: the id its subscriptions hang on, and its settings as they were read."""

    id: int
    settings: ChannelSettings


@dataclass(frozen=True)
class Subscription:
    """One thing a channel follows, with the short number the channel knows it by."""

    number: int
    kind: str  # topic | category | researcher
    query: str | None = None
    openalex_id: str | None = None
    orcid: str | None = None
    s2_id: str | None = None
    display_name: str | None = None
    name_variants: tuple[str, ...] = ()
    created_by: str = ""


def _settings_of(row: DestinationRow) -> ChannelSettings:
    return ChannelSettings(**{name: getattr(row, name) for name in _SETTING_NAMES})


def _channel_of(row: DestinationRow) -> Channel:
    assert row.id is not None
    return Channel(id=row.id, settings=_settings_of(row))


def _subscription_of(row: SubscriptionRow) -> Subscription:
    return Subscription(
        number=row.number, kind=row.kind, query=row.query, openalex_id=row.openalex_id, orcid=row.orcid,
        s2_id=row.s2_id, display_name=row.display_name, name_variants=tuple(row.name_variants or ()),
        created_by=row.created_by,
    )


def default_settings() -> ChannelSettings:
    """What a channel gets before anyone changes anything: the table's own defaults, stated once there."""
    return _settings_of(DestinationRow(platform="", workspace_id="", channel_id=""))


# ---------------------------------------------------------------- channels


async def find_channel(session: AsyncSession, where: Destination) -> Channel | None:
    row = await repos.get_destination(session, where)
    return _channel_of(row) if row is not None and row.id is not None else None


async def ensure_channel(session: AsyncSession, where: Destination) -> Channel:
    """The channel, stored on first contact (see `repos.ensure_destination` for the race)."""
    return _channel_of(await repos.ensure_destination(session, where))


async def channel_settings(session: AsyncSession, where: Destination) -> ChannelSettings:
    """The stored settings, or the defaults for a channel that has never changed or subscribed to anything."""
    row = await repos.get_destination(session, where)
    return _settings_of(row) if row is not None else default_settings()


async def save_settings(session: AsyncSession, channel: Channel, settings: ChannelSettings) -> Channel:
    """Write the settings that differ from those `channel` was read with; the channel as it now is.

    Only those columns are written, so two people changing two different settings at once both keep theirs.
    """
    changes = {name: getattr(settings, name) for name in _SETTING_NAMES
               if getattr(settings, name) != getattr(channel.settings, name)}
    if changes:
        await session.execute(update(DestinationRow).where(col(DestinationRow.id) == channel.id).values(**changes))
    return replace(channel, settings=settings)


# ---------------------------------------------------------------- subscriptions


async def list_subscriptions(session: AsyncSession, channel_id: int) -> list[Subscription]:
    """The channel's subscriptions by number."""
    return [_subscription_of(row) for row in await repos.list_subscriptions(session, channel_id)]


async def count_subscriptions(session: AsyncSession, channel_id: int) -> int:
    return await repos.count_subscriptions(session, channel_id)


async def add_subscription(session: AsyncSession, channel_id: int, **values: Any) -> Subscription:
    """Add a subscription under the channel's next short number (see `repos.add_subscription`)."""
    destination = await session.get(DestinationRow, channel_id)
    if destination is None:
        raise LookupError(f"no channel with id {channel_id}")
    return _subscription_of(await repos.add_subscription(session, destination, **values))


async def remove_subscription(session: AsyncSession, channel_id: int, number: int) -> Subscription | None:
    """Remove one of this channel's subscriptions; what was removed, or None when it has no such number."""
    removed = await repos.delete_subscription(session, channel_id, number)
    return _subscription_of(removed) if removed is not None else None


# ---------------------------------------------------------------- what was delivered


async def delivery_reasons_since(session: AsyncSession, channel_id: int, since: datetime) -> list[list[Any]]:
    """The `reasons` of every paper claimed for the channel since `since` (each a list, as the ledger keeps it)."""
    result = await session.exec(
        select(DeliveryRow.reasons).where(
            DeliveryRow.destination_id == channel_id, col(DeliveryRow.claimed_at) >= since
        )
    )
    return [list(reasons or ()) for reasons in result.all()]
