"""Every View core can answer with has a renderer in every adapter, or the adapter says it never gets it.

A view without a renderer must fail here and at start-up, never at run time in a channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from bots.console import render as console
from bots.discord import render as discord
from bots.slack import render as slack
from core import views as v
from core.rules import unrendered_views, view_types

ADAPTERS = {"slack": slack, "discord": discord, "console": console}


def test_view_types_are_core_s_views() -> None:
    found = set(view_types())
    assert {v.Notice, v.Problem, v.HelpView, v.DigestView, v.StatusView, v.ImportReport} <= found
    assert all(kind.__module__.startswith("core.") for kind in found)

    @dataclass(frozen=True)
    class OnlyInThisTest(v.View):  # a test's own view is nobody's to render
        pass

    assert OnlyInThisTest not in view_types()


@pytest.mark.parametrize("name", ADAPTERS)
def test_every_view_has_a_renderer(name: str) -> None:
    module: Any = ADAPTERS[name]
    assert module.missing_renderers() == [], f"{name} has no renderer for {module.missing_renderers()}"
    for kind in view_types():
        assert kind in module.RENDERERS or kind.__name__ in module.NOT_RENDERED_HERE, (name, kind.__name__)


@pytest.mark.parametrize("name", ADAPTERS)
def test_the_check_catches_a_missing_renderer(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module: ModuleType = ADAPTERS[name]
    renderers = dict(module.RENDERERS)  # type: ignore[attr-defined]
    del renderers[v.StatusView]
    monkeypatch.setattr(module, "RENDERERS", renderers)
    assert module.missing_renderers() == ["StatusView"]  # type: ignore[attr-defined]
    # ... unless the adapter declares it never receives that view.
    assert unrendered_views(renderers, {"StatusView", *module.NOT_RENDERED_HERE}) == []  # type: ignore[attr-defined]


def test_slack_fails_at_start_up_without_a_renderer(app_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from bots.slack.app import build_slack

    settings = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert build_slack(app_factory(**settings)) is not None
    monkeypatch.setattr(slack, "RENDERERS", {k: f for k, f in slack.RENDERERS.items() if k is not v.PickList})
    with pytest.raises(RuntimeError, match="PickList"):
        build_slack(app_factory(**settings))


def test_discord_fails_at_start_up_without_a_renderer(app_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from bots.discord.respond import Responder

    app = app_factory()
    assert Responder(app).app is app
    monkeypatch.setattr(discord, "RENDERERS", {k: f for k, f in discord.RENDERERS.items() if k is not v.ExportView})
    with pytest.raises(RuntimeError, match="ExportView"):
        Responder(app)
