"""A workspace or server losing and regaining access: typed core commands, typed pause causes.

What a regained access resumes is decided by the stored cause, not by the reason's wording: a channel a
manager paused, or whose own channel the platform refused, stays paused through a reinstall.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from core.app import App
from core.commands import EVERY_CHANNEL, AccessLost, AccessRegained, Pause, Resume, SubscribeCategory
from core.model.context import Actor, Destination
from core.model.enums import AccessCause, PauseCause
from core.rules import platform_actor
from core.service import handle
from core.storage import repos
from core.storage.models import DestinationRow, SubscriptionRow
from core.subscriptions.access import access_lost_reason
from core.views import Notice, Problem

TEAM, OTHER_TEAM = "T1", "T2"
MANAGER = Actor("slack", "U1", can_manage=True)
SLACK = platform_actor("slack")
WORKSPACE = Destination("slack", TEAM, EVERY_CHANNEL)


def channel(name: str, team: str = TEAM, platform: str = "slack") -> Destination:
    return Destination(platform, team, name)


async def rows(app: App) -> dict[tuple[str, str, str], DestinationRow]:
    async with app.db.session() as session:
        found = (await session.exec(select(DestinationRow))).all()
    return {(r.platform, r.workspace_id, r.channel_id): r for r in found}


async def subscribed(app: App, *where: Destination) -> None:
    for destination in where:
        actor = Actor(destination.platform, "U1", can_manage=True)
        view = await handle(SubscribeCategory("cs.LG"), actor, destination, app=app)
        assert isinstance(view, Notice), view


async def test_access_lost_pauses_every_running_channel_of_that_workspace_only(app_factory: Any) -> None:
    app = app_factory()
    await subscribed(app, channel("C1"), channel("C2"), channel("C3"), channel("C1", OTHER_TEAM),
                     channel("C1", platform="discord"))
    await handle(Pause(), MANAGER, channel("C3"), app=app)

    view = await handle(AccessLost(AccessCause.UNINSTALLED), SLACK, WORKSPACE, app=app)
    assert isinstance(view, Notice) and "Paused 2 channel(s)" in view.text
    found = await rows(app)
    for name in ("C1", "C2"):
        record = found[("slack", TEAM, name)]
        assert record.paused and record.pause_cause == PauseCause.ACCESS_LOST
        assert record.paused_reason == access_lost_reason(AccessCause.UNINSTALLED)
    manager_paused = found[("slack", TEAM, "C3")]
    assert manager_paused.paused_reason == "paused by a channel manager"
    assert manager_paused.pause_cause == PauseCause.MANAGER
    # Another workspace, and the same ids on another platform, are untouched.
    assert not found[("slack", OTHER_TEAM, "C1")].paused and not found[("discord", TEAM, "C1")].paused
    async with app.db.session() as session:
        assert len((await session.exec(select(SubscriptionRow))).all()) == 5  # subscriptions are kept


async def test_regained_access_resumes_only_what_lost_access(app_factory: Any) -> None:
    app = app_factory()
    await subscribed(app, channel("C1"), channel("C2"), channel("C3"))
    await handle(Pause(), MANAGER, channel("C2"), app=app)  # a person decided this one
    async with app.db.session() as session:  # the platform refused this channel itself (deleted, archived)
        gone = await repos.ensure_destination(session, channel("C3"))
        gone.paused, gone.paused_reason, gone.pause_cause = True, "Slack: channel_not_found", PauseCause.DELIVERY
        session.add(gone)
        await session.commit()

    await handle(AccessLost(AccessCause.TOKENS_REVOKED), SLACK, WORKSPACE, app=app)
    view = await handle(AccessRegained(), SLACK, WORKSPACE, app=app)
    assert isinstance(view, Notice) and "Resumed 1 channel(s)" in view.text
    found = await rows(app)
    assert not found[("slack", TEAM, "C1")].paused and found[("slack", TEAM, "C1")].pause_cause is None
    assert found[("slack", TEAM, "C1")].paused_reason is None
    assert found[("slack", TEAM, "C2")].paused and found[("slack", TEAM, "C2")].pause_cause == PauseCause.MANAGER
    assert found[("slack", TEAM, "C3")].paused and found[("slack", TEAM, "C3")].pause_cause == PauseCause.DELIVERY


async def test_a_manager_pause_during_lost_access_outlives_the_reinstall(app_factory: Any) -> None:
    """The wording of a reason never decided anything: a manager pausing a channel that had lost access makes
    it theirs, and a reinstall leaves it paused; their `resume` clears the cause with the pause."""
    app = app_factory()
    await subscribed(app, channel("C1"), channel("C2"))
    await handle(AccessLost(AccessCause.UNINSTALLED), SLACK, WORKSPACE, app=app)
    await handle(Pause(), MANAGER, channel("C1"), app=app)
    await handle(AccessRegained(), SLACK, WORKSPACE, app=app)
    found = await rows(app)
    assert found[("slack", TEAM, "C1")].paused and found[("slack", TEAM, "C1")].pause_cause == PauseCause.MANAGER
    assert not found[("slack", TEAM, "C2")].paused

    await handle(Resume(), MANAGER, channel("C1"), app=app)
    record = (await rows(app))[("slack", TEAM, "C1")]
    assert not record.paused and record.pause_cause is None and record.paused_reason is None


async def test_a_reason_that_merely_looks_like_lost_access_is_not_resumed(app_factory: Any) -> None:
    app = app_factory()
    await subscribed(app, channel("C1"))
    async with app.db.session() as session:
        record = await repos.ensure_destination(session, channel("C1"))
        record.paused, record.pause_cause = True, PauseCause.MANAGER
        record.paused_reason = access_lost_reason(AccessCause.UNINSTALLED)  # the old prefix rule would resume it
        session.add(record)
        await session.commit()
    await handle(AccessRegained(), SLACK, WORKSPACE, app=app)
    assert (await rows(app))[("slack", TEAM, "C1")].paused


@pytest.mark.parametrize("command", [AccessLost(AccessCause.UNINSTALLED), AccessRegained()])
async def test_nobody_but_the_platform_can_send_access_commands(app_factory: Any, command: Any) -> None:
    app = app_factory()
    await subscribed(app, channel("C1"))
    await handle(AccessLost(AccessCause.UNINSTALLED), SLACK, WORKSPACE, app=app)
    for person in (MANAGER, Actor("slack", "@platform", can_manage=True), Actor("console", "me", can_manage=True)):
        view = await handle(command, person, channel("C1"), app=app)
        assert isinstance(view, Problem) and view.code == "permission", view
    assert (await rows(app))[("slack", TEAM, "C1")].paused  # still as the platform left it


async def test_the_platform_actor_cannot_run_a_person_s_commands(app_factory: Any) -> None:
    view = await handle(SubscribeCategory("cs.LG"), SLACK, channel("C1"), app=app_factory())
    assert isinstance(view, Problem) and view.code == "permission"


def test_every_cause_has_a_reason_people_can_read() -> None:
    for cause in AccessCause:
        assert access_lost_reason(cause)
