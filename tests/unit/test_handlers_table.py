"""The handler table is complete: a command without a handler fails here and at start-up, not in a channel."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import pytest

from core import bootstrap, commands
from core.handlers import HANDLERS, command_types, missing_handlers
from tests.fakes import settings_for


def test_every_command_has_a_handler() -> None:
    assert missing_handlers() == []
    assert set(command_types()) <= set(HANDLERS)


def test_every_handler_is_a_coroutine_function() -> None:
    assert all(inspect.iscoroutinefunction(handler) for handler in HANDLERS.values())


def test_the_text_grammar_only_builds_commands_that_have_handlers() -> None:
    built = {type(commands.parse_command(text)) for text in (
        "help", "researcher Ada Lovelace", "researcher pick 1", "follow pick 1", "paper 1706.03762", "trending",
        "subscribe topic diffusion", "subscribe category cs.LG", "list", "unsubscribe 1", "unfollow 1",
        "settings", "settings max 5", "pause", "resume", "export", 'import {"version": 1}', "status",
        "digest now", "digest preview", "digest more")}
    assert built <= set(HANDLERS)


def test_a_command_without_a_handler_stops_the_app_at_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    @dataclass(frozen=True)
    class Teleport(commands.Command):
        where: str = ""

    try:
        assert "Teleport" in missing_handlers()
        with pytest.raises(bootstrap.WiringError, match="Teleport"):
            bootstrap.build_app(settings_for(f"sqlite:///{tmp_path}/radar.db"))
    finally:
        del Teleport  # the class stays in __subclasses__ until collected
        import gc

        gc.collect()
    assert missing_handlers() == []
