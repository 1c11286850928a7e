"""The gatherer behind the clock's crowded minute: calls arriving together are answered in batches, a caller
that went away hands its answer back, and one channel is never twice in a batch."""

from __future__ import annotations

import asyncio

import pytest

from core.digest.gather import Gatherer


async def test_calls_arriving_together_are_answered_in_batches_of_at_most_most() -> None:
    batches: list[list[int]] = []

    async def handle(keys: list[int]) -> dict[int, str]:
        batches.append(keys)
        return {k: f"run {k}" for k in keys}

    gather = Gatherer(handle, gather_s=0.01, most=4)
    answers = await asyncio.gather(*(gather(k) for k in range(10)))
    assert answers == [f"run {k}" for k in range(10)]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_the_same_channel_twice_waits_for_the_next_batch() -> None:
    batches: list[list[tuple[int, int]]] = []

    async def handle(keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
        batches.append(keys)
        return {k: k[1] for k in keys}

    gather = Gatherer(handle, gather_s=0.01, most=10, unique=lambda key: key[0])
    assert await asyncio.gather(gather((7, 0)), gather((7, 1)), gather((8, 0))) == [0, 1, 0]
    assert batches == [[(7, 0), (8, 0)], [(7, 1)]]


async def test_an_answer_whose_caller_was_cancelled_is_handed_back() -> None:
    release, handed_back = asyncio.Event(), []

    async def handle(keys: list[int]) -> dict[int, str]:
        await release.wait()  # claiming takes a while; meanwhile the caller is cancelled (SIGTERM)
        return {k: f"run {k}" for k in keys}

    gather = Gatherer(handle, gather_s=0, most=10, on_unclaimed=handed_back.append)
    caller, other = asyncio.create_task(gather(1)), asyncio.create_task(gather(2))
    await asyncio.sleep(0.05)
    caller.cancel()
    release.set()
    assert await other == "run 2"
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert handed_back == ["run 1"]  # the claimed run is let go (the tick resumes it), not kept as under way


async def test_a_failed_batch_fails_its_callers_and_the_next_batch_still_runs() -> None:
    calls = 0

    async def handle(keys: list[int]) -> dict[int, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the database went away")
        return {k: k for k in keys}

    gather = Gatherer(handle, gather_s=0.01, most=2)
    results = await asyncio.gather(*(gather(k) for k in range(4)), return_exceptions=True)
    assert [type(r).__name__ for r in results[:2]] == ["ConnectionError"] * 2 and results[2:] == [2, 3]


async def test_two_batches_in_flight_overlap_and_a_channel_never_is_in_both() -> None:
    """With `in_flight=2` the next batch is planned while the first waits (on the database, in the clock); the
    same channel's second job waits until its first batch is over."""
    started: list[list[tuple[int, int]]] = []
    both_started = asyncio.Event()

    async def handle(keys: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
        started.append(keys)
        if len(started) == 2:
            both_started.set()
        await asyncio.wait_for(both_started.wait(), 2)  # one batch at a time would time out here
        return {k: f"run {k}" for k in keys}

    gather = Gatherer(handle, gather_s=0.01, most=2, unique=lambda key: key[0], in_flight=2)
    keys = [(7, 0), (8, 0), (7, 1), (9, 0), (10, 0)]
    assert await asyncio.gather(*(gather(k) for k in keys)) == [f"run {k}" for k in keys]
    assert started[:2] == [[(7, 0), (8, 0)], [(9, 0), (10, 0)]]  # 7's second job waited for 7's first batch
    assert started[2:] == [[(7, 1)]]


async def test_stopping_the_gatherer_cancels_every_batch_under_way_and_every_waiting_caller() -> None:
    release = asyncio.Event()

    async def handle(keys: list[int]) -> dict[int, str]:
        await release.wait()
        return {k: "run" for k in keys}

    gather = Gatherer(handle, gather_s=0, most=1, in_flight=2)
    callers = [asyncio.create_task(gather(k)) for k in range(4)]
    await asyncio.sleep(0.05)
    assert gather._worker is not None
    gather._worker.cancel()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
