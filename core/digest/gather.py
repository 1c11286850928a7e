"""Calls that arrive together are answered together: the digest jobs of a minute become a few batches.

At "08:00 local" thousands of channels' jobs fire in the same second. Each job hands its key to a `Gatherer`
and waits; the first one waits `gather_s` for the others, then `handle` answers them in batches of at most
`most` keys, each batch's callers going on (to deliver) as soon as their batch is answered. A key whose
`unique` value is already in a batch waits for the next one (one request per channel per batch).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class Gatherer(Generic[K, R]):
    def __init__(self, handle: Callable[[list[K]], Awaitable[dict[K, R]]], *, gather_s: float, most: int,
                 unique: Callable[[K], Hashable] = lambda key: key,
                 on_unclaimed: Callable[[R], None] = lambda _result: None, in_flight: int = 1) -> None:
        self._handle, self._gather_s, self._most, self._unique = handle, gather_s, most, unique
        self._on_unclaimed = on_unclaimed  # an answer whose caller went away (cancelled) is handed back here
        # Batches handled at once: while one waits on the database (its claims being written), the next is
        # planned; a key whose `unique` value is in a batch under way waits for it to end.
        self._in_flight = max(1, in_flight)
        self._waiting: list[tuple[K, asyncio.Future[R]]] = []
        self._busy: set[Hashable] = set()
        self._worker: asyncio.Task[None] | None = None

    async def __call__(self, key: K) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="gather")
        return await future

    def _next_batch(self) -> list[tuple[K, asyncio.Future[R]]]:
        batch: list[tuple[K, asyncio.Future[R]]] = []
        later: list[tuple[K, asyncio.Future[R]]] = []
        seen: set[Hashable] = set()
        for key, future in self._waiting:
            if future.done():
                continue  # its caller was cancelled before its turn
            unique = self._unique(key)
            if len(batch) >= self._most or unique in seen or unique in self._busy:
                later.append((key, future))
            else:
                seen.add(unique)
                batch.append((key, future))
        self._waiting = later
        return batch

    async def _work(self) -> None:
        running: set[asyncio.Task[None]] = set()
        try:
            await asyncio.sleep(self._gather_s)
            while True:
                batch = self._next_batch() if len(running) < self._in_flight else []
                if batch:
                    running.add(asyncio.create_task(self._answer(batch), name="gather-batch"))
                    await asyncio.sleep(0)  # the batch starts before the next is taken
                elif running:
                    _done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                else:
                    return
        except asyncio.CancelledError:
            for task in running:
                task.cancel()  # each cancels its own callers
            for _key, future in self._waiting:  # stopped (the clock shuts down): no caller waits forever
                future.cancel()
            self._waiting = []
            raise

    async def _answer(self, batch: list[tuple[K, asyncio.Future[R]]]) -> None:
        uniques = {self._unique(key) for key, _ in batch}
        self._busy |= uniques
        try:
            answers = await self._handle([key for key, _ in batch])
        except asyncio.CancelledError:
            for _key, future in batch:
                future.cancel()
            raise
        except Exception as error:
            for _key, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        finally:
            self._busy -= uniques
        for key, future in batch:
            if future.done():  # cancelled while its batch was handled
                if key in answers:
                    self._on_unclaimed(answers[key])
            elif key in answers:
                future.set_result(answers[key])
            else:
                future.set_exception(LookupError(f"no answer for {key!r}"))
        await asyncio.sleep(0)  # let the answered callers start before the next batch
