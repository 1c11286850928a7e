"""A loopback fake of Slack's Web API and of `response_url`, served by uvicorn on 127.0.0.1 in a thread.

It answers what Paper Radar and bolt call (auth.test, users.info, chat.postMessage, conversations.*,
oauth.v2.access, and files upload: files.getUploadURLExternal, the upload URL, files.completeUploadExternal,
one or several files at once, with their alt text),
records every call, and can be told to fail: per-channel scripted errors, 429s with
Retry-After, or a strict one-message-per-second-per-channel rule like Slack's. conversations.history and
conversations.replies answer from what was posted, with the messages' metadata (as with `include_all_metadata`);
given `members`, only in channels the bot is in (conversations.join adds one), as Slack has it. `hold` keeps
the answer to one accepted message back until `release` is set: the message is in the channel, and the caller
has not heard so (a crash then leaves it unmarked).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.loopback import free_port

TEAM = "T0000001"
BOT_USER = "UBOT0001"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float


@dataclass
class FakeSlack:
    team_id: str = TEAM
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # chat.postMessage outcomes to play first, per channel: "ok", "429", or an error like "channel_not_found".
    scripted: dict[str, list[str]] = field(default_factory=dict)
    retry_after: int = 0
    min_interval_s: float | None = None  # enforce Slack's one message per second per channel
    revoked_tokens: set[str] = field(default_factory=set)
    token_teams: dict[str, str] = field(default_factory=dict)  # which workspace a token belongs to
    oauth_grants: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> oauth.v2.access answer
    calls: list[Call] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (response_url key, body)
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> the bytes sent to its upload URL
    files_error: str | None = None  # files.getUploadURLExternal answers this error (e.g. "missing_scope")
    base_url: str = ""
    socket_url: str = ""
    socket_outbox: list[dict[str, Any]] = field(default_factory=list)  # Socket Mode envelopes to deliver
    socket_inbox: list[dict[str, Any]] = field(default_factory=list)  # what the app sent back on the socket
    # The channels the bot is a member of, for reading them; None: membership is not modelled (reading works).
    members: set[str] | None = None
    hold: tuple[str, int] | None = None  # (channel, n): the n-th message accepted there waits for `release`
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _last_post: dict[str, float] = field(default_factory=dict)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------ what tests read

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.base_url}/response/{key}"

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Accepted chat.postMessage payloads, in the order Slack took them."""
        return [c.params for c in self.calls if c.method == "chat.postMessage" and c.params.get("_accepted")
                and (channel is None or c.params.get("channel") == channel)]

    def shared_files(self) -> list[dict[str, Any]]:
        """Files shared into a channel (refused completions left out): each with its channel, title, comment, name,
        alt text (as given to files.getUploadURLExternal) and the uploaded bytes."""
        asked = {f"F{n:07d}": call.params for n, call in enumerate(self.called("files.getUploadURLExternal"), 1)}
        shared = []
        for call in self.called("files.completeUploadExternal"):
            if not call.params.get("_shared"):
                continue  # refused: nothing reached the channel
            for entry in json.loads(call.params.get("files") or "[]"):
                upload = asked.get(entry.get("id"), {})
                shared.append({"channel": call.params.get("channel_id"), "title": entry.get("title"),
                               "comment": call.params.get("initial_comment"), "filename": upload.get("filename"),
                               "alt": upload.get("alt_txt"), "content": self.uploads.get(entry.get("id"), b"")})
        return shared

    def answers(self, key: str | None = None) -> list[dict[str, Any]]:
        return [body for k, body in self.responses if key is None or k == key]

    async def wait_for_answers(self, count: int, key: str | None = None, within: float = 10.0,
                               settle: float = 0.05) -> list[dict[str, Any]]:
        """At least `count` answers to `key`, waiting up to `within` seconds; then `settle` seconds more, so that
        a stray extra answer arrives and tests can assert on the exact count."""
        deadline = time.monotonic() + within
        while len(self.answers(key)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} response_url posts, got {self.answers(key)}")
            await asyncio.sleep(0.005)
        if settle:
            await asyncio.sleep(settle)
        return self.answers(key)

    def add_user(self, user_id: str, *, admin: bool = False, owner: bool = False, name: str = "",
                 tz: str | None = None) -> None:
        """A user as users.info describes one; `tz` adds the time zone fields Slack sends for it."""
        self.users[user_id] = {"id": user_id, "team_id": self.team_id, "name": name or user_id.lower(),
                               "is_admin": admin, "is_owner": owner, "is_primary_owner": False,
                               "profile": {"display_name": name or user_id.lower()}}
        if tz:
            offset = datetime.now(ZoneInfo(tz)).utcoffset() or timedelta(0)
            label = datetime.now(ZoneInfo(tz)).tzname() or tz
            self.users[user_id].update(tz=tz, tz_label=label, tz_offset=int(offset.total_seconds()))

    # ------------------------------------------------------------ the server

    def asgi(self) -> Starlette:
        return Starlette(routes=[
            Route("/api/{method}", self._api, methods=["GET", "POST"]),
            Route("/response/{key}", self._respond, methods=["POST"]),
            Route("/upload/{file_id}", self._upload, methods=["POST"]),
        ])

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        kind = request.headers.get("content-type", "")
        if body and "json" in kind:
            params.update(json.loads(body))
        elif body:
            params.update(dict(parse_qsl(body.decode())))
        for name in ("blocks", "attachments"):
            if isinstance(params.get(name), str):
                params[name] = json.loads(params[name])
        return params

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        params = await self._params(request)
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.get("token")
        with self._lock:
            call = Call(method, params, token, time.monotonic())
            self.calls.append(call)
            response = self._answer(call)
            holding = (self.hold is not None and call.params.get("_accepted")
                       and call.params.get("channel") == self.hold[0] and len(self.posts(self.hold[0])) == self.hold[1])
        if holding:
            self.held.set()
            await asyncio.to_thread(self.release.wait, 30)
        return response

    def _answer(self, call: Call) -> Response:
        if call.method != "oauth.v2.access" and call.token in self.revoked_tokens:
            return JSONResponse({"ok": False, "error": "token_revoked"})
        if call.method == "auth.test":
            return JSONResponse({"ok": True, "url": "https://fake.slack.test/", "team": "Fake", "user": "radar",
                                 "team_id": self.token_teams.get(call.token or "", self.team_id),
                                 "user_id": BOT_USER, "bot_id": "BBOT0001"},
                                headers={"x-oauth-scopes": "commands,chat:write"})
        if call.method == "users.info":
            user = self.users.get(str(call.params.get("user")))
            return JSONResponse({"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"})
        if call.method == "chat.postMessage":
            return self._post_message(call)
        if call.method == "oauth.v2.access":
            grant = self.oauth_grants.get(str(call.params.get("code")))
            return JSONResponse(grant if grant else {"ok": False, "error": "invalid_code"})
        if call.method == "files.getUploadURLExternal":
            if self.files_error:
                return JSONResponse({"ok": False, "error": self.files_error})
            file_id = f"F{len(self.called(call.method)):07d}"
            return JSONResponse({"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}/upload/{file_id}"})
        if call.method == "files.completeUploadExternal":
            if self.members is not None and call.params.get("channel_id") not in self.members:
                return JSONResponse({"ok": False, "error": "not_in_channel"})  # files are shared by members only
            files = json.loads(call.params.get("files") or "[]")
            missing = [f["id"] for f in files if f.get("id") not in self.uploads]
            if missing:
                return JSONResponse({"ok": False, "error": "file_not_found"})
            call.params["_shared"] = True
            return JSONResponse({"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]})
        if call.method == "apps.connections.open":
            return JSONResponse({"ok": True, "url": self.socket_url})
        if call.method == "conversations.join" and self.members is not None:
            self.members.add(str(call.params.get("channel")))
        if call.method in ("conversations.history", "conversations.replies"):
            if self.members is not None and call.params.get("channel") not in self.members:
                return JSONResponse({"ok": False, "error": "not_in_channel"})
            return self._history(call)
        if call.method.startswith("conversations."):
            return JSONResponse({"ok": True, "channel": {"id": call.params.get("channel"), "is_member": True}})
        return JSONResponse({"ok": False, "error": "unknown_method"})

    def _history(self, call: Call) -> Response:
        channel = call.params.get("channel")
        parent = call.params.get("ts")
        messages = []
        for params in reversed(self.posts(str(channel))):  # newest first, like Slack
            thread = params.get("thread_ts")
            if call.method == "conversations.replies":
                if params["_ts"] != parent and thread != parent:
                    continue
            elif thread:  # history lists top-level messages only
                continue
            message: dict[str, Any] = {"type": "message", "ts": params["_ts"], "text": params.get("text", "")}
            if thread:
                message["thread_ts"] = thread
            if params.get("metadata"):
                metadata = params["metadata"]
                message["metadata"] = metadata if isinstance(metadata, dict) else json.loads(metadata)
            messages.append(message)
        if call.method == "conversations.replies":
            messages.reverse()  # replies come oldest first, parent included
        return JSONResponse({"ok": True, "messages": messages, "has_more": False})

    def _post_message(self, call: Call) -> Response:
        channel = str(call.params.get("channel"))
        script = self.scripted.get(channel)
        if script:
            outcome = script.pop(0)
            if outcome == "ok":
                return self._accept(call, channel)
            if outcome == "429":
                return JSONResponse({"ok": False, "error": "ratelimited"}, status_code=429,
                                    headers={"Retry-After": str(self.retry_after)})
            return JSONResponse({"ok": False, "error": outcome})
        if self.min_interval_s is not None:
            last = self._last_post.get(channel)
            if last is not None and call.at - last < self.min_interval_s:
                return JSONResponse({"ok": False, "error": "ratelimited"}, status_code=429,
                                    headers={"Retry-After": "1"})
            self._last_post[channel] = call.at
        return self._accept(call, channel)

    def _accept(self, call: Call, channel: str) -> Response:
        number = next(self._ts)
        ts = f"{1_700_000_000 + number}.{number:06d}"
        call.params["_accepted"] = True
        call.params["_ts"] = ts
        return JSONResponse({"ok": True, "channel": channel, "ts": ts,
                             "message": {"text": call.params.get("text", ""), "ts": ts}})

    async def _upload(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.uploads[request.path_params["file_id"]] = body
        return PlainTextResponse(f"OK - {len(body)}")

    async def _respond(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        with self._lock:
            self.responses.append((request.path_params["key"], body))
        return PlainTextResponse("ok")


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own handlers
        pass


@contextmanager
def serve_fake(fake: FakeSlack) -> Iterator[FakeSlack]:
    """Run `fake` on a free loopback port for the duration of the block."""
    port = free_port()
    server = _Server(uvicorn.Config(fake.asgi(), host="127.0.0.1", port=port, log_level="warning",
                                    lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the fake Slack server did not start")
        time.sleep(0.01)
    fake.base_url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@contextmanager
def serve_socket(fake: FakeSlack) -> Iterator[str]:
    """Socket Mode's websocket on loopback (aiohttp's server: uvicorn here has no websocket library).

    It says hello, delivers what tests put in `fake.socket_outbox`, and keeps what the app sends back."""
    from aiohttp import WSMsgType, web

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0000001"}})

        async def deliver() -> None:
            while not ws.closed:
                with fake._lock:
                    outgoing, fake.socket_outbox[:] = list(fake.socket_outbox), []
                for envelope in outgoing:
                    await ws.send_json(envelope)
                await asyncio.sleep(0.01)

        pump = asyncio.create_task(deliver())
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                with fake._lock:
                    fake.socket_inbox.append(json.loads(message.data))
        pump.cancel()
        return ws

    port = free_port()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    application = web.Application()
    application.router.add_get("/socket", socket)
    runner = web.AppRunner(application)

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    fake.socket_url = f"ws://127.0.0.1:{port}/socket"
    try:
        yield fake.socket_url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
