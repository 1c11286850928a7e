"""core.handle: help end to end, permissions checked once for every adapter, failures as Problems."""

from __future__ import annotations

import pytest

from core.commands import Help, Pause, SubscribeTopic
from core.model.context import Actor, Destination
from core.service import handle
from core.views import HelpView, Problem

HERE = Destination("slack", "T1", "C1")
READER = Actor("slack", "U1", can_manage=False)


async def test_help_lists_commands() -> None:
    view = await handle(Help(), READER, HERE)
    assert isinstance(view, HelpView)
    assert {e.command for e in view.entries} >= {"researcher", "paper", "subscribe", "follow", "digest", "help"}


async def test_help_for_unknown_topic_is_a_problem() -> None:
    view = await handle(Help("teleport"), READER, HERE)
    assert isinstance(view, Problem) and "teleport" in view.detail


@pytest.mark.parametrize("command", [SubscribeTopic("diffusion"), Pause()])
async def test_mutating_commands_need_manage(command) -> None:  # type: ignore[no-untyped-def]
    view = await handle(command, READER, HERE)
    assert isinstance(view, Problem) and view.code == "permission"
    assert "workspace admin" in view.detail
    discord_view = await handle(command, Actor("discord", "1", can_manage=False), Destination("discord", "G", "C"))
    assert isinstance(discord_view, Problem) and "Manage Channels" in discord_view.detail
