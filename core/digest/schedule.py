"""The clock: ingest after arXiv rebuilds its feeds, one cron job per destination, catch-up and resume.

Jobs live in APScheduler's SQLAlchemy job store (pickled by reference), so job functions are module-level
and take plain arguments; they find the running App through `current_app()`. A reconcile tick every minute
brings the jobs in line with the channels' settings (changed by the web or discord process), resumes digest
runs that a crash, an error or a platform outage interrupted (never one this process is still delivering), and
starts the digest of a channel whose slot passed without a run (its job failed before claiming anything).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.app import App, current_app
from core.config import Settings
from core.digest import clock_scheduler
from core.digest.backfill import BACKFILL_KEY
from core.digest.clock_scheduler import ClockScheduler, store_call
from core.digest.deliver import (
    CLAIM_CHUNK,
    CLAIM_IN_FLIGHT,
    RECENT_RUN,
    RunOutcome,
    RunRequest,
    claim_runs,
    deliver_claimed,
    deliver_run,
    due_runs,
    release_claimed,
    run_digest,
)
from core.digest.gather import Gatherer
from core.digest.ingest import (
    EASTERN,
    FEED_KEY,
    IngestReport,
    describe_missed,
    feed_missed,
    ingest,
    ingest_owed,
    ingest_running,
)
from core.model.channels import Channel
from core.storage import digest_inputs, ledger, repos
from core.storage.db import jobstore_engine
from core.storage.ledger import DigestRun
from core.subscriptions.timing import digest_trigger

log = logging.getLogger(__name__)
INGEST_RETRY = timedelta(minutes=20)
INGEST_GIVE_UP_HOUR = 7  # Eastern: past this a stale feed is reported, not retried again today
DIGEST_DELAYS = 3  # a digest waits for a failing feed this many times, 30 minutes apart, then goes out partial
DIGEST_DELAY = timedelta(minutes=30)

JOBS_TABLE = "apscheduler_jobs"  # made by migration 0005, never by the job store (two clocks raced to)
# After SIGTERM, runs already sending get this long to finish the message in hand; then they are cancelled and
# left to the ledger's resume at the next start (platforms send SIGKILL 30 s after SIGTERM).
SHUTDOWN_GRACE_S = 3.0

_scheduler: AsyncIOScheduler | None = None
_slots: tuple[asyncio.AbstractEventLoop, int, asyncio.Semaphore] | None = None
# What the ticks started (a resumed run, a missed slot), by key: a tick never waits for deliveries (APScheduler
# would skip the next ones meanwhile), and never starts a second task for what one is still doing.
_tick_work: dict[str, asyncio.Task[Any]] = {}
_serving: dict[int, int] = {}  # destination id -> its digest jobs under way in this process
SLOT_GRACE = timedelta(minutes=2)  # a digest job starts at its slot: one without a run by now failed or never ran

_owed_ingest: asyncio.Task[None] | None = None


# APScheduler's default grace is one second: a restart at the wrong moment would skip a digest silently.
MISFIRE_GRACE_S = 6 * 3600


def build_scheduler(settings: Settings) -> ClockScheduler:
    """APScheduler 3.11 with its jobs stored in our own database (pickled by reference), off the event loop."""
    jobstore = SQLAlchemyJobStore(engine=jobstore_engine(settings.sync_database_url), tablename=JOBS_TABLE)
    return ClockScheduler(
        jobstores={"default": jobstore},
        job_defaults={"misfire_grace_time": MISFIRE_GRACE_S, "coalesce": True, "max_instances": 1},
        timezone="UTC",
    )


def _job_id(destination_id: int) -> str:
    return f"digest:{destination_id}"


async def feed_problem(app: App) -> str | None:
    """What keeps today's papers out: a failing feed, or today's feed not read at all (missed or killed)."""
    async with app.db.session() as session:
        row = await digest_inputs.source_status(session, FEED_KEY)
    if row is not None and not row.ok:
        return row.message or "the arXiv feed is failing"
    missed = feed_missed(row, app.now())
    return describe_missed(missed, row) if missed else None


async def backfill_problem(app: App) -> str | None:
    """A failed backfill still owed (its marker is behind today's feed): an earlier day's papers are not in.

    A capped backfill is reported in `status` but owes nothing (its marker moved on), so it is not a reason here.
    """
    async with app.db.session() as session:
        row = await digest_inputs.source_status(session, BACKFILL_KEY)
        feed = await digest_inputs.source_status(session, FEED_KEY)
    if row is None or row.ok or row.feed_date is None or feed is None or feed.feed_date is None:
        return None
    return f"{BACKFILL_KEY}: {row.message or 'failing'}" if row.feed_date < feed.feed_date else None


async def ingest_job() -> None:
    app = current_app()
    report = await ingest(app)
    eastern = app.now().astimezone(EASTERN)
    if not report.complete and eastern.hour < INGEST_GIVE_UP_HOUR and _scheduler is not None:
        when = app.now() + INGEST_RETRY
        await store_call(_scheduler, _scheduler.add_job, ingest_job, DateTrigger(when), id="ingest-retry",
                         replace_existing=True)
        log.info("ingest incomplete (%s); retrying at %s", "; ".join(report.problems) or "stale feed", when)


async def ingest_if_owed(app: App) -> IngestReport | None:
    """Ingest now when today's feed is due and was never read: the clock was down at 00:30 (a restart
    re-adds the daily job from the next 00:30 on) or the ingest was killed. Retries of a failed read are
    spaced like the retry job; with nothing subscribed there is no feed to read."""
    async with app.db.session() as session:
        row = await digest_inputs.source_status(session, FEED_KEY)
        subscribed = await digest_inputs.any_subscription(session)
    if not subscribed or not ingest_owed(row, app.now(), retry_after=INGEST_RETRY,
                                         give_up_hour=INGEST_GIVE_UP_HOUR):
        return None
    if await ingest_running(app):
        return None  # the 00:30 job (here or in another clock) is still at it: it writes the feed's status
    log.info("today's arXiv feed has not been read (last read %s): ingesting now", row.feed_date if row else None)
    report = await ingest(app)
    eastern = app.now().astimezone(EASTERN)
    if not report.complete and eastern.hour < INGEST_GIVE_UP_HOUR and _scheduler is not None:
        await store_call(_scheduler, _scheduler.add_job, ingest_job, DateTrigger(app.now() + INGEST_RETRY),
                         id="ingest-retry", replace_existing=True)
    return report


async def queue_owed_ingest(app: App, scheduler: AsyncIOScheduler) -> asyncio.Task[None] | None:
    """From the tick: start `ingest_if_owed` beside it (an ingest takes longer than a tick), unless one is
    still running here or a retry is already scheduled."""
    global _owed_ingest
    if _owed_ingest is not None and not _owed_ingest.done():
        return None
    if await store_call(scheduler, scheduler.get_job, "ingest-retry") is not None:
        return None
    if _owed_ingest is not None and not _owed_ingest.done():
        return None  # started while the job store answered
    _owed_ingest = asyncio.create_task(_logged(ingest_if_owed(app), "owed ingest"), name="owed-ingest")
    return _owed_ingest


async def _logged(work: Awaitable[Any], what: str) -> None:
    try:
        await work
    except Exception:
        log.exception("%s failed; the next tick tries again", what)


async def purge_lookup_cache(app: App) -> int:
    """Delete the lookup answers whose time is up. Reads already ignore them; without this the table only
    ever grows (every researcher, paper and trending lookup leaves a row)."""
    async with app.db.session() as session:
        purged = await repos.cache_purge(session, now=app.now())
        await session.commit()
    if purged:
        log.info("lookup cache: %d expired answer(s) purged", purged)
    return purged


async def purge_cache_job() -> None:
    await purge_lookup_cache(current_app())


async def digest_job(destination_id: int, delays: int = 0) -> RunOutcome | None:
    """A destination's scheduled digest. An error before its run is claimed (the database down) is one line in
    the log, not a lost day: the tick starts the digest again once its slot has passed without a run."""
    _serving[destination_id] = _serving.get(destination_id, 0) + 1
    try:
        return await _digest_job(destination_id, delays)
    except Exception as error:
        log.warning("the digest of destination %s did not start (%s); the clock's tick will start it again",
                    destination_id, _one_line(error))
        log.debug("digest job of destination %s", destination_id, exc_info=True)
        return None
    finally:
        left = _serving.pop(destination_id, 1) - 1
        if left > 0:
            _serving[destination_id] = left


def _one_line(error: BaseException) -> str:
    return (f"{type(error).__name__}: {error}".splitlines() or [""])[0][:300]


async def _digest_job(destination_id: int, delays: int = 0) -> RunOutcome | None:
    """Planned and claimed with the other channels whose jobs fire with it (`claim_minute`), then delivered
    under the process's bound on digests at once."""
    app = current_app()
    claimed = await _gatherer(app)((destination_id, delays))
    if not isinstance(claimed, DigestRun):
        return claimed
    try:
        async with digest_slots(app):
            return await deliver_claimed(app, claimed)
    finally:
        release_claimed(app, claimed)  # cancelled before its turn: the tick resumes the run


RunResult = DigestRun | RunOutcome | None
_gatherers: dict[int, tuple[asyncio.AbstractEventLoop, App, Gatherer[tuple[int, int], RunResult]]] = {}
GATHER_S = 0.05  # what the first job of a minute waits for the others firing with it


def _gatherer(app: App) -> Gatherer[tuple[int, int], RunResult]:
    loop = asyncio.get_running_loop()
    found = _gatherers.get(id(app))
    if found is None or found[0] is not loop or found[1] is not app:
        gatherer: Gatherer[tuple[int, int], RunResult] = Gatherer(
            partial(claim_minute, app), gather_s=GATHER_S, most=CLAIM_CHUNK, unique=lambda key: key[0],
            in_flight=CLAIM_IN_FLIGHT,
            on_unclaimed=lambda result: release_claimed(app, result) if isinstance(result, DigestRun) else None)
        found = _gatherers[id(app)] = (loop, app, gatherer)
    return found[2]


async def claim_minute(app: App, jobs: list[tuple[int, int]]) -> dict[tuple[int, int], RunResult]:
    """The digest jobs (destination, delays so far) that fired together: a failing feed delays each a few times
    before it goes out partial; the others are planned and claimed together (`claim_runs`)."""
    answers: dict[tuple[int, int], RunResult] = {}
    problem = await feed_problem(app)
    if problem and _scheduler is not None and any(delays < DIGEST_DELAYS for _, delays in jobs):
        async with app.db.session() as session:
            channels = await digest_inputs.digest_channels(session, [i for i, _ in jobs])
        when = app.now() + DIGEST_DELAY
        for destination_id, delays in jobs:
            channel = channels.get(destination_id)
            if channel is None or channel.paused:
                answers[destination_id, delays] = None
            elif delays < DIGEST_DELAYS:
                await store_call(_scheduler, _scheduler.add_job, digest_job, DateTrigger(when),
                                 args=[destination_id, delays + 1], id=f"digest-delay:{destination_id}",
                                 replace_existing=True)
                log.info("digest for %s delayed to %s: %s", destination_id, when, problem)
                answers[destination_id, delays] = None
    going = [(i, delays) for i, delays in jobs if (i, delays) not in answers]
    if not going:
        return answers
    # A missed day still owed does not hold the digest up (today's papers are in); the note says what is missing.
    problem = problem or await backfill_problem(app)
    # True because ingest backfills every announcement day it missed once arXiv answers again.
    note = (f"Partial digest: {problem}. The missing papers will come in a later digest, once arXiv is back."
            if problem else None)
    claimed = await claim_runs(app, [RunRequest(i, note=note) for i, _ in going])
    answers.update(((i, delays), claimed[i]) for i, delays in going)
    return answers


def digest_slots(app: App) -> asyncio.Semaphore:
    """The bound on digests running at once in this process (`RADAR_DIGEST_CONCURRENCY`).

    A run mostly waits on the platforms' pacing, so two hundred at a time keep Slack and Discord busy while
    the database pool (30 connections) only ever sees the short planning and ledger transactions of those.
    """
    global _slots
    loop, size = asyncio.get_running_loop(), app.settings.digest_concurrency
    if _slots is None or _slots[0] is not loop or _slots[1] != size:
        _slots = (loop, size, asyncio.Semaphore(size))
    return _slots[2]


async def tick_job() -> None:
    """Every minute, each step on its own: one failing (the database is down) logs a line, the next tick retries."""
    app = current_app()
    if _scheduler is not None:
        await _step("bringing the jobs in line", reconcile(app, _scheduler))
        await _step("looking for an owed ingest", queue_owed_ingest(app, _scheduler))  # today's feed unread (a killed or missed ingest): read it now
    await _step("resuming interrupted digests", resume_in_background(app))
    await _step("looking for missed digests", serve_missed_slots(app))


async def _step(what: str, work: Awaitable[object]) -> None:
    try:
        await work
    except Exception as error:
        log.warning("clock tick: %s failed (%s); the next tick tries again", what, _one_line(error))
        log.debug("clock tick: %s", what, exc_info=True)


def _start(key: str, work: Callable[[], Coroutine[Any, Any, Any]]) -> bool:
    """Run `work()` in the background unless a task of this key is still at it; True if started."""
    loop = asyncio.get_running_loop()
    task = _tick_work.get(key)
    if task is not None and not task.done() and task.get_loop() is loop:
        return False
    task = loop.create_task(work(), name=f"clock {key}")
    _tick_work[key] = task
    task.add_done_callback(lambda done: _tick_work.pop(key, None) if _tick_work.get(key) is done else None)
    return True


async def tick_work_done() -> None:
    """Wait until what the ticks started has finished (tests, and a shutdown that may wait)."""
    loop = asyncio.get_running_loop()
    while pending := [t for t in list(_tick_work.values()) if not t.done() and t.get_loop() is loop]:
        await asyncio.gather(*pending, return_exceptions=True)


async def _resume(app: App, run_id: int, destination_id: int) -> RunOutcome:
    async with digest_slots(app):
        return await deliver_run(app, run_id, destination_id)


async def resume_in_background(app: App) -> int:
    """Start resuming each run that is due (interrupted, or past its retry wait), under the same bound as the
    crowded minute. Runs this process is delivering are not due: their lease is in use. Returns how many."""
    started = 0
    for run in await due_runs(app):
        started += _start(f"run:{run.id}", partial(_resume, app, run.id, run.destination_id))
    return started


def missed_slot(destination: Channel, now: datetime) -> datetime | None:
    """The channel's latest slot, if it passed more than SLOT_GRACE ago and within the grace APScheduler gives a
    late job, after the channel was made, and its last digest is older (a digest within RECENT_RUN of the slot,
    before or after, is that slot's)."""
    try:
        trigger = digest_trigger(destination.digest_time, destination.weekdays, destination.timezone)
    except (ValueError, LookupError):
        return None  # reconcile says so
    slot, moment = None, trigger.get_next_fire_time(None, now - timedelta(seconds=MISFIRE_GRACE_S))
    while moment is not None and moment <= now - SLOT_GRACE:
        slot, moment = moment, trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    if slot is None or slot <= _aware(destination.created_at, now):
        return None
    last = destination.last_digest_at
    return None if last is not None and _aware(last, now) >= slot - RECENT_RUN else slot


async def _delayed(destination_id: int) -> bool:
    """A digest waiting for a failing feed (its delay job is scheduled) is not missed."""
    scheduler = _scheduler
    if scheduler is None:
        return False
    return await store_call(scheduler, scheduler.get_job, f"digest-delay:{destination_id}") is not None


async def serve_missed_slots(app: App) -> list[int]:
    """Start the digest of each channel whose slot passed without a run: its job failed before claiming (the
    database was down a moment) or never ran. Channels another process posts for, or with a digest job under
    way here, are left alone. Returns the channels started."""
    now = app.now()
    missed = {}
    for destination in await active_destinations(app):
        if destination.platform in app.sinks and destination.id not in _serving:
            slot = missed_slot(destination, now)
            if slot is not None:
                missed[destination.id] = slot
    if not missed:
        return []
    async with app.db.session() as session:
        latest = await ledger.latest_digest_starts(session, list(missed))
    started = []
    for destination_id, slot in missed.items():
        last = latest.get(destination_id)
        if (last is not None and _aware(last, now) >= slot - RECENT_RUN) or await _delayed(destination_id):
            continue  # its run is out, under way or waiting for a retry; or it waits for the feed
        if _start(f"slot:{destination_id}", partial(digest_job, destination_id)):
            log.info("destination %s: its %s digest did not start; starting it now", destination_id,
                     slot.isoformat(timespec="minutes"))
            started.append(destination_id)
    return started


def _aware(moment: datetime, like: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=like.tzinfo)


async def active_destinations(app: App) -> list[Channel]:
    async with app.db.session() as session:
        return await digest_inputs.active_channels(session)


def trigger_for(destination: Channel) -> CronTrigger | None:
    try:
        return digest_trigger(destination.digest_time, destination.weekdays, destination.timezone)
    except (ValueError, LookupError):
        log.warning("destination %s has an unusable schedule", destination.id)
        return None


async def reconcile(app: App, scheduler: AsyncIOScheduler) -> int:
    """Add, change or remove digest jobs so that they match every active channel's settings."""
    wanted = {}
    for destination in await active_destinations(app):
        trigger = trigger_for(destination)
        if trigger is not None:
            wanted[_job_id(destination.id)] = (destination.id, trigger)
    # One trip to the job store's thread for the whole comparison: thousands of channels never block the loop.
    return await store_call(scheduler, _apply_jobs, scheduler, wanted)


def _apply_jobs(scheduler: BaseScheduler, wanted: dict[str, tuple[int, CronTrigger]]) -> int:
    existing = {job.id: job for job in scheduler.get_jobs() if job.id.startswith("digest:")}
    changes = 0
    # A second clock on the same job store may have just made the same change: that is not an error.
    for job_id in existing:
        if job_id not in wanted:
            try:
                scheduler.remove_job(job_id)
            except JobLookupError:
                continue
            changes += 1
    for job_id, (destination_id, trigger) in wanted.items():
        job = existing.get(job_id)
        try:
            if job is None:
                scheduler.add_job(digest_job, trigger, args=[destination_id], id=job_id, replace_existing=True)
            elif str(job.trigger) != str(trigger) or str(job.trigger.timezone) != str(trigger.timezone):
                scheduler.reschedule_job(job_id, trigger=trigger)
            else:
                continue
        except (JobLookupError, ConflictingIdError):
            continue
        changes += 1
    return changes


def previous_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The last time `trigger` fired at or before `now` (APScheduler 3 only looks forward)."""
    moment = trigger.get_next_fire_time(None, now - timedelta(days=8))
    last = None
    while moment is not None and moment <= now:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return last


async def catch_up(app: App, stop: asyncio.Event | None = None) -> list[RunOutcome]:
    """At start-up: a channel whose last digest is older than its last scheduled time gets one digest now,
    covering everything since (capped by its max, with a summary), instead of losing the missed days.
    They run as many at a time as a crowded minute (`digest_slots`), and `stop` ends them promptly."""
    owed = []
    now = app.now()
    for destination in await active_destinations(app):
        trigger = trigger_for(destination)
        missed = previous_fire_time(trigger, now) if trigger else None
        created = _aware(destination.created_at, now)
        if missed is None or missed <= created:
            continue
        last = destination.last_digest_at
        if last is None or _aware(last, now) < missed - timedelta(minutes=1):
            owed.append(destination.id)
    if not owed:
        return []
    log.info("catching up %d channel(s) whose digest was missed", len(owed))
    problem = await feed_problem(app) or await backfill_problem(app)
    note = (f"Partial digest: {problem}. The missing papers will come in a later digest, once arXiv is back."
            if problem else None)
    return await run_in_slots(app, [partial(run_digest, app, i, note=note) for i in owed], stop, "catch-up")


async def resume_at_start(app: App, stop: asyncio.Event | None = None) -> list[RunOutcome]:
    """At start-up: finish the runs a crash or SIGTERM interrupted and the retries now due, in slots."""
    due = await due_runs(app)  # the same choice as the tick's: interrupted, or past the retry wait
    return await run_in_slots(app, [partial(deliver_run, app, run.id, run.destination_id) for run in due], stop,
                              "resume")


async def run_in_slots(app: App, work: list[Callable[[], Awaitable[RunOutcome]]], stop: asyncio.Event | None,
                       what: str) -> list[RunOutcome]:
    """Run digests at most `digest_slots` at a time. When `stop` is set, those not started never start (they
    stay owed: the next start catches them up) and those sending get SHUTDOWN_GRACE_S, then are cancelled
    (their runs stay `sending`, which the next start resumes with a history check)."""
    slots = digest_slots(app)
    stop = stop or asyncio.Event()

    async def one(job: Callable[[], Awaitable[RunOutcome]]) -> RunOutcome | None:
        async with slots:
            return None if stop.is_set() else await job()

    tasks = [asyncio.create_task(one(job)) for job in work]
    if not tasks:
        return []
    everything = asyncio.gather(*tasks, return_exceptions=True)
    stopping = asyncio.create_task(stop.wait())
    try:
        either: set[asyncio.Future[Any]] = {everything, stopping}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if not everything.done():
            await asyncio.wait({everything}, timeout=SHUTDOWN_GRACE_S)
            for task in tasks:
                task.cancel()
            await asyncio.wait({everything})
    finally:
        stopping.cancel()
        if not everything.done():  # start-up itself was cancelled: no digest may go on in the background
            for task in tasks:
                task.cancel()
    outcomes = []
    for result in everything.result():
        if isinstance(result, RunOutcome):
            outcomes.append(result)
        elif isinstance(result, Exception):  # one channel's failure must not end the others' start-up
            log.warning("%s: a digest failed (%s: %.300s); it stays owed", what, type(result).__name__, result)
    if stop.is_set():
        log.info("%s: stopped with %d of %d digest(s) done", what, len(outcomes), len(tasks))
    return outcomes


async def _unless_stopped(stop: asyncio.Event, work: Coroutine[Any, Any, Any]) -> bool:
    """Run `work` to its end (True), or once `stop` is set give it a moment to wind down (the digest steps
    stop by themselves), then cancel it (False)."""
    task = asyncio.create_task(work)
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            await asyncio.wait({task}, timeout=SHUTDOWN_GRACE_S + 1)
    finally:
        stopping.cancel()
        if not task.done():  # stopped, or start-up itself was cancelled: nothing may go on in the background
            task.cancel()
            await asyncio.wait({task})
    if task.cancelled():
        return False
    task.result()  # its error, if it failed
    return not stop.is_set()


async def start_clock(app: App, scheduler: AsyncIOScheduler, stop: asyncio.Event | None = None) -> bool:
    """Resume, ingest a missed feed, catch up, then schedule: a restart never sends twice, never skips a day,
    and a catch-up digest carries today's papers. False when `stop` (SIGTERM) was set before the scheduler
    started: the work left over stays owed to the next start."""
    global _scheduler
    _scheduler = scheduler
    stop = stop or asyncio.Event()
    steps: list[Callable[[], Coroutine[Any, Any, Any]]] = [
        partial(resume_at_start, app, stop), partial(ingest_if_owed, app), partial(catch_up, app, stop)]
    for step in steps:
        if not await _unless_stopped(stop, step()):
            return False
    # Also at start-up, so a database that grew before this purge existed is cleaned now, not at 03:15.
    await purge_lookup_cache(app)
    scheduler.add_job(ingest_job, CronTrigger(hour=0, minute=30, timezone=EASTERN), id="ingest",
                      replace_existing=True)
    # Daily, at an hour when no arXiv ingest and few digests run.
    scheduler.add_job(purge_cache_job, CronTrigger(hour=3, minute=15, timezone=EASTERN), id="purge-lookup-cache",
                      replace_existing=True)
    scheduler.add_job(tick_job, IntervalTrigger(seconds=60), id="tick", replace_existing=True)
    # Not yet started, add_job only queues in memory; the start writes them (off the loop for ours).
    await clock_scheduler.start(scheduler)  # the job store is read at start: reconcile against what it holds
    await reconcile(app, scheduler)
    return True


def stop_clock(scheduler: AsyncIOScheduler) -> None:
    """Stop the scheduler (its running jobs are cancelled) and an owed ingest in flight. Safe when start-up
    failed or was stopped before the scheduler started: the error that ended start-up is the one reported."""
    global _scheduler, _owed_ingest
    if _owed_ingest is not None and not _owed_ingest.done():
        _owed_ingest.cancel()
    _owed_ingest = None
    if scheduler.running:
        scheduler.shutdown(wait=False)
    _scheduler = None
