"""When source requests may start, and how long source work may take.

`Pacer` spaces request starts (arXiv asks for one request every 3 s on one connection, across its API and
feeds) and reports how many are waiting for their turn.

Overall deadlines: a timeout per read does not bound a request (a server trickling a byte every 5 s never trips
it), and a bound per request does not bound a lookup that makes several of them, with retries and a wait for
arXiv's pacer in between. So whoever starts source work that must end (a lookup a person waits for, the feed an
ingest reads) opens a `deadline`; every `SourceClient` request made inside it, in this task or in tasks it
starts, reads the remaining time: it waits for its pacer turn, its exchange and its retries only as long as the
budget lasts, and then fails like any source that did not answer (`Unavailable(..., "did not answer in
time")`). Callers handle that as they handle any `SourceError`: an optional extra is left out, a saved profile
is served stale, and the person gets a Problem naming the source, instead of a lookup cancelled halfway
through its database work.

`interactive` marks budgets someone is waiting on: those are refused at once when a serial pacer is backed
up, instead of queueing behind it (`Pacer.backed_up`). Background work (ingest) queues.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class Pacer:
    """Spaces request starts at least `interval` seconds apart; `serial` also allows one request at a time.

    Several clients can share one pacer (arXiv's API and feed hosts do). Clock and sleep are injectable so
    that tests check the spacing without waiting for it. `waiting` counts requests that have not had their
    turn yet; past `queue_limit` the pacer is `backed_up`, and a request someone is waiting on is refused at
    once (`Busy`) instead of joining a queue that one hung request can hold for minutes.
    """

    def __init__(
        self, interval: float = 0.0, *, serial: bool = False, clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep, queue_limit: int | None = None,
    ) -> None:
        self.interval = interval
        self.serial = serial
        self.queue_limit = queue_limit
        self.waiting = 0
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._serial_lock = asyncio.Lock()
        self._next_start = 0.0

    def backed_up(self) -> bool:
        return self.queue_limit is not None and self.waiting >= self.queue_limit

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.waiting += 1
        try:
            if self.serial:
                await self._serial_lock.acquire()
            try:
                await self._wait_turn()
            except BaseException:
                if self.serial:
                    self._serial_lock.release()
                raise
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            if self.serial:
                self._serial_lock.release()

    def hold(self, seconds: float) -> None:
        """No request through this pacer starts for `seconds`: a Retry-After speaks for the whole host."""
        self._next_start = max(self._next_start, self._clock() + seconds)

    async def _wait_turn(self) -> None:
        async with self._lock:
            now = self._clock()
            wait = self._next_start - now
            if wait > 0:
                await self._sleep(wait)
                now = self._clock()
            self._next_start = max(now, self._next_start) + self.interval


# ---------------------------------------------------------------- overall deadlines


@dataclass(frozen=True)
class Budget:
    ends: float  # on the event loop's clock
    interactive: bool = False
    # At most this many attempts per request (None: the client's own): optional extras are not worth retrying.
    attempts: int | None = None

    def remaining(self) -> float:
        return self.ends - asyncio.get_running_loop().time()


_budget: ContextVar[Budget | None] = ContextVar("source_budget", default=None)


def current_budget() -> Budget | None:
    return _budget.get()


@contextmanager
def deadline(seconds: float, *, interactive: bool = False, attempts: int | None = None) -> Iterator[Budget]:
    """Source requests made inside end within `seconds`. Nested deadlines only shorten the one around them
    (a step may get a share of its lookup's time, never more), and stay interactive when it is; `attempts`
    caps the tries of each request (an optional extra takes its first answer)."""
    now = asyncio.get_running_loop().time()
    outer = _budget.get()
    budget = Budget(now + max(0.0, seconds), interactive, attempts)
    if outer is not None:
        caps = [a for a in (attempts, outer.attempts) if a is not None]
        budget = Budget(min(budget.ends, outer.ends), interactive or outer.interactive, min(caps) if caps else None)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)

