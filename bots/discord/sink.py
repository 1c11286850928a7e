"""Posting digests to Discord channels over discord.py's HTTP client: no gateway connection needed.

The clock process makes its own `HTTPClient` (log in with the bot token, nothing else); the discord role
lends the one its client already has. discord.py keeps the per-route buckets from the `X-RateLimit-*`
headers and retries 429s by itself; `max_ratelimit_timeout` caps how long it may wait before raising instead.
It learns the bot-wide limit (50 requests per second) only from 429s, though, and every 429 counts toward
Cloudflare's ban on misbehaving clients, so a sliding window here keeps all digests together under it.

Failures follow the delivery rule: lost access (Forbidden, Missing Access, Unknown Channel) pauses the
channel and keeps its subscriptions; rate limits past the cap and outages are retried later.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import aiohttp
import discord

from bots.discord.buttons import build_view
from bots.discord.endpoints import point_at
from bots.discord.message import NO_MENTIONS, Outgoing
from bots.discord.render_digest import render_digest
from core.config import Settings
from core.model.context import Destination
from core.model.sink import DeliveryError, MarkSent
from core.views import DigestView

log = logging.getLogger(__name__)
MAX_RATELIMIT_WAIT_S = 60.0  # discord.py's floor is 30 s; past this a digest is retried on the next tick
GLOBAL_REQUESTS = 50  # Discord's bot-wide limit per second
GLOBAL_WINDOW_S = 1.02  # a little wider than Discord's second: arrival jitter must not push us over
_PAUSE_CODES = {10003: "the channel no longer exists (Unknown Channel)", 50001: "the bot lost access (Missing Access)",
                50013: "the bot lacks permission to post here (Missing Permissions)"}


class GlobalPacer:
    """Requests spaced evenly, `limit` per `window` seconds, across every task that shares the pacer.

    Evenly rather than in bursts of `limit`: a burst reaches Discord spread out by connection set-up and
    scheduling, and the next burst, a window later by our clock, then overlaps it by Discord's. The gap is
    measured from the previous release, not from a planned slot, so a busy event loop that wakes several
    waiters late does not let them out together.
    """

    def __init__(self, limit: int = GLOBAL_REQUESTS, window: float = GLOBAL_WINDOW_S) -> None:
        self.interval = window / limit
        self._last = -1e9
        self._lock: asyncio.Lock | None = None

    async def wait(self) -> None:
        self._lock = self._lock or asyncio.Lock()
        loop = asyncio.get_running_loop()
        async with self._lock:  # first come, first served
            delay = self._last + self.interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last = loop.time()


# Interaction answers do not count toward the bot-wide limit; holding them back would only slow people down.
_UNPACED = ("/interactions/", "/webhooks/")


def pacing_trace(pacer: GlobalPacer) -> aiohttp.TraceConfig:
    """Hook the pacer into every request attempt discord.py makes, its own 429 retries included.

    Pacing only around our calls would let discord.py's retries after a global 429 go out all at once,
    which brings the next 429; aiohttp awaits trace hooks before sending, so waiting here paces them all.
    """

    async def before_request(session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
                             ) -> None:
        if not any(part in params.url.path for part in _UNPACED):
            await pacer.wait()

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(before_request)
    return trace


def nonce_for(destination: Destination, view: DigestView, message: Outgoing, part: int) -> str:
    """The same message of the same digest gets the same nonce, so Discord drops a repeat (enforce_nonce).

    That covers a post Discord accepted but whose answer was lost: retried by discord.py, or by a resumed run
    soon after (Discord remembers nonces for a few minutes). A run's message is named by the run and its page
    (0: the first), fixed when the run claimed its papers, so a resumed run sends the same nonce for it
    whatever it still has to send. The whole destination is in it, as in the ledger: another destination's
    digest of the same papers is not a repeat.
    """
    if view.run_id is not None and view.pages:
        basis = "\x1f".join((destination.workspace_id, destination.channel_id, "run", str(view.run_id), str(part)))
    else:
        basis = "\x1f".join((destination.workspace_id, destination.channel_id, view.day.isoformat(), str(part),
                              *message.paper_ids))
    return hashlib.sha256(basis.encode()).hexdigest()[:25]  # Discord allows 25 characters


def delivery_error(error: Exception) -> DeliveryError:
    """Sort a failure into "pause the channel" or "try again later"."""
    if isinstance(error, discord.RateLimited):
        return DeliveryError(f"Discord rate limit: {error.retry_after:.0f} s wait exceeds our cap",
                             retry_after=error.retry_after)
    if isinstance(error, discord.Forbidden | discord.NotFound):
        reason = _PAUSE_CODES.get(error.code) or (
            "the bot lost access to this channel" if isinstance(error, discord.Forbidden) else "the channel is gone")
        return DeliveryError(f"{reason} [{error.status} {error.code}]", pause=True)
    if isinstance(error, discord.LoginFailure):
        return DeliveryError("Discord refused the bot token (check DISCORD_BOT_TOKEN)", retry_after=600)
    if isinstance(error, discord.HTTPException):
        if error.status == 429:
            return DeliveryError("Discord kept answering 429 Too Many Requests", retry_after=60)
        return DeliveryError(f"Discord answered {error.status} {error.code}: {error.text[:200]}")
    return DeliveryError(f"Discord could not be reached: {type(error).__name__}: {error}")


class DiscordSink:
    """The DigestSink for Discord channels."""

    def __init__(self, settings: Settings, *, http: discord.http.HTTPClient | None = None,
                 pacer: GlobalPacer | None = None, max_wait: float = MAX_RATELIMIT_WAIT_S) -> None:
        """`http`: a client to borrow (paced by whoever made it); otherwise one is made, paced by `pacer`."""
        self.settings = settings
        self._http = http
        self._owns_http = http is None
        self._login: asyncio.Lock | None = None
        self.pacer = pacer or GlobalPacer()
        self.max_wait = max_wait

    async def http(self) -> discord.http.HTTPClient:
        """The HTTP client, logged in on first use (one `GET /users/@me`)."""
        if self._http is not None and (not self._owns_http or self._http.token):
            return self._http
        self._login = self._login or asyncio.Lock()
        async with self._login:
            if self._http is None or not self._http.token:
                if self.settings.discord_bot_token is None:
                    raise DeliveryError("DISCORD_BOT_TOKEN is not set in this process", retry_after=600)
                point_at(self.settings)
                http = discord.http.HTTPClient(asyncio.get_running_loop(), max_ratelimit_timeout=self.max_wait,
                                               http_trace=pacing_trace(self.pacer))
                try:
                    await http.static_login(self.settings.discord_bot_token.get_secret_value())
                except Exception:
                    await http.close()
                    raise
                self._http = http
        return self._http

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.close()
            self._http = None

    def paginate(self, view: DigestView) -> list[tuple[str, ...]]:
        """The papers of each message of `view` as a first delivery posts it (the header shares the first)."""
        fresh = replace(view, pages=(), page_count=0, resumed=False)
        return [message.paper_ids for message in render_digest(fresh) if message.paper_ids]

    async def send_digest(
        self, destination: Destination, view: DigestView, mark_sent: MarkSent, *, previous: Sequence[str] = ()
    ) -> None:
        messages = render_digest(view, continued=bool(previous))
        parts = [page.index for page in view.pages] or range(len(previous) + 1, len(previous) + len(messages) + 1)
        try:
            http = await self.http()
            for part, message in zip(parts, messages, strict=True):
                data = await self.post(http, destination.channel_id, message,
                                       nonce=nonce_for(destination, view, message, part))
                await mark_sent(list(message.paper_ids), str(data["id"]))
        except DeliveryError:
            raise
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise delivery_error(error) from error

    async def post(self, http: discord.http.HTTPClient, channel_id: str, message: Outgoing, *,
                   nonce: str | None = None) -> dict[str, Any]:
        """One message to one channel; returns Discord's message object."""
        view = build_view(message.buttons)
        params = discord.http.handle_message_parameters(
            content=message.content, embeds=message.embeds, view=view if view is not None else discord.utils.MISSING,
            allowed_mentions=NO_MENTIONS, nonce=nonce)
        data: dict[str, Any] = await http.send_message(channel_id, params=params)  # type: ignore[assignment]
        return data
