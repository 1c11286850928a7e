"""Slack under a hung arXiv: lookups wait (boundedly) for arXiv, `list` and `status` do not wait for them.

Before, every acked command took one of the adapter's eight answer slots for as long as it ran: eight lookups
hanging on arXiv held them all, and `list` was answered when arXiv came back (9 minutes in the adversarial
run). Lookups are bounded by core's own pool and deadline now, and leave the answer slots to the rest.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bots.slack.listeners import ANSWER_SLOTS
from tests.slack.conftest import Harness, source_router, text_of

AT_ONCE = 2.0


async def test_list_and_status_are_answered_at_once_while_lookups_hang_on_arxiv(make_harness: Any) -> None:
    router, opened, reached = source_router(), asyncio.Event(), asyncio.Event()
    lookup = next(answer for source, prefix, answer in router.routes if prefix == "/api/query")

    async def hung(request: httpx.Request) -> httpx.Response:
        reached.set()
        await opened.wait()
        return lookup(request)

    router.add("arxiv_api", "/api/query", hung)
    harness: Harness = await make_harness(router)
    await harness.ask("subscribe category cs.LG")
    held = [await harness.command("paper 2401.01234") for _ in range(ANSWER_SLOTS + 1)]
    assert all(ack.status_code == 200 and ack.content == b"" for ack, _ in held)
    await asyncio.wait_for(reached.wait(), 10)  # the first lookup is at arXiv, the rest wait their turn

    started = time.monotonic()
    (listing,) = await asyncio.wait_for(harness.ask("list"), AT_ONCE)
    assert "cs.LG" in text_of(listing)
    (status,) = await asyncio.wait_for(harness.ask("status"), AT_ONCE)
    assert "Paper Radar status" in text_of(status) and "*Subscriptions*\\n1" in text_of(status)
    assert time.monotonic() - started < AT_ONCE
    assert all(not harness.fake.answers(key) for _, key in held)  # the lookups are still waiting for arXiv

    opened.set()
    for _, key in held:
        (card,) = await harness.fake.wait_for_answers(1, key)
        assert "2401.01234" in text_of(card) or "arxiv.org/abs/2401.01234" in text_of(card), card
    assert harness.app.sources.lookups_running == 0
