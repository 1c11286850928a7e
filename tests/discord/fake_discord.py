"""A loopback fake of Discord's REST API and gateway, good enough for the unmodified discord.py client.

It serves what the bot uses (log in, application info, gateway, command registration, interaction
callbacks, webhook followups and original-response edits, channel messages, an attachment download) on
127.0.0.1, and a websocket that says HELLO, answers IDENTIFY with READY and GUILD_CREATE, acknowledges
heartbeats and dispatches the events a test injects. Every message body the bot sends is kept, in order,
so tests can check what a channel or a person would see, and judge each one against Discord's limits.

Rate limits as Discord has them: per-channel message buckets announced with `X-RateLimit-*` headers, an
optional bot-wide limit per second, and 429s with `Via` and a JSON `retry_after` (without both, discord.py
takes a 429 for a Cloudflare ban). Failures can be injected per channel.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 910000000000000001
BOT_ID = 910000000000000002
API = "/api/v10"


@dataclass
class Sent:
    """One message the bot made Discord show: where, how, and the JSON body it sent."""

    kind: str  # channel | callback | original | followup
    where: str  # channel id, or interaction token for interaction answers
    body: dict[str, Any]
    message_id: str
    ephemeral: bool = False
    files: list[tuple[str, bytes]] = field(default_factory=list)


class FakeDiscord:
    def __init__(self, *, global_limit: int | None = None, channel_limit: tuple[int, float] = (5, 5.0)) -> None:
        self._ids = itertools.count(int(time.time() * 1000) - 1420070400000 << 22)
        self.global_limit = global_limit
        self.channel_limit = channel_limit
        self.sent: list[Sent] = []
        self.requests: list[tuple[str, str]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> registered commands
        self.callbacks: dict[str, list[dict[str, Any]]] = {}  # interaction token -> callback bodies
        self.deleted: list[str] = []  # interaction tokens whose original response was deleted
        self.guilds: dict[str, dict[str, Any]] = {}
        self.attachments: dict[str, bytes] = {}
        self.fail_channel: dict[str, tuple[int, int, str]] = {}  # channel -> (status, code, message)
        self.rate_limit_next: dict[str, int] = {}  # path fragment -> how many 429s to answer first
        self.identified: list[dict[str, Any]] = []
        self.throttled = 0  # 429s answered
        self._global: collections.deque[float] = collections.deque()
        self._buckets: dict[str, collections.deque[float]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.changed = asyncio.Condition()

    # ------------------------------------------------------------ lifecycle

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def env(self) -> dict[str, str]:
        return {"DISCORD_API_URL": self.api_url, "DISCORD_GATEWAY_URL": self.gateway_url,
                "DISCORD_BOT_TOKEN": "fake-token", "DISCORD_APPLICATION_ID": str(APP_ID)}

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get(f"{API}/users/@me", self._me)
        r.add_get(f"{API}/oauth2/applications/@me", self._application)
        r.add_get(f"{API}/gateway/bot", self._gateway_bot)
        r.add_put(f"{API}/applications/{{app}}/commands", self._put_commands)
        r.add_put(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self._put_commands)
        r.add_post(f"{API}/interactions/{{id}}/{{token}}/callback", self._callback)
        r.add_post(f"{API}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_route("*", f"{API}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._webhook_message)
        r.add_post(f"{API}/channels/{{channel}}/messages", self._channel_message)
        r.add_get("/attachments/{name}", self._attachment)
        r.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------ helpers

    def snowflake(self) -> str:
        return str(next(self._ids))

    def bot_user(self) -> dict[str, Any]:
        return {"id": str(BOT_ID), "username": "Paper Radar", "discriminator": "0", "global_name": None,
                "avatar": None, "bot": True, "flags": 0, "verified": True, "mfa_enabled": False}

    def message(self, channel_id: str, body: dict[str, Any], *, flags: int = 0) -> dict[str, Any]:
        return {
            "id": self.snowflake(), "channel_id": channel_id, "type": 0, "author": self.bot_user(),
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "attachments": [], "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "pinned": False, "flags": flags, "application_id": str(APP_ID),
        }

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Until `predicate()` holds (checked whenever the bot sends something)."""
        async def check() -> None:
            async with self.changed:
                await self.changed.wait_for(predicate)

        await asyncio.wait_for(check(), within)

    def answers(self, token: str) -> list[Sent]:
        return [s for s in self.sent if s.where == token]

    def in_channel(self, channel_id: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == "channel" and s.where == channel_id]

    @staticmethod
    def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # discord.py parses JSON only when the content type is exactly application/json.
        return web.Response(status=status, body=json.dumps(data).encode(),
                            headers={"Content-Type": "application/json", **(headers or {})})

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            files = []
            async for part in await request.multipart():
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(data)
                else:
                    files.append((part.filename or "", bytes(data)))  # type: ignore[union-attr]
            return payload, files
        raw = await request.read()
        return (json.loads(raw) if raw else {}), []

    # ------------------------------------------------------------ rate limits

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if request.path.startswith(API) and "/interactions/" not in request.path and "/webhooks/" not in request.path:
            limited = self._global_limited()
            if limited is not None:
                return limited
        for fragment, count in list(self.rate_limit_next.items()):
            if fragment in request.path and count > 0:
                self.rate_limit_next[fragment] = count - 1
                self.throttled += 1
                return self._too_many(0.05, scope="user")
        response: web.StreamResponse = await handler(request)
        return response

    def _too_many(self, retry_after: float, *, scope: str, is_global: bool = False) -> web.Response:
        headers = {"Via": "1.1 google", "Retry-After": str(max(1, round(retry_after))), "X-RateLimit-Scope": scope}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return self.json({"message": "You are being rate limited.", "retry_after": round(retry_after, 3),
                          "global": is_global}, 429, headers)

    def _global_limited(self) -> web.Response | None:
        if self.global_limit is None:
            return None
        now = time.monotonic()
        while self._global and now - self._global[0] >= 1.0:
            self._global.popleft()
        if len(self._global) >= self.global_limit:
            self.throttled += 1
            return self._too_many(1.0 - (now - self._global[0]), scope="global", is_global=True)
        self._global.append(now)
        return None

    def _channel_bucket(self, channel_id: str) -> tuple[dict[str, str], web.Response | None]:
        limit, per = self.channel_limit
        sent = self._buckets.setdefault(channel_id, collections.deque())
        now = time.monotonic()
        while sent and now - sent[0] >= per:
            sent.popleft()
        if len(sent) >= limit:
            self.throttled += 1
            return {}, self._too_many(per - (now - sent[0]), scope="user")
        sent.append(now)
        reset_after = per - (now - sent[0])
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - len(sent)),
                   "X-RateLimit-Reset-After": f"{reset_after:.3f}", "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                   "X-RateLimit-Bucket": "channel-messages"}
        return headers, None

    # ------------------------------------------------------------ REST

    async def _me(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bot fake-token":
            return self.json({"message": "401: Unauthorized", "code": 0}, 401)
        return self.json(self.bot_user())

    async def _application(self, request: web.Request) -> web.Response:
        return self.json({
            "id": str(APP_ID), "name": "Paper Radar", "description": "", "icon": None, "bot_public": True,
            "bot_require_code_grant": False, "owner": self.bot_user(), "verify_key": "0" * 64, "flags": 0,
            "summary": "", "team": None, "interactions_endpoint_url": None,
        })

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return self.json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})

    async def _put_commands(self, request: web.Request) -> web.Response:
        body, _ = await self._body(request)
        commands: list[dict[str, Any]] = body  # type: ignore[assignment]  # a PUT of commands is a JSON list
        scope = request.match_info.get("guild", "global")
        stored = [{**command, "id": self.snowflake(), "application_id": str(APP_ID), "version": self.snowflake(),
                   **({"guild_id": scope} if scope != "global" else {})} for command in commands]
        self.commands[scope] = stored
        await self._notify()
        return self.json(stored)

    async def _callback(self, request: web.Request) -> web.Response:
        body, files = await self._body(request)
        token = request.match_info["token"]
        self.callbacks.setdefault(token, []).append(body)
        kind = body.get("type")
        data = body.get("data") or {}
        ephemeral = bool((data.get("flags") or 0) & 64)
        answer: dict[str, Any] = {"interaction": {"id": request.match_info["id"], "type": 2,
                                                  "response_message_loading": kind == 5,
                                                  "response_message_ephemeral": ephemeral}}
        if kind in (4, 5, 7):
            message = self.message("0", data, flags=data.get("flags") or 0)
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": kind, "message": message}
            if kind in (4, 7):
                self.sent.append(Sent("callback", token, data, message["id"], ephemeral, files))
        await self._notify()
        return self.json(answer)

    async def _followup(self, request: web.Request) -> web.Response:
        body, files = await self._body(request)
        token = request.match_info["token"]
        message = self.message("0", body, flags=body.get("flags") or 0)
        self.sent.append(Sent("followup", token, body, message["id"], bool((body.get("flags") or 0) & 64), files))
        await self._notify()
        return self.json(message)

    async def _webhook_message(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if request.method == "DELETE":
            self.deleted.append(token)
            await self._notify()
            return web.Response(status=204)
        body, files = await self._body(request)
        message = self.message("0", body)
        if request.method == "PATCH":
            deferred = next((c for c in self.callbacks.get(token, []) if c.get("type") == 5), {})
            ephemeral = bool(((deferred.get("data") or {}).get("flags") or 0) & 64)
            self.sent.append(Sent("original", token, body, message["id"], ephemeral, files))
            await self._notify()
        return self.json(message)

    async def _channel_message(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        if channel in self.fail_channel:
            status, code, text = self.fail_channel[channel]
            return self.json({"message": text, "code": code}, status)
        headers, limited = self._channel_bucket(channel)
        if limited is not None:
            return limited
        body, files = await self._body(request)
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce"):
            for earlier in self.in_channel(channel):
                if earlier.body.get("nonce") == nonce:  # Discord hands back the message it already made
                    return self.json(self.message(channel, earlier.body) | {"id": earlier.message_id}, headers=headers)
        message = self.message(channel, body)
        self.sent.append(Sent("channel", channel, body, message["id"], False, files))
        await self._notify()
        return self.json(message, headers=headers)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(request.match_info["name"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    # ------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if data["op"] == 1:
                    await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif data["op"] == 2:
                    self.identified.append(data["d"])
                    await self._ready(ws, data["d"])
        finally:
            self._sockets.remove(ws)
        return ws

    async def _send_event(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        await ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    async def _ready(self, ws: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        ready = {"v": 10, "user": self.bot_user(), "session_id": "fake-session", "resume_gateway_url": self.gateway_url,
                 "guilds": [{"id": gid, "unavailable": True} for gid in self.guilds],
                 "application": {"id": str(APP_ID), "flags": 0}}
        if "shard" in identify:
            ready["shard"] = identify["shard"]
        await self._send_event(ws, "READY", ready)
        for guild in self.guilds.values():
            await self._send_event(ws, "GUILD_CREATE", guild)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to every connected client (INTERACTION_CREATE, GUILD_DELETE, ...)."""
        for ws in list(self._sockets):
            await self._send_event(ws, event, data)

    def add_guild(self, guild_id: str, channels: dict[str, str]) -> None:
        now = datetime.now(UTC).isoformat()
        self.guilds[guild_id] = {
            "id": guild_id, "name": f"Lab {guild_id[-4:]}", "icon": None, "owner_id": "1", "afk_timeout": 300,
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "mfa_level": 0, "nsfw_level": 0, "premium_tier": 0, "preferred_locale": "en-US", "features": [],
            "roles": [{"id": guild_id, "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                       "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
            "emojis": [], "stickers": [], "members": [], "threads": [], "presences": [], "voice_states": [],
            "member_count": 2, "large": False, "unavailable": False, "joined_at": now,
            "channels": [{"id": cid, "type": 0, "name": name, "position": n, "permission_overwrites": [],
                          "guild_id": guild_id} for n, (cid, name) in enumerate(channels.items())],
        }
