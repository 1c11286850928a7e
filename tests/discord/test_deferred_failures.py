"""A Discord interaction that fails after "thinking…" is still answered, through the real discord role.

Before, anything that went wrong after the defer (core raising, a renderer bug, an answer that never came)
left the person looking at "Paper Radar is thinking…" until Discord gave up on the interaction. Now the answer
is a short Problem for the asker, in place of the "thinking…" (or, when that was public, below it once removed).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bots.discord import respond
from core.views import Problem
from tests.discord.conftest import running
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import slash
from tests.discord.test_bot_commands import texts
from tests.fakes import SourceRouter, read_json

DEFERRED = [{"type": 5}]


async def test_core_raising_after_the_defer_still_answers(fake: FakeDiscord, discord_app: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug between the door and the answer")

    monkeypatch.setattr(respond, "handle", broken)
    async with running(fake, discord_app()) as bot:
        payload = slash("paper", query="2401.01234")
        (answer,) = await bot.send(payload)
    assert fake.callbacks[payload["token"]][0]["type"] == 5  # "thinking…" was shown first
    assert answer.kind == "original" and answer.ephemeral
    assert "Something went wrong on our side" in texts(answer) and "RuntimeError" not in texts(answer)


async def test_an_answer_that_never_comes_is_replaced_by_a_problem(fake: FakeDiscord, discord_app: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    async def hangs(*args: Any, **kwargs: Any) -> Any:
        await asyncio.Event().wait()

    monkeypatch.setattr(respond, "handle", hangs)
    monkeypatch.setattr(respond, "ANSWER_GRACE_S", 0.3)
    async with running(fake, discord_app(RADAR_LOOKUP_DEADLINE_S="0.2")) as bot:
        payload = slash("paper", query="2401.01234")
        (answer,) = await bot.send(payload, within=5.0)
    assert fake.callbacks[payload["token"]][0]["type"] == 5
    assert answer.kind == "original" and answer.ephemeral and "That took too long" in texts(answer)


async def test_failures_after_a_private_or_a_public_thinking_are_told_to_the_asker(
        fake: FakeDiscord, discord_app: Any, synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A renderer bug after `trending`'s private "thinking…" replaces it with a Problem. `follow` shows a public
    one (its answer is for the channel): when that answer fails, it is removed and the asker alone is told."""
    real_render = respond.render

    def render(view: Any, **kwargs: Any) -> Any:
        if not isinstance(view, Problem):
            raise ValueError("a renderer bug")
        return real_render(view, **kwargs)

    monkeypatch.setattr(respond, "render", render)
    router = SourceRouter().add("huggingface", "/api/daily_papers",
                                read_json(synthetic / "synthetic_hf_daily_papers_2024-03-14.json"))
    async with running(fake, discord_app(router)) as bot:
        trending = slash("trending", day="2024-03-14")
        (answer,) = await bot.send(trending)
        assert answer.kind == "original" and "Something went wrong on our side" in texts(answer)

        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("boom")

        monkeypatch.setattr(respond, "handle", broken)
        follow = slash("follow", name="Ada Quillfeather")
        (told,) = await bot.send(follow)
    assert fake.callbacks[follow["token"]] == DEFERRED
    assert told.kind == "followup" and told.ephemeral and "Something went wrong on our side" in texts(told)
    assert fake.deleted == [follow["token"]]  # the public "thinking…" is gone
