"""The Discord fake on loopback, and the real `discord` role (run_discord) connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest

from bots.discord.client import run_discord
from bots.discord.limits import check_message_limits
from core.bootstrap import App
from tests.discord.fake_discord import FakeDiscord, Sent
from tests.discord.payloads import CHANNEL, GUILD, OTHER_CHANNEL


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    server.add_guild(GUILD, {CHANNEL: "papers", OTHER_CHANNEL: "general"})
    try:
        yield server
    finally:
        await server.stop()
    # Every message the bot sent in the test, whatever the test checked, was valid for Discord.
    for sent in server.sent:
        assert check_message_limits(sent.body) == [], (sent.kind, sent.body)


@dataclass
class Bot:
    """A running discord role: the fake it talks to, its App, and its client once connected."""

    fake: FakeDiscord
    app: App
    client: discord.Client | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, payload: dict[str, Any], *, answers: int = 1, within: float = 10.0) -> list[Sent]:
        """Dispatch an interaction and wait until the bot has answered it with `answers` messages."""
        token = payload["token"]
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        await self.fake.wait_for(lambda: len(self.fake.answers(token)) >= answers, within)
        return self.fake.answers(token)

    async def autocomplete(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        token = payload["token"]
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        await self.fake.wait_for(lambda: bool(self.fake.callbacks.get(token)))
        body = self.fake.callbacks[token][0]
        assert body["type"] == 8
        choices: list[dict[str, Any]] = body["data"]["choices"]
        return choices


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, app: App) -> AsyncIterator[Bot]:
    """Start `run_discord` for `app` against the fake; stop it (and check it stopped cleanly) afterwards."""
    bot = Bot(fake, app)
    connected = asyncio.Event()

    async def ready(client: discord.Client) -> None:
        bot.client = client
        connected.set()

    task = asyncio.create_task(run_discord(app, bot.stop, on_ready=ready, guild_ready_timeout=0))
    try:
        await asyncio.wait_for(connected.wait(), 10)
        yield bot
    finally:
        bot.stop.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture
def discord_app(app_factory: Callable[..., App], fake: FakeDiscord) -> Callable[..., App]:
    """`discord_app(router, **settings)`: an App on this test's database that talks to the fake."""

    def make(router: Any = None, **settings: Any) -> App:
        env = {k.lower(): v for k, v in fake.env().items()}
        return app_factory(router, **(env | settings))

    return make
