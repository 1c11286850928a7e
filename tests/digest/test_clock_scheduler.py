"""The clock's job store never runs on the event loop: a write of ours in flight (the health check's write probe,
a session mid-write) cannot deadlock the clock's start or its tick, and due jobs still run on the loop."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import text

from core import bootstrap
from core.app import set_current_app
from core.digest import schedule
from core.digest.clock_scheduler import ClockScheduler, store_call
from tests.digest.conftest import THURSDAY


async def _hold_the_write_lock(app: Any, stop: asyncio.Event, held: list[float]) -> None:
    """Like a busy web role: write transactions that keep the lock across awaits, back to back."""
    while not stop.is_set():
        async with app.db.engine.connect() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
            started = time.monotonic()
            await asyncio.sleep(0.05)  # the lock is held while this coroutine waits on the loop
            await conn.rollback()
            held.append(time.monotonic() - started)
        await asyncio.sleep(0.005)


async def test_the_clock_starts_while_the_web_role_writes(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(now=THURSDAY)
    stop, held = asyncio.Event(), []
    writer = asyncio.create_task(_hold_the_write_lock(app, stop, held))
    await asyncio.sleep(0.1)
    scheduler = None
    try:
        # On the loop, the job store's first write waited for a lock that only the loop could release: the
        # start failed with "database is locked" after the store's timeout, and took the service down.
        scheduler = await asyncio.wait_for(bootstrap.start_clock(app), timeout=60)
        assert scheduler is not None and isinstance(scheduler, ClockScheduler)
        jobs = {job.id for job in await store_call(scheduler, scheduler.get_jobs)}
        assert {"ingest", "tick", "purge-lookup-cache"} <= jobs
        # The loop kept turning meanwhile: every write transaction ended within moments, none waited seconds.
        assert held and max(held) < 2.0, max(held)
    finally:
        stop.set()
        await writer
        if scheduler is not None:
            bootstrap.stop_clock(scheduler)
        set_current_app(None)


async def test_due_jobs_run_on_the_loop_and_shutdown_cancels_them(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(now=THURSDAY)
    scheduler = schedule.build_scheduler(app.settings)
    ran: list[bool] = []
    started, forever = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()

    async def quick() -> None:
        ran.append(asyncio.get_running_loop() is loop)

    async def long() -> None:
        started.set()
        await forever.wait()

    # In-memory jobs (the functions are local); the database job store's own work is covered above.
    scheduler.add_jobstore("memory", alias="local")
    await scheduler.start_off_loop()
    try:
        await store_call(scheduler, scheduler.add_job, quick, jobstore="local")
        await store_call(scheduler, scheduler.add_job, long, jobstore="local")
        await asyncio.wait_for(started.wait(), timeout=10)
        for _ in range(100):
            if ran:
                break
            await asyncio.sleep(0.05)
        assert ran == [True]  # ran as a task of the service's own loop
        running = [task for task in asyncio.all_tasks() if task.get_coro().__qualname__.startswith("run_coroutine_job")]
        assert running
    finally:
        scheduler.shutdown(wait=False)
    assert not scheduler.running
    await asyncio.sleep(0.1)
    assert all(task.done() for task in running)  # stopped with the clock, as SIGTERM expects
