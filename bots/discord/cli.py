"""`radar discord sync [--guild ID]` and `radar discord invite`: setting the bot up, over HTTP only.

Registering commands needs no gateway connection: log in (two REST calls), then one PUT of the whole tree.
A guild sync shows up at once, which is what a development server wants; a global sync reaches every server
but Discord may take a while to show it.

discord.py is imported inside the functions: building the `radar` argument parser must stay cheap for every
other subcommand.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, TextIO

from core.config import Settings

if TYPE_CHECKING:
    import discord

    from core.bootstrap import App

SCOPES = ("bot", "applications.commands")


def add_discord_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `discord sync` and `discord invite` to the `radar` command's subparsers."""
    parser = sub.add_parser("discord", help="register slash commands, print the invite link")
    commands = parser.add_subparsers(dest="discord_command", metavar="<discord command>")
    commands.required = True
    sync = commands.add_parser("sync", help="register /radar with Discord (one server at once, or everywhere)")
    sync.add_argument("--guild", type=int, help="a server id: registers there instantly (for development)")
    commands.add_parser("invite", help="print the link that adds the bot to a server")


def invite_permissions() -> discord.Permissions:
    """What posting digests needs, and nothing more."""
    import discord

    return discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                               embed_links=True, read_message_history=True)


def invite_url(application_id: int | str) -> str:
    import discord

    return discord.utils.oauth_url(application_id, permissions=invite_permissions(), scopes=SCOPES)


async def sync_commands(app: App, guild_id: int | None = None) -> list[str]:
    """Register the /radar tree; returns the registered top-level command names."""
    import discord

    from bots.discord.client import bot_token, build_client

    client = build_client(app)
    async with client:
        await client.login(bot_token(app.settings))
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            # /radar is defined globally; a guild sync registers only that guild's copy of the tree.
            client.tree.copy_global_to(guild=guild)
        registered = await client.tree.sync(guild=guild)
    return [command.name for command in registered]


async def application_id(settings: Settings) -> int:
    """DISCORD_APPLICATION_ID, or the bot's own application as Discord reports it."""
    if settings.discord_application_id:
        return int(settings.discord_application_id)
    import discord

    from bots.discord.client import bot_token
    from bots.discord.endpoints import point_at

    point_at(settings)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(bot_token(settings))
        data = await http.application_info()
        return int(data["id"])
    finally:
        await http.close()


def run_discord_cli(settings: Settings, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """`radar discord …`: 0 on success, 1 with a message on stderr otherwise."""
    import discord

    if settings.discord_bot_token is None and not (args.discord_command == "invite" and settings.discord_application_id):
        print("DISCORD_BOT_TOKEN is not set (see the Discord section of the README).", file=sys.stderr)
        return 1
    try:
        if args.discord_command == "invite":
            print(invite_url(asyncio.run(application_id(settings))), file=out)
            return 0
        return asyncio.run(_sync(settings, args.guild, out))
    except discord.LoginFailure:
        print("Discord refused the bot token: check DISCORD_BOT_TOKEN.", file=sys.stderr)
    except discord.HTTPException as error:
        print(f"Discord answered {error.status}: {error.text[:300]}", file=sys.stderr)
    except OSError as error:
        print(f"Discord could not be reached at {settings.discord_api_url}: {error}", file=sys.stderr)
    return 1


async def _sync(settings: Settings, guild_id: int | None, out: TextIO) -> int:
    from core.bootstrap import running_app

    async with running_app(settings, migrate=False, current=False) as app:
        names = await sync_commands(app, guild_id)
    where = f"server {guild_id} (visible now)" if guild_id else "every server (Discord may take up to an hour)"
    print(f"registered /{', /'.join(names)} in {where}", file=out)
    return 0
