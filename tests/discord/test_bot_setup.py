"""Integration: registering the commands, the invite link, buttons after a restart, and sharding."""

from __future__ import annotations

import argparse
import io
from typing import Any
from urllib.parse import parse_qs, urlparse

import discord

from bots.discord.cli import add_discord_parser, run_discord_cli, sync_commands
from tests.discord.conftest import running
from tests.discord.fake_discord import APP_ID, FakeDiscord
from tests.discord.payloads import GUILD, click, slash
from tests.discord.test_bot_commands import as_message, button_ids, texts


async def test_sync_one_server_instantly_or_everywhere(fake: FakeDiscord, discord_app: Any) -> None:
    app = discord_app()
    assert await sync_commands(app, int(GUILD)) == ["radar"]
    assert await sync_commands(app) == ["radar"]
    (guild_radar,) = fake.commands[GUILD]
    (global_radar,) = fake.commands["global"]
    assert guild_radar["name"] == global_radar["name"] == "radar"
    names = {option["name"] for option in global_radar["options"]}
    assert names == {"researcher", "institution", "follow-institution", "paper", "trending", "subscribe", "follow",
                     "follow-citations", "iam", "list", "unsubscribe", "unfollow", "settings", "pause", "resume", "digest", "like",
                     "dislike", "unrate", "feedback", "similar", "export", "import", "status", "help"}
    assert not any(path.endswith("/gateway") for _, path in fake.requests)  # HTTP only


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="radar")
    add_discord_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["discord", *argv])


async def test_cli_sync_and_invite(fake: FakeDiscord, discord_app: Any) -> None:
    settings = discord_app().settings
    out = io.StringIO()
    # The CLI runs its own event loop, as `radar discord ...` does; here it runs beside the test's loop.
    import asyncio

    code = await asyncio.to_thread(run_discord_cli, settings, _args("sync", "--guild", GUILD), out)
    assert code == 0 and out.getvalue().strip() == f"registered /radar in server {GUILD} (visible now)"

    out = io.StringIO()
    assert await asyncio.to_thread(run_discord_cli, settings, _args("invite"), out) == 0
    url = urlparse(out.getvalue().strip())
    query = parse_qs(url.query)
    assert url.netloc == "discord.com" and query["client_id"] == [str(APP_ID)]
    assert query["scope"] == ["bot applications.commands"]
    permissions = discord.Permissions(int(query["permissions"][0]))
    assert permissions == discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                              embed_links=True, read_message_history=True)

    broken = settings.model_copy(update={"discord_bot_token": None})
    assert run_discord_cli(broken, _args("sync")) == 1


async def test_buttons_work_after_a_restart(fake: FakeDiscord, discord_app: Any) -> None:
    app = discord_app()
    async with running(fake, app) as bot:
        await bot.send(slash("subscribe topic", query="diffusion -medical"))
        await bot.send(slash("subscribe category", category="cs.RO"))
        (listed,) = await bot.send(slash("list"))
    assert button_ids(listed) == ["radar:unsub:1", "radar:unsub:2"]
    # A new process, a new client: it knows nothing of the message the buttons are on.
    async with running(fake, discord_app()) as restarted:
        assert restarted.client is not bot.client
        (removed,) = await restarted.send(click("radar:unsub:2", as_message(fake, listed)))
        assert "Removed #2 (category: cs.RO)" in texts(removed)
        # A digest's "Show more" from before the restart (this channel has had no digest yet).
        digest_part = fake.message(GUILD, {"content": "part 3 of 3", "components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Show 12 more", "custom_id": "radar:more"}]}]})
        (more,) = await restarted.send(click("radar:more", digest_part))
        assert more.ephemeral and "No more papers" in texts(more)


async def test_sharded_client(fake: FakeDiscord, discord_app: Any) -> None:
    async with running(fake, discord_app(discord_shards=2)) as bot:
        assert isinstance(bot.client, discord.AutoShardedClient) and bot.client.shard_count == 2
        (answer,) = await bot.send(slash("help"), answers=1)
        assert "Paper Radar" in texts(answer)
    assert sorted(i["shard"] for i in fake.identified) == [[0, 2], [1, 2]]
