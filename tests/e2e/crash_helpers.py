"""Helpers for the crash-safety test: a slow Slack fake that keeps channel history, and a database seeder.

The fake records a chat.postMessage as accepted *before* it answers, then waits `delay_s`: a process killed
while the answer is on its way leaves a message Slack has taken that the ledger has not marked sent. That is
the window the crash test aims at. conversations.history / conversations.replies answer from what was posted
(the base fake does that).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from tests.slack.fake_slack import FakeSlack

ARXIV_LINK = re.compile(r"arxiv\.org/abs/([0-9]{4}\.[0-9]{4,5})")


@dataclass
class SlowFakeSlack(FakeSlack):
    delay_s: float = 0.03
    # The first thread reply posted in this channel is accepted, then its answer is held back until `release`
    # is set: the test kills the process meanwhile, so Slack has a message the ledger never marked sent.
    hold_channel: str | None = None  # (`held` and `release` are the base fake's)

    async def _api(self, request: Request) -> Response:
        response = await super()._api(request)
        if request.path_params["method"] == "chat.postMessage":
            await asyncio.sleep(self.delay_s)  # accepted and recorded; the answer is still on its way
            replies = [p for p in self.posts(self.hold_channel) if p.get("thread_ts")] if self.hold_channel else []
            if len(replies) == 1 and not self.held.is_set():
                self.held.set()
                await asyncio.to_thread(self.release.wait, 30)  # set by the test thread once it has killed
        return response

    def arxiv_ids(self, channel: str) -> list[str]:
        """The arXiv ids of the papers a channel received, in message order (each message's blocks)."""
        found: list[str] = []
        for params in self.posts(channel):
            found += ARXIV_LINK.findall(str(params.get("blocks") or params.get("text") or ""))
        return found

