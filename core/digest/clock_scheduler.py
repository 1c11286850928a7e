"""APScheduler 3.11 whose job store is never touched on the event loop.

APScheduler's job store is synchronous. `AsyncIOScheduler` reads and writes it on the event loop, which blocks
the loop for every database round trip, and on SQLite it can deadlock: a coroutine of ours that holds the write
lock (a session in the middle of a write, the health check's write probe) cannot finish while the loop waits in
the job store for that same lock, so the job store fails with "database is locked" after its timeout. A clock
that failed that way at start-up took the whole service down on a loaded machine.

Here every job-store operation runs on one worker thread of the scheduler's own: its periodic wake-up
(`_process_jobs`), its start and shutdown, and our calls through `store_call`. Coroutine jobs still run as tasks
on the event loop; only their hand-over crosses threads. One thread serialises the job store's work, so the
order of our calls is kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler

log = logging.getLogger(__name__)
T = TypeVar("T")


class LoopExecutor(AsyncIOExecutor):
    """Hands coroutine jobs to the event loop from the job-store thread (asyncio is not thread-safe)."""

    def _do_submit_job(self, job: Any, run_times: Any) -> None:
        def submit() -> None:
            if getattr(self._scheduler, "closing", False):
                return  # shut down between the due check and now: the job waits for the next start
            AsyncIOExecutor._do_submit_job(self, job, run_times)

        self._eventloop.call_soon_threadsafe(submit)


class ClockScheduler(AsyncIOScheduler):
    """An `AsyncIOScheduler` whose job store works on its own thread; start it with `await start_off_loop()`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="radar-jobstore")
        self._processing = False
        self._again = False
        self.closing = False

    def _create_default_executor(self) -> LoopExecutor:
        return LoopExecutor()

    @property
    def running(self) -> bool:
        return super().running and not self.closing

    async def start_off_loop(self, paused: bool = False) -> None:
        """Start: the job store is opened and the jobs added before the start are written, on the store thread."""
        self._eventloop = asyncio.get_running_loop()
        await asyncio.wrap_future(self._store_thread.submit(BaseScheduler.start, self, paused))

    def start(self, paused: bool = False) -> None:
        # Called on the loop it would write the job store there: the very thing this class avoids.
        raise RuntimeError("ClockScheduler starts with `await start_off_loop()`")

    def wakeup(self) -> None:
        loop = self._eventloop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        """On the loop: process the due jobs on the store thread, then set the timer for the next ones."""
        if self.closing or self.state == STATE_STOPPED:
            return
        if self._processing:
            self._again = True  # a job was added meanwhile: look again once this round ends
            return
        self._stop_timer()
        self._processing = True
        future = self._eventloop.run_in_executor(self._store_thread, self._process_jobs)
        future.add_done_callback(self._processed)

    def _processed(self, future: asyncio.Future[float | None]) -> None:
        self._processing = False
        if self.closing or future.cancelled():
            return
        error = future.exception()
        if error is not None:
            # _process_jobs logs its job-store errors itself and asks to retry; anything else lands here.
            log.error("the scheduler's job processing failed: %s", error, exc_info=error)
            wait_seconds: float | None = self.jobstore_retry_interval
        else:
            wait_seconds = future.result()
        if self._again:
            self._again = False
            self._wake()
        else:
            self._start_timer(wait_seconds)

    def shutdown(self, wait: bool = True) -> None:
        """Stop now: no more wake-ups, running jobs cancelled on the loop; the job store closes on its thread.

        Call it on the event loop (as the clock does)."""
        if not self.running:
            raise SchedulerNotRunningError
        self.closing = True
        self._stop_timer()
        for executor in self._executors.values():
            executor.shutdown(wait)  # cancels the job tasks: on the loop, where they live
        self._store_thread.submit(self._close_stores)
        self._store_thread.shutdown(wait=False)

    def _close_stores(self) -> None:
        with self._jobstores_lock:
            self.state = STATE_STOPPED
            for jobstore in self._jobstores.values():
                jobstore.shutdown()
        log.info("scheduler: job store closed")

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        return self._store_thread.submit(partial(fn, *args, **kwargs))


async def store_call(scheduler: AsyncIOScheduler, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` (a scheduler method that reads or writes the job store), off the event loop.

    A plain `AsyncIOScheduler` (the tests' in-memory ones) is called directly: its store never blocks."""
    if isinstance(scheduler, ClockScheduler):
        return await asyncio.wrap_future(scheduler.call(fn, *args, **kwargs))
    return fn(*args, **kwargs)


async def start(scheduler: AsyncIOScheduler) -> None:
    if isinstance(scheduler, ClockScheduler):
        await scheduler.start_off_loop()
    else:
        scheduler.start()
