"""Where discord.py sends REST calls and opens the gateway: Discord itself, a proxy, or a loopback fake.

Its own module because both the client (the gateway role) and the sink (the clock's REST-only client)
need it, and the client builds on the sink: here neither has to import the other back.
"""

from __future__ import annotations

import discord
import yarl

from core.config import Settings


def point_at(settings: Settings) -> None:
    """Send discord.py's REST calls and gateway connection where the settings say (a proxy, a fake).

    Both are class attributes in discord.py, so this is process-wide; every client and HTTP client made in
    this process afterwards uses them.
    """
    discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
