"""The clock keeps the cyclic garbage collector out of a crowded minute: its batches in flight each open a
`results_kept_unscanned` region across their awaits, and the collector runs again only when the last closes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from core.digest.matching import results_kept_unscanned


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


async def test_the_collector_waits_until_the_last_of_overlapping_regions_closes() -> None:
    first_in, second_in, first_out = asyncio.Event(), asyncio.Event(), asyncio.Event()
    seen: list[bool] = []

    async def first() -> None:
        with results_kept_unscanned():
            first_in.set()
            await second_in.wait()
        first_out.set()

    async def second() -> None:
        await first_in.wait()
        with results_kept_unscanned():
            second_in.set()
            await first_out.wait()
            seen.append(gc.isenabled())  # the first batch is done, this one is not

    await asyncio.gather(first(), second())
    assert seen == [False]
    assert gc.isenabled()


def test_a_region_leaves_a_collector_the_application_stopped_stopped() -> None:
    gc.disable()
    with results_kept_unscanned():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_what_a_region_made_is_filed_as_old_without_a_young_collection() -> None:
    with results_kept_unscanned():
        made = [[n] for n in range(50_000)]  # tracked containers: each would count in the youngest generation
        assert gc.get_count()[0] >= 50_000
    assert gc.get_count()[0] < 1_000  # moved to the oldest generation, unscanned
    assert len(made) == 50_000


def test_a_region_that_fails_still_lets_the_collector_run_again() -> None:
    with pytest.raises(RuntimeError), results_kept_unscanned():
        raise RuntimeError("a batch failed")
    assert gc.isenabled()
    with results_kept_unscanned():
        assert not gc.isenabled()
    assert gc.isenabled()
