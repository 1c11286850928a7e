"""Digests delivered to Slack: one thread, in order, once; 429s waited out; lost channels paused."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlmodel import col, select

from bots.slack.sink import ChannelPacer, classify
from core.digest.deliver import deliver_run
from core.storage.models import DeliveryRow, DestinationRow, DigestRunRow
from tests.slack.blockcheck import check_message
from tests.slack.conftest import CHANNEL, Harness, add_papers, text_of


def numbers(post: dict[str, Any]) -> list[int]:
    return [int(n) for n in re.findall(r"\*(\d+)\. <https://", json.dumps(post["blocks"]))]


async def ledger(harness: Harness) -> list[DeliveryRow]:
    async with harness.app.db.session() as session:
        return list((await session.exec(select(DeliveryRow).order_by(col(DeliveryRow.position)))).all())


async def destination(harness: Harness, channel: str = CHANNEL) -> DestinationRow:
    async with harness.app.db.session() as session:
        found = (await session.exec(select(DestinationRow).where(DestinationRow.channel_id == channel))).one()
    return found


async def channel_with_papers(harness: Harness, count: int, channel: str = CHANNEL) -> list[str]:
    harness.slack.sink.pacer = ChannelPacer(0.1)  # order and threading, not pacing, are tested here: go faster
    ids = await add_papers(harness.app, count)
    await harness.ask("subscribe category cs.LG", channel=channel)
    await harness.ask(f"settings max {count}", channel=channel)
    return ids


def assert_one_thread_in_order(posts: list[dict[str, Any]], count: int) -> None:
    top, replies = posts[0], posts[1:]
    assert "thread_ts" not in top and top["blocks"][0]["type"] == "header"
    assert all(p["thread_ts"] == top["_ts"] for p in replies)
    assert [n for p in posts for n in numbers(p)] == list(range(1, count + 1))
    for part, post in enumerate(posts, 1):
        check_message(post)
        if len(posts) > 1:
            assert f"part {part} of {len(posts)}" in text_of(post)


async def test_digest_is_one_thread_in_order_and_marked_sent_per_message(harness: Harness) -> None:
    ids = await channel_with_papers(harness, 23)
    (sent,) = await harness.ask("digest now")
    assert "Sent the digest: 23 new papers" in text_of(sent)
    posts = harness.fake.posts(CHANNEL)
    assert len(posts) == 3  # the header with 5 papers, then 10 and 8 in its thread
    assert_one_thread_in_order(posts, 23)
    rows = await ledger(harness)
    assert [r.paper_id for r in rows] == ids and {r.state for r in rows} == {"sent"}
    by_message = [r.message_id for r in rows]
    assert by_message == [posts[0]["_ts"]] * 5 + [posts[1]["_ts"]] * 10 + [posts[2]["_ts"]] * 8


async def test_429_twice_then_accepted_lands_once_in_order(harness: Harness) -> None:
    await channel_with_papers(harness, 12)
    harness.fake.scripted[CHANNEL] = ["429", "429"]
    (sent,) = await harness.ask("digest now")
    assert "Sent the digest: 12 new papers" in text_of(sent)
    posts = harness.fake.posts(CHANNEL)
    attempts = [c for c in harness.fake.called("chat.postMessage") if c.params.get("channel") == CHANNEL]
    assert len(attempts) == len(posts) + 2
    assert_one_thread_in_order(posts, 12)
    assert len({json.dumps(p["blocks"]) for p in posts}) == len(posts)  # nothing posted twice


async def test_channel_not_found_pauses_and_keeps_subscriptions(harness: Harness) -> None:
    await channel_with_papers(harness, 4)
    harness.fake.scripted[CHANNEL] = ["channel_not_found"]
    (answer,) = await harness.ask("digest now")
    assert "channel_not_found" in text_of(answer)
    record = await destination(harness)
    assert record.paused and "channel_not_found" in (record.paused_reason or "")
    (status,) = await harness.ask("list")
    assert "cs.LG" in text_of(status)  # the subscription is still there
    (answer,) = await harness.ask("status")
    assert "channel_not_found" in text_of(answer)
    assert await ledger(harness) == []  # nothing claimed stays stuck: it comes back after `resume`


async def test_failure_midway_resumes_in_the_same_thread(harness: Harness) -> None:
    ids = await channel_with_papers(harness, 23)
    harness.fake.scripted[CHANNEL] = ["ok", "fatal_error"]
    (answer,) = await harness.ask("digest now")
    assert "will be retried" in text_of(answer)
    (top,) = harness.fake.posts(CHANNEL)
    async with harness.app.db.session() as session:
        run = (await session.exec(select(DigestRunRow))).one()
    assert run.state == "retry" and run.messages == [top["_ts"]]
    assert run.id is not None
    outcome = await deliver_run(harness.app, run.id)
    assert outcome.state == "done" and outcome.sent == 18
    posts = harness.fake.posts(CHANNEL)
    assert len(posts) == 3 and all(p["thread_ts"] == top["_ts"] for p in posts[1:])
    assert "(continued)" in text_of(posts[1])
    assert [n for p in posts for n in numbers(p)] == [1, 2, 3, 4, 5, *range(1, 19)]
    rows = await ledger(harness)
    assert [r.paper_id for r in rows] == ids and {r.state for r in rows} == {"sent"}


async def test_refused_blocks_are_sent_as_text_instead_of_lost(harness: Harness) -> None:
    await channel_with_papers(harness, 3)
    harness.fake.scripted[CHANNEL] = ["invalid_blocks"]
    (sent,) = await harness.ask("digest now")
    assert "Sent the digest: 3" in text_of(sent)
    (post,) = harness.fake.posts(CHANNEL)
    assert "blocks" not in post and "Diffusion paper 1" in post["text"] and "Diffusion paper 3" in post["text"]
    assert {r.state for r in await ledger(harness)} == {"sent"}


async def test_paced_to_one_message_per_second_per_channel(harness: Harness) -> None:
    harness.fake.min_interval_s = 1.0  # the fake answers 429 to anything faster
    await channel_with_papers(harness, 16, channel="C0000001")
    harness.slack.sink.pacer = ChannelPacer()  # the real one: a second between two messages to a channel
    await harness.ask("subscribe category cs.LG", channel="C0000002")
    await harness.ask("settings max 16", channel="C0000002")
    started = time.monotonic()
    first, second = await asyncio.gather(harness.ask("digest now"), harness.ask("digest now", channel="C0000002"))
    assert "Sent the digest: 16" in text_of(first[0]) and "Sent the digest: 16" in text_of(second[0])
    # Three messages a channel, a second apart; the two channels go out side by side.
    assert 2.0 <= time.monotonic() - started < 3.5
    attempts = harness.fake.called("chat.postMessage")
    assert len(attempts) == len(harness.fake.posts()) == 6  # not a single 429


async def test_pacer_spaces_one_channel_and_not_others() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=sleep)
    for channel in ("T/C1", "T/C1", "T/C2", "T/C1"):
        async with pacer.turn(channel):
            now[0] += 0.25  # Slack takes a quarter second to answer
    assert slept == [1.0, 0.75]


def _error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> SlackApiError:
    response = AsyncSlackResponse(client=None, http_verb="POST", api_url="x", req_args={}, data=body,
                                  headers=headers or {}, status_code=status)
    return SlackApiError("failed", response)


@pytest.mark.parametrize(("status", "code", "pause", "retry_after"), [
    (429, "ratelimited", False, 7.0),
    (200, "channel_not_found", True, None),
    (200, "not_in_channel", True, None),
    (200, "is_archived", True, None),
    (200, "account_inactive", True, None),
    (200, "token_revoked", True, None),
    (200, "invalid_auth", True, None),
    (500, "internal_error", False, None),
    (200, "fatal_error", False, None),
])
def test_errors_are_sorted_into_pause_or_retry(status: int, code: str, pause: bool, retry_after: float | None) -> None:
    error = classify(_error(status, {"ok": False, "error": code}, {"Retry-After": "7"}))
    assert error.pause is pause and error.retry_after == retry_after and code in error.reason
