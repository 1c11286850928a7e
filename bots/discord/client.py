"""The `discord` role: a discord.py client with the /radar tree, persistent buttons and the digest sink.

Slash commands need no privileged intent: the client asks only for `guilds` (which also tells it when the
bot is removed from a server, so that core pauses that server's channels instead of failing every morning).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bots.discord.buttons import RadarButton
from bots.discord.endpoints import point_at
from bots.discord.respond import PLATFORM, Responder
from bots.discord.sink import MAX_RATELIMIT_WAIT_S, DiscordSink, GlobalPacer, pacing_trace
from bots.discord.tree import RadarTree, build_tree
from core.bootstrap import App
from core.commands import EVERY_CHANNEL, AccessLost
from core.config import Settings
from core.model.context import Destination
from core.model.enums import AccessCause
from core.rules import platform_actor
from core.service import handle
from core.views import Notice

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class RadarMixin:
    """What both client classes add: the tree, the responder (`radar`) and guild-removal handling."""

    app: App
    radar: Responder
    tree: RadarTree

    def _setup_radar(self, app: App) -> None:
        self.app = app
        self.radar = Responder(app)
        self.tree = build_tree(self, self.radar)  # type: ignore[arg-type]

    async def setup_hook(self) -> None:
        # Buttons are matched by their custom id pattern, so clicks on messages sent before a restart work.
        self.add_dynamic_items(RadarButton)  # type: ignore[attr-defined]

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Core pauses the server's running channels (subscriptions kept) and says why in `status`.
        where = Destination(PLATFORM, str(guild.id), EVERY_CHANNEL)
        view = await handle(AccessLost(AccessCause.REMOVED_FROM_GUILD), platform_actor(PLATFORM), where,
                            app=self.app)
        if isinstance(view, Notice):
            log.info("removed from guild %s: %s", guild.id, view.text)
        else:  # nobody reads this answer: a failure must at least reach the log
            log.warning("removed from guild %s, but its channels were not paused: %s", guild.id, view)


class RadarClient(RadarMixin, discord.Client):
    def __init__(self, app: App, **options: Any) -> None:
        super().__init__(intents=intents(), **options)
        self._setup_radar(app)


class ShardedRadarClient(RadarMixin, discord.AutoShardedClient):
    def __init__(self, app: App, **options: Any) -> None:
        super().__init__(intents=intents(), **options)
        self._setup_radar(app)


def build_client(app: App, *, shard_count: int | None = None, **options: Any) -> RadarClient | ShardedRadarClient:
    """The client for `app`: sharded when the settings (or Discord's recommendation) ask for more than one."""
    point_at(app.settings)
    shards = shard_count if shard_count is not None else app.settings.discord_shards
    options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_WAIT_S)
    # Digests posted by this client share the bot-wide limit with everything else it sends.
    options.setdefault("http_trace", pacing_trace(GlobalPacer()))
    if app.settings.discord_application_id:
        options.setdefault("application_id", int(app.settings.discord_application_id))
    if shards and shards > 1:
        return ShardedRadarClient(app, shard_count=shards, **options)
    return RadarClient(app, **options)


async def recommended_shards(settings: Settings, token: str) -> int | None:
    """Discord's recommended shard count (GET /gateway/bot), needed past 2,500 servers; None if unknown."""
    point_at(settings)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(token)
        shards, _url, _limits = await http.get_bot_gateway()
        return int(shards)
    except (discord.HTTPException, discord.GatewayNotFound, OSError) as error:
        log.warning("could not ask Discord how many shards to run: %s", error)
        return None
    finally:
        await http.close()


async def _when_ready(client: discord.Client,
                      on_ready: Callable[[discord.Client], Awaitable[None]] | None) -> None:
    await client.wait_until_ready()
    log.info("discord: connected as %s to %d server(s)", client.user, len(client.guilds))
    if on_ready is not None:
        await on_ready(client)


def bot_token(settings: Settings) -> str:
    if settings.discord_bot_token is None:
        raise RuntimeError("DISCORD_BOT_TOKEN is not set")
    return settings.discord_bot_token.get_secret_value()


async def run_discord(app: App, stop: asyncio.Event, *,
                      on_ready: Callable[[discord.Client], Awaitable[None]] | None = None, **options: Any) -> None:
    """Run the bot until `stop` is set (the `discord` role of `radar serve`); `on_ready` runs once connected."""
    token = bot_token(app.settings)
    shards = app.settings.discord_shards or await recommended_shards(app.settings, token)
    # When the clock runs in this process too, its sink and this client share one pacer: one bot-wide limit.
    existing = app.sinks.get(PLATFORM)
    pacer = existing.pacer if isinstance(existing, DiscordSink) else GlobalPacer()
    options.setdefault("http_trace", pacing_trace(pacer))
    client = build_client(app, shard_count=shards, **options)
    sink = DiscordSink(app.settings, http=client.http, pacer=pacer)
    app.sinks.setdefault(PLATFORM, sink)  # `digest now` from a slash command posts through this client
    try:
        async with client:
            await client.login(token)
            connection = asyncio.create_task(client.connect(), name="discord-gateway")
            waiter = asyncio.create_task(stop.wait(), name="discord-stop")
            ready = asyncio.create_task(_when_ready(client, on_ready), name="discord-ready")
            done, _ = await asyncio.wait({connection, waiter}, return_when=asyncio.FIRST_COMPLETED)
            await client.close()
            for task in (connection, waiter, ready):
                if task not in done:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task  # a failed connection raises here, for `serve` to report
    finally:
        if app.sinks.get(PLATFORM) is sink:
            del app.sinks[PLATFORM]
