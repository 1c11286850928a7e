"""Helpers for the crash-safety test: a slow Slack fake that keeps channel history, and a database seeder.

The fake records a chat.postMessage as accepted *before* it answers, then waits `delay_s`: a process killed
while the answer is on its way leaves a message Slack has taken that the ledger has not marked sent. That is
the window the crash test aims at. conversations.history / conversations.replies answer from what was posted,
with the messages' metadata, like Slack does with `include_all_metadata`.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.slack.fake_slack import Call, FakeSlack

ARXIV_LINK = re.compile(r"arxiv\.org/abs/([0-9]{4}\.[0-9]{4,5})")


@dataclass
class SlowFakeSlack(FakeSlack):
    delay_s: float = 0.03
    # The first thread reply posted in this channel is accepted, then its answer is held back until `release`
    # is set: the test kills the process meanwhile, so Slack has a message the ledger never marked sent.
    hold_channel: str | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def _api(self, request: Request) -> Response:
        response = await super()._api(request)
        if request.path_params["method"] == "chat.postMessage":
            await asyncio.sleep(self.delay_s)  # accepted and recorded; the answer is still on its way
            replies = [p for p in self.posts(self.hold_channel) if p.get("thread_ts")] if self.hold_channel else []
            if len(replies) == 1 and not self.held.is_set():
                self.held.set()
                await asyncio.to_thread(self.release.wait, 30)  # set by the test thread once it has killed
        return response

    def _answer(self, call: Call) -> Response:
        if call.method in ("conversations.history", "conversations.replies"):
            return self._history(call)
        return super()._answer(call)

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
                message["metadata"] = metadata if isinstance(metadata, dict) else _json(metadata)
            messages.append(message)
        if call.method == "conversations.replies":
            messages.reverse()  # replies come oldest first, parent included
        return JSONResponse({"ok": True, "messages": messages, "has_more": False})

    def arxiv_ids(self, channel: str) -> list[str]:
        """The arXiv ids of the papers a channel received, in message order (each message's blocks)."""
        found: list[str] = []
        for params in self.posts(channel):
            found += ARXIV_LINK.findall(str(params.get("blocks") or params.get("text") or ""))
        return found


def _json(value: Any) -> Any:
    import json

    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
