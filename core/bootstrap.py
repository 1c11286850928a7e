"""The composition root: the one place that wires settings, database, sources, sinks and the clock.

`radar serve` (every role), `radar ask`, `radar console`, `radar ingest`, `radar discord ...`, the benchmarks and
the test fixtures all get their App from here, so a new part of the runtime is added once. Core cannot import the
adapters, so each adapter builds its own digest sink and hands it in through `attach_sink`; everything else is
built here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory file locks; start processes one at a time there
    fcntl = None  # type: ignore[assignment]

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url

from core import __version__
from core.app import App, set_current_app
from core.config import Settings, get_settings
from core.digest import schedule
from core.digest.backfill import describe_days
from core.digest.ingest import EASTERN, FEED_KEY, IngestReport, Progress, expected_feed_date, ingest
from core.handlers import missing_handlers
from core.logsetup import configure_logging, protect_library_loggers
from core.model.sink import DigestSink
from core.sources.http import Clock, Sleep
from core.sources.hub import SourceHub
from core.storage import digest_inputs
from core.storage.db import Database, head_revision, upgrade
from core.storage.models import SourceStatusRow
from core.subscriptions.scope import SETTING as SCOPE_SETTING
from core.subscriptions.scope import describe_feeds, ingest_scope

log = logging.getLogger(__name__)

# Adapters name the running App by this type; they import it from here, the door, never from core.app.
__all__ = [
    "App",
    "IngestDateError",
    "ManualIngest",
    "WiringError",
    "announcement_day",
    "attach_sink",
    "build_app",
    "check_core",
    "check_settings",
    "close_app",
    "configure_logging",
    "describe_ingest",
    "health_check",
    "ingest_once",
    "running_app",
    "schema_revision",
    "start_clock",
    "stop_clock",
    "upgrade_database",
]


class WiringError(RuntimeError):
    """The app is assembled wrong (a command without a handler, a view without a renderer): fail at start."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def check_core() -> None:
    """Every command of the language has a handler; raises before a channel could find out."""
    missing = missing_handlers()
    if missing:
        raise WiringError(f"commands without a handler: {', '.join(missing)}")


def check_settings(settings: Settings) -> None:
    """Settings whose meaning needs more than their type; raises `ConfigError` naming the one that is wrong."""
    ingest_scope(settings.ingest_categories)
    if os.environ.get("RADAR_DEFAULT_CATEGORIES"):
        # Retired: it chose what topics without cat: searched, and made a channel's digest depend on the
        # categories other channels followed. Said once at start, so a deployment that set it knows.
        log.warning("RADAR_DEFAULT_CATEGORIES is no longer read: topics search everything ingested, which is "
                    "all of arXiv unless %s restricts it", SCOPE_SETTING)


def build_app(
    settings: Settings | None = None,
    *,
    sinks: Mapping[str, DigestSink] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
    now: Callable[[], datetime] = _utcnow,
) -> App:
    """An App on `settings` (the environment's by default). `transport`, `sleep`, `clock` and `now` are the
    seams tests and benchmarks use for loopback fakes and a fake clock."""
    settings = settings or get_settings()
    check_core()
    check_settings(settings)
    # Before any client exists, so that nothing a library logs can carry a secret.
    protect_library_loggers(settings)
    app = App(
        settings=settings,
        db=Database.from_settings(settings),
        sources=SourceHub(settings, transport=transport, sleep=sleep, clock=clock),
        now=now,
    )
    for platform, sink in (sinks or {}).items():
        attach_sink(app, platform, sink)
    return app


def attach_sink(app: App, platform: str, sink: DigestSink, *, replace: bool = True) -> None:
    """Digests for `platform` go through `sink` in this process (web sends `digest now`, the clock the rest)."""
    if replace or platform not in app.sinks:
        app.sinks[platform] = sink


def upgrade_database(settings: Settings) -> None:
    """`radar db upgrade`: Alembic to the newest revision."""
    upgrade(settings.database_url)


async def schema_revision(settings: Settings) -> str | None:
    """The database's Alembic revision, None for an empty database."""
    db = Database.from_settings(settings)
    try:
        return await db.schema_revision()
    finally:
        await db.dispose()


async def migrate_if_embedded(settings: Settings) -> None:
    """On the single-machine default (SQLite) bring the schema up to date at start; PostgreSQL deployments run
    `radar db upgrade` as a release step, once, rather than from every process."""
    if settings.is_sqlite:
        await asyncio.to_thread(_upgrade_one_at_a_time, settings.database_url)


def _upgrade_one_at_a_time(url: str) -> None:
    """Migrate under an exclusive lock on a file beside the database: processes started together on a new
    SQLite file (`honcho start`, two clocks) otherwise all create the tables and all but one die."""
    database = make_url(url).database
    if fcntl is None or not database or database == ":memory:":
        upgrade(url)
        return
    lock_path = Path(database).expanduser().with_name(Path(database).name + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, or when the process dies
        upgrade(url)


async def close_app(app: App) -> None:
    """Close the sinks that hold connections of their own, then the sources and the database."""
    seen: set[int] = set()
    for sink in list(app.sinks.values()):
        closer = getattr(sink, "aclose", None)
        if closer is None or id(sink) in seen:
            continue
        seen.add(id(sink))
        with contextlib.suppress(Exception):
            await closer()
    await app.aclose()


@contextlib.asynccontextmanager
async def running_app(
    settings: Settings | None = None,
    *,
    sinks: Mapping[str, DigestSink] | None = None,
    current: bool = True,
    migrate: bool = True,
) -> AsyncIterator[App]:
    """An App for the life of one entry point: migrated (SQLite), made current for `core.handle`, closed after."""
    settings = settings or get_settings()
    if migrate:
        await migrate_if_embedded(settings)
    app = build_app(settings, sinks=sinks)
    if current:
        set_current_app(app)
    try:
        yield app
    finally:
        try:
            await close_app(app)
        finally:
            if current:
                set_current_app(None)


async def start_clock(app: App, stop: asyncio.Event | None = None) -> AsyncIOScheduler | None:
    """The clock role: the scheduler with its ingest, tick and per-channel digest jobs, started; None when
    `stop` (SIGTERM) came during the start-up catch-up, before the scheduler started."""
    scheduler = schedule.build_scheduler(app.settings)
    try:
        started = await schedule.start_clock(app, scheduler, stop)
    except BaseException:
        schedule.stop_clock(scheduler)  # whatever part did start; the error that ended start-up propagates
        raise
    if not started:
        schedule.stop_clock(scheduler)
        log.info("clock: stopped during start-up; the next start resumes and catches up the rest")
        return None
    jobs = await schedule.store_call(scheduler, scheduler.get_jobs)
    log.info("clock: scheduler started (%d jobs)", len(jobs))
    return scheduler


def stop_clock(scheduler: AsyncIOScheduler) -> None:
    schedule.stop_clock(scheduler)


def announcement_day(now: datetime) -> date:
    """The latest day arXiv's feeds carry announcements for: today (US Eastern) on weekdays, else Friday.

    The clock expects nothing on weekends (feeds are empty then); a person running `radar ingest` on a Saturday
    still wants to hear that a feed is older than Friday's rather than have it stored as if it were current."""
    expected = expected_feed_date(now)
    if expected is not None:
        return expected
    today = now.astimezone(EASTERN).date()
    return today - timedelta(days=today.weekday() - 4)


class IngestDateError(ValueError):
    """`radar ingest --date` names a day no feed can carry yet."""


@dataclasses.dataclass(frozen=True)
class ManualIngest:
    """A `radar ingest` run: the ingest's report, and how many papers Paper Radar had never stored before."""

    report: IngestReport
    expected: date
    not_stored_before: int


async def ingest_once(
    settings: Settings,
    *,
    day: date | None = None,
    progress: Progress | None = None,
    researchers: bool = True,
) -> ManualIngest:
    """`radar ingest`: one ingest outside the clock, on its own App.

    A `day` after the latest announcement day is refused before anything is fetched: the feed would only look
    stale, and that warning would stay in `status` (and keep the clock retrying) for a day that is not due."""
    async with running_app(settings, current=False) as app:
        started = app.now()
        latest = announcement_day(started)
        if day is not None and day > latest:
            raise IngestDateError(f"--date {day.isoformat()} has not been announced yet: the newest feed carries "
                                  f"{latest.isoformat()} (arXiv announces Sunday to Thursday evenings, US Eastern).")
        expected = day or latest
        async with app.db.session() as session:
            before = await digest_inputs.source_status(session, FEED_KEY)
        report = await ingest(app, day=expected, progress=progress, researchers=researchers)
        if day is not None and report.stale:
            # The feed did not carry the day asked for: that was this run's question, not news for `status`
            # (nor a reason for the clock to retry), so the feed's recorded health goes back to what it was.
            await _restore_feed_status(app, before)
        async with app.db.session() as session:
            fresh = await digest_inputs.papers_first_seen_since(session, started)
        return ManualIngest(report, expected, fresh)


async def _restore_feed_status(app: App, before: digest_inputs.SourceStatus | None) -> None:
    async with app.db.session() as session:
        row = await session.get(SourceStatusRow, FEED_KEY)
        if row is not None and before is None:
            await session.delete(row)
        elif row is not None and before is not None:
            row.ok, row.message, row.feed_date, row.items = before.ok, before.message, before.feed_date, before.items
            row.last_ok_at, row.last_error_at = before.last_ok_at, before.last_error_at
            session.add(row)
        await session.commit()


def describe_ingest(run: ManualIngest) -> list[str]:
    """What `radar ingest` prints: one line per fact an operator checks after a manual ingest."""
    report = run.report
    if report.busy_with:
        return [f"another ingest is running ({report.busy_with}); nothing was fetched. "
                "Its papers are stored as it goes: try again once it has finished."]
    lines = [f"feeds: {describe_feeds(report.feeds) if report.feeds else 'nothing (no subscriptions yet)'}"]
    if report.stale:
        lines.append(f"the feed is dated {report.feed_date or 'unknown'}, older than the announcement day expected "
                     f"({run.expected}): nothing from it was stored. arXiv rebuilds its feeds around midnight US "
                     "Eastern; run `radar ingest` again later.")
    elif report.feed_date:
        lines.append(f"feed date: {report.feed_date}")
    lines.append(f"stored {report.stored} papers: {run.not_stored_before} not stored before ({report.new} announced "
                 f"as new, {report.updates} as new versions), {report.skipped} unreadable items skipped")
    if report.researchers_checked:
        lines.append(f"followed researchers checked: {report.researchers_checked} ({report.works_stored} works)")
    if report.evidence_read:
        lines.append(f"followed researchers whose works were read to recognise their arXiv papers: "
                     f"{report.evidence_read}")
    lines.extend(f"not covered: {gap}" for gap in report.not_covered)
    if report.backfill and not report.backfill.failed:
        lines.append(f"missed days {describe_days(report.backfill.missed)}: {report.backfill.fetched} papers "
                     f"from the arXiv API, {report.backfill.new} not seen before")
    if report.extras and (report.extras.summaries or report.extras.code or report.extras.failed):
        missing = f"; no answer in time from {' or '.join(report.extras.failed)} (those papers go without)" \
            if report.extras.failed else ""
        lines.append(f"extras: {report.extras.summaries} one-line summaries, {report.extras.code} code links{missing}")
    if report.quiet and not report.stale:
        lines.append("a quiet day: arXiv announced nothing in these categories")
    lines.extend(f"problem: {problem}" for problem in report.problems)
    return lines


def health_check(app: App) -> Callable[[], Awaitable[tuple[bool, dict[str, object]]]]:
    """What `/healthz` answers: (healthy, body). Healthy means the database can be read *and* written: a
    database that answers reads while every write fails (read-only, full, locked by a stuck writer) stops
    every command that changes something and every digest, so it is not "ok". The expected schema is read once,
    at start."""
    head = head_revision()

    async def check() -> tuple[bool, dict[str, object]]:
        reachable = await app.db.ping()
        revision = await app.db.schema_revision() if reachable else None
        writable = await app.db.writable() if revision is not None else None
        healthy = reachable and writable is not False
        return healthy, {
            "status": "ok" if healthy and revision == head else "degraded",
            "version": __version__,
            "database": "ok" if reachable else "unreachable",
            # None: not tried (unreachable, or no schema yet to try it on)
            "database_write": None if writable is None else "ok" if writable else "failing",
            "database_backend": "sqlite" if app.db.is_sqlite else "postgresql",
            "schema": revision,
            "schema_expected": head,
        }

    return check
