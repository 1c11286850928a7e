"""Delivering digests to Slack channels: threaded, paced, and honest about failures.

The top message goes to the channel and the rest reply in its thread. Slack allows about one message per
second per channel, so a per-channel pacer spaces our posts (many channels still go out in parallel), and
slack_sdk's rate-limit handler sleeps through the occasional 429. After each accepted message the papers it
carried are marked sent with its ts, so a crash or a failure halfway resumes in the same thread without
repeating anything. Errors are sorted into "pause this channel" (no retry can help) and "try again later".

A run's messages are fixed when it claims its papers (`DigestView.pages`), and each message carries its run,
page and papers in its metadata. A resumed run reads the channel (or thread) first and takes a message found
there with the same run, page and papers as posted: a crash between Slack taking a message and the ledger
marking it leaves exactly one such. Posting to a public channel needs no membership (chat:write.public) but
reading it does: when Slack says the bot is not in the channel, it joins (conversations.join) and reads again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.blocks import SlackMessage
from bots.slack.render_digest import render_digest
from core.model.context import Destination
from core.model.sink import DeliveryError, MarkSent
from core.views import DigestView

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
MESSAGE_INTERVAL_S = 1.0
DIGEST_EVENT = "paper_radar_digest"  # metadata event_type on digest messages
# How a pause for lost workspace access begins, in the words core uses for an uninstall, so that `status`
# reads alike. Only words: what a reinstall resumes is decided by DeliveryError.access_lost.
ACCESS_LOST = "Slack workspace access lost: "
# Errors after which retrying cannot help: the destination is paused with the reason, subscriptions kept.
CHANNEL_GONE = {
    "channel_not_found": "the channel no longer exists or Paper Radar cannot see it",
    "not_in_channel": "Paper Radar is not a member of this private channel; invite it with /invite",
    "is_archived": "the channel is archived",
    "restricted_action": "the workspace does not allow Paper Radar to post here",
    "missing_scope": "the app lacks a permission it needs to post; reinstall it",
}
ACCESS_GONE = {
    "account_inactive": "the bot account was deactivated",
    "token_revoked": "the bot token was revoked",
    "invalid_auth": "the bot token is not valid",
    "not_authed": "no bot token was sent",
    "team_access_not_granted": "the app has no access to this workspace",
}
# The message's blocks were refused: send the same message as plain text instead of losing it.
BLOCKS_REFUSED = {"invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "msg_too_long"}
# Reading the channel for messages already posted is refused for good (no scope, no membership after trying to
# join, or the channel itself is gone): the post that follows either works or says why, so it goes ahead.
READ_REFUSED = {"missing_scope", "not_in_channel", "thread_not_found", "method_not_supported_for_channel_type",
                *CHANNEL_GONE, *ACCESS_GONE}

TokenSource = Callable[[str], Awaitable[str | None]]


def client_for(token: str | None, base_url: str, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """A Web API client on the configured base URL that waits out rate limits instead of failing."""
    return AsyncWebClient(
        token=token, base_url=base_url, session=session,
        retry_handlers=[AsyncConnectionErrorRetryHandler(),
                        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
    )


class ChannelPacer:
    """At most one message per `interval` per channel, counted from when Slack answered the previous one."""

    def __init__(self, interval: float = MESSAGE_INTERVAL_S, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._next.get(channel, 0.0) - self.clock()
            if wait > 0:
                await self.sleep(wait)
            try:
                yield
            finally:
                self._next[channel] = self.clock() + self.interval
                self._forget_idle()

    def _forget_idle(self) -> None:
        if len(self._next) < 4096:
            return
        now = self.clock()
        for channel in [c for c, t in self._next.items() if t < now and not self._locks[c].locked()]:
            self._next.pop(channel, None)
            self._locks.pop(channel, None)


def _retry_after(error: SlackApiError) -> float:
    headers = getattr(error.response, "headers", None) or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    try:
        return max(1.0, float(value)) if value is not None else 30.0
    except (TypeError, ValueError):
        return 30.0


def classify(error: SlackApiError) -> DeliveryError:
    """A Slack error as the digest engine's retry-or-pause decision."""
    code = str(error.response.get("error") or "")
    status = int(getattr(error.response, "status_code", 0) or 0)
    if status == 429 or code == "ratelimited":
        return DeliveryError(f"Slack rate limit ({code or status}) persisted after {RATE_LIMIT_RETRIES} retries",
                             retry_after=_retry_after(error))
    if code in CHANNEL_GONE:
        return DeliveryError(f"Slack: {code} ({CHANNEL_GONE[code]})", pause=True)
    if code in ACCESS_GONE:
        return DeliveryError(f"{ACCESS_LOST}{code} ({ACCESS_GONE[code]}). Reinstall Paper Radar.", access_lost=True)
    return DeliveryError(f"Slack answered {code or status or 'an error'}")


class SlackSink:
    """The DigestSink for Slack. `tokens(team_id)` gives the bot token of a workspace (None: not installed)."""

    def __init__(self, tokens: TokenSource, *, base_url: str, pacer: ChannelPacer | None = None) -> None:
        self.tokens = tokens
        self.base_url = base_url
        self.pacer = pacer or ChannelPacer()
        self._session: aiohttp.ClientSession | None = None
        self._clients: dict[str, AsyncWebClient] = {}

    def _client(self, token: str) -> AsyncWebClient:
        if self._session is None or self._session.closed:
            # One connection pool for every digest: a fresh session per message would reconnect each time.
            # The deadlines are on connecting and on each read, not on the whole request: at fan-out (hundreds
            # of channels' digests at once) a message may wait its turn for one of the pool's connections, and
            # that wait is not Slack being slow; a total deadline turned it into a failed delivery.
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=30))
            self._clients.clear()
        client = self._clients.get(token)
        if client is None:
            if len(self._clients) > 1000:
                self._clients.clear()
            client = self._clients[token] = client_for(token, self.base_url, self._session)
        return client

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self._clients.clear()

    def paginate(self, view: DigestView) -> list[tuple[str, ...]]:
        """The papers of each message of `view` as a first delivery posts it (a header and five, then tens)."""
        fresh = replace(view, pages=(), page_count=0, resumed=False)
        return [message.paper_ids for message in render_digest(fresh) if message.paper_ids]

    async def send_digest(
        self, destination: Destination, view: DigestView, mark_sent: MarkSent, *, previous: Sequence[str] = ()
    ) -> None:
        try:
            token = await self.tokens(destination.workspace_id)
        except Exception as error:
            raise DeliveryError(f"could not read this workspace's Slack token: {type(error).__name__}") from error
        if not token:
            raise DeliveryError(f"{ACCESS_LOST}Paper Radar is not installed in this workspace.", access_lost=True)
        client = self._client(token)
        thread_ts = previous[0] if previous else None
        messages = render_digest(view, resume_after=len(previous))
        pages = [page.index for page in view.pages] or range(len(previous), len(previous) + len(messages))
        posted = await self._already_posted(client, destination, view, thread_ts) if view.resumed else {}
        for page, message in zip(pages, messages, strict=True):
            ts = posted.get((page, message.paper_ids)) if message.paper_ids else None
            if ts is None:
                ts = await self.post(client, destination, message, thread_ts, _tag(view, page, message))
            thread_ts = thread_ts or ts
            await mark_sent(message.paper_ids, ts)

    async def _already_posted(self, client: AsyncWebClient, destination: Destination, view: DigestView,
                              thread_ts: str | None) -> dict[tuple[int, tuple[str, ...]], str]:
        """For a resumed run: the messages of this run Slack already has, (page, its papers) -> ts, found by their
        metadata. A message is only ever taken for the same page with the same papers, so it marks exactly
        the papers it carried. Needs history access (channels:history, groups:history); where reading is
        refused for good, nothing is found; where it fails for now, the run is retried rather than sent blind."""
        if view.run_id is None:
            return {}
        response = await self._history(client, destination, thread_ts)
        found: dict[tuple[int, tuple[str, ...]], str] = {}
        for item in response.get("messages") or ():
            metadata = item.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") != DIGEST_EVENT or payload.get("run") != view.run_id or not item.get("ts"):
                continue
            page, papers = payload.get("page"), payload.get("papers")
            if isinstance(page, int) and isinstance(papers, str):
                found.setdefault((page, tuple(papers.split())), str(item["ts"]))
        return found

    async def _history(self, client: AsyncWebClient, destination: Destination, thread_ts: str | None) -> Any:
        """The thread (or the channel's latest messages) with their metadata; joins a public channel the bot
        posted to without being a member (chat:write.public), since reading it needs membership."""
        joined = False
        while True:
            try:
                if thread_ts:
                    return await client.conversations_replies(channel=destination.channel_id, ts=thread_ts,
                                                              include_all_metadata=True, limit=200)
                return await client.conversations_history(channel=destination.channel_id,
                                                          include_all_metadata=True, limit=50)
            except SlackApiError as error:
                code = str(error.response.get("error") or "")
                if code == "not_in_channel" and not joined:
                    joined = await self._join(client, destination)
                    if joined:
                        continue
                if code in READ_REFUSED:
                    log.warning("cannot look in %s for digest messages already posted (%s); posting what is unmarked",
                                destination.channel_id, code)
                    return {}
                raise classify(error) from error
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                raise DeliveryError(f"could not reach Slack to check what was posted: {type(error).__name__}"
                                    ) from error

    async def _join(self, client: AsyncWebClient, destination: Destination) -> bool:
        try:
            await client.conversations_join(channel=destination.channel_id)
        except SlackApiError as error:
            log.warning("could not join %s to read it: %s", destination.channel_id, error.response.get("error"))
            return False
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DeliveryError(f"could not reach Slack to join the channel: {type(error).__name__}") from error
        log.info("joined %s, so that a resumed digest can see what was already posted", destination.channel_id)
        return True

    async def post(self, client: AsyncWebClient, destination: Destination, message: SlackMessage,
                   thread_ts: str | None, metadata: dict[str, Any] | None = None) -> str:
        """Post one message (paced, rate limits waited out) and return its ts."""
        key = f"{destination.workspace_id}/{destination.channel_id}"
        payload: dict[str, Any] = {"channel": destination.channel_id, **message.payload()}
        if thread_ts:
            payload["thread_ts"] = thread_ts
        if metadata:
            payload["metadata"] = metadata
        async with self.pacer.turn(key):
            try:
                return await self._post(client, payload)
            except SlackApiError as error:
                if str(error.response.get("error") or "") not in BLOCKS_REFUSED:
                    raise classify(error) from error
                log.warning("slack refused a digest message's blocks (%s); sending it as text",
                            error.response.get("error"))
        async with self.pacer.turn(key):
            fallback = {k: v for k, v in payload.items() if k != "blocks"}
            fallback["text"] = _as_text(message)
            try:
                return await self._post(client, fallback)
            except SlackApiError as error:
                raise classify(error) from error

    async def _post(self, client: AsyncWebClient, payload: dict[str, Any]) -> str:
        try:
            response = await client.chat_postMessage(**payload)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DeliveryError(f"could not reach Slack: {type(error).__name__}") from error
        ts = response.get("ts")
        if not ts:
            raise DeliveryError("Slack accepted a message without giving its ts")
        return str(ts)


def _tag(view: DigestView, page: int, message: SlackMessage) -> dict[str, Any] | None:
    """Message metadata naming the run, the page and every paper it carries, so a resumed run can find it and
    tell it from a message cut differently. (Paper ids have no spaces; the payload takes strings, not lists.)"""
    if view.run_id is None or not message.paper_ids:
        return None
    return {"event_type": DIGEST_EVENT,
            "event_payload": {"run": view.run_id, "page": page, "papers": " ".join(message.paper_ids)}}


def _as_text(message: SlackMessage) -> str:
    """The readable text of a message's blocks, for when Slack refuses the blocks themselves."""
    parts: list[str] = []
    for block in message.blocks:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        for element in block.get("elements", ()) if block.get("type") == "context" else ():
            parts.append(str(element.get("text", "")))
    return "\n".join(p for p in parts if p)[:3900] or message.text[:3900]
