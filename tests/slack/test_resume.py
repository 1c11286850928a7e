"""Resumed Slack digests: the same messages as the first try, a message found already posted marks exactly its
papers, an interrupted delivery (a crash, the database failing to mark a message) never posts anything twice
and never loses a paper, and reading the channel for that check works in public channels the bot never joined.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from core.digest.deliver import resume_pending, run_digest
from core.model.enums import RunKind
from core.storage.models import DeliveryRow, DigestRunRow
from tests.digest.conftest import database_down, tracebacks
from tests.slack.conftest import CHANNEL, Harness
from tests.slack.test_sink import channel_with_papers, destination

PAPER = re.compile(r"arxiv\.org/abs/(2411\.\d{5})")


def papers_of(post: dict[str, Any]) -> list[str]:
    """The papers a message carried, in order (each title links to its arXiv page)."""
    return [f"arXiv:{found}" for found in dict.fromkeys(PAPER.findall(str(post.get("blocks") or post.get("text"))))]


async def rows(harness: Harness) -> list[DeliveryRow]:
    async with harness.app.db.session() as session:
        return list((await session.exec(select(DeliveryRow).order_by(col(DeliveryRow.position)))).all())


async def assert_each_paper_once(harness: Harness, ids: list[str], sizes: list[int]) -> None:
    """Every paper posted once, in order, in messages of these sizes; each marked sent with the ts of the
    message that really carried it."""
    posts = harness.fake.posts(CHANNEL)
    carried = [papers_of(post) for post in posts]
    assert [len(c) for c in carried] == sizes, carried
    assert [p for c in carried for p in c] == ids
    ts_of = {paper: post["_ts"] for post, papers in zip(posts, carried, strict=True) for paper in papers}
    ledger_rows = await rows(harness)
    assert {r.state for r in ledger_rows} == {"sent"}
    assert {r.paper_id: r.message_id for r in ledger_rows} == ts_of
    assert all(p.get("thread_ts") == posts[0]["_ts"] for p in posts[1:])


async def wait_until_held(harness: Harness, task: asyncio.Task[Any]) -> None:
    for _ in range(1000):
        if harness.fake.held.is_set():
            return
        assert not task.done(), task
        await asyncio.sleep(0.01)
    raise AssertionError("Slack never took the held message")


async def crash_while_held(harness: Harness, destination_id: int, message: int) -> None:
    """Deliver the digest and kill the delivery while Slack holds its answer to message `message`: Slack has the
    message, the ledger never hears of it."""
    harness.fake.hold = (CHANNEL, message)
    task = asyncio.create_task(run_digest(harness.app, destination_id, kind=RunKind.NOW))
    await wait_until_held(harness, task)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    harness.fake.release.set()
    harness.fake.hold = None


async def test_a_crash_while_slack_holds_message_two_of_three_loses_and_repeats_nothing(harness: Harness) -> None:
    ids = await channel_with_papers(harness, 25)  # a header with 5 papers, then 10 and 10 in its thread
    record = await destination(harness)
    assert record.id is not None
    await crash_while_held(harness, record.id, message=2)
    assert [len(papers_of(p)) for p in harness.fake.posts(CHANNEL)] == [5, 10]
    assert sum(r.state == "sent" for r in await rows(harness)) == 5  # message 2 is out, but not marked

    outcomes = await resume_pending(harness.app)  # the restarted clock, or the next tick
    assert [o.state for o in outcomes] == ["done"]
    await assert_each_paper_once(harness, ids, [5, 10, 10])
    # Message 2 was found in the thread (not posted again) and marked with exactly its own ten papers.
    assert len(harness.fake.called("chat.postMessage")) == 3


async def test_database_down_when_marking_the_top_message_then_resumed_with_a_check(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack takes the top message and the database fails to mark it (and to record the failure): the run is
    left to resume, and the resume finds the top message instead of posting it a second time."""
    caplog.set_level(logging.INFO)
    ids = await channel_with_papers(harness, 25)
    record = await destination(harness)
    assert record.id is not None
    with database_down("mark_sent", "record_failure") as failed:
        outcome = await run_digest(harness.app, record.id, kind=RunKind.NOW)
    assert failed == ["mark_sent", "record_failure"]
    assert outcome.state == "retry" and outcome.sent == 0
    assert len(harness.fake.posts(CHANNEL)) == 1
    async with harness.app.db.session() as session:
        run = (await session.exec(select(DigestRunRow))).one()
    assert run.state == "sending" and run.messages == []  # nothing recorded: the database was down

    outcomes = await resume_pending(harness.app)  # the next tick, the database back
    assert [o.state for o in outcomes] == ["done"]
    await assert_each_paper_once(harness, ids, [5, 10, 10])
    assert tracebacks(caplog) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "will be resumed" in warnings[0] and "OperationalError" in warnings[0]


async def test_database_down_between_messages_leaves_the_run_to_the_next_tick(harness: Harness) -> None:
    ids = await channel_with_papers(harness, 25)
    record = await destination(harness)
    assert record.id is not None
    with database_down("mark_sent", on_calls={2}):  # Slack took message 2; the ledger cannot mark it
        outcome = await run_digest(harness.app, record.id, kind=RunKind.NOW)
    assert outcome.state == "retry" and outcome.sent == 5
    async with harness.app.db.session() as session:
        run = (await session.exec(select(DigestRunRow))).one()
    # Left for the next tick at once (no retry wait: nothing is wrong with the channel), the attempt counted.
    assert run.state == "sending" and run.lease_until is None and run.attempts == 1 and run.id is not None
    assert [o.state for o in await resume_pending(harness.app)] == ["done"]
    await assert_each_paper_once(harness, ids, [5, 10, 10])


async def test_a_public_channel_never_joined_is_joined_to_check_what_was_posted(harness: Harness) -> None:
    """Digests reach a public channel without membership (chat:write.public); reading it needs membership, so
    the resumed run joins before looking. Without that the check fails and the top message goes out twice."""
    harness.fake.members = set()  # the bot is in no channel
    ids = await channel_with_papers(harness, 8)  # a header with 5, then 3 in its thread
    record = await destination(harness)
    assert record.id is not None
    await crash_while_held(harness, record.id, message=1)
    async with harness.app.db.session() as session:
        run = (await session.exec(select(DigestRunRow))).one()
        run.lease_until = datetime.now(UTC) - timedelta(seconds=1)  # a restarted process, the lease run out
        session.add(run)
        await session.commit()
    harness.app.instance_id = "elsewhere:1:restarted"

    outcomes = await resume_pending(harness.app)
    assert [o.state for o in outcomes] == ["done"]
    await assert_each_paper_once(harness, ids, [5, 3])
    assert [c.params.get("channel") for c in harness.fake.called("conversations.join")] == [CHANNEL]
    assert CHANNEL in harness.fake.members
