"""The composition root: the one place that wires settings, database, sources, sinks and the clock.

`radar serve` (every role), `radar ask`, `radar console`, `radar ingest`, `radar discord ...`, the benchmarks and
the test fixtures all get their App from here, so a new part of the runtime is added once. Core cannot import the
adapters, so each adapter builds its own digest sink and hands it in through `attach_sink`; everything else is
built here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
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
from core.digest.ingest import IngestReport, Progress, ingest
from core.handlers import missing_handlers
from core.logsetup import configure_logging, protect_library_loggers
from core.model.sink import DigestSink
from core.sources.http import Clock, Sleep
from core.sources.hub import SourceHub
from core.storage.db import Database, head_revision, upgrade

log = logging.getLogger(__name__)

# Adapters name the running App by this type; they import it from here, the door, never from core.app.
__all__ = [
    "App",
    "WiringError",
    "attach_sink",
    "build_app",
    "check_core",
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
    log.info("clock: scheduler started (%d jobs)", len(scheduler.get_jobs()))
    return scheduler


def stop_clock(scheduler: AsyncIOScheduler) -> None:
    schedule.stop_clock(scheduler)


async def ingest_once(
    settings: Settings,
    *,
    day: date | None = None,
    progress: Progress | None = None,
    researchers: bool = True,
) -> IngestReport:
    """`radar ingest`: one ingest outside the clock, on its own App."""
    async with running_app(settings, current=False) as app:
        return await ingest(app, day=day, progress=progress, researchers=researchers)


def describe_ingest(report: IngestReport) -> list[str]:
    """What `radar ingest` prints: one line per fact an operator checks after a manual ingest."""
    if report.busy_with:
        return [f"another ingest is running ({report.busy_with}); nothing was fetched. "
                "Its papers are stored as it goes: try again once it has finished."]
    lines = [f"feeds: {'+'.join(report.feeds) or 'nothing (no subscriptions yet)'}"]
    if report.feed_date:
        lines.append(f"feed date: {report.feed_date}{' (STALE: retry later)' if report.stale else ''}")
    lines.append(f"stored {report.stored} papers: {report.new} new, {report.updates} new versions, "
                 f"{report.skipped} unreadable items skipped")
    if report.researchers_checked:
        lines.append(f"followed researchers checked: {report.researchers_checked} ({report.works_stored} works)")
    if report.backfill and not report.backfill.failed:
        lines.append(f"missed days {describe_days(report.backfill.missed)}: {report.backfill.fetched} papers "
                     f"from the arXiv API, {report.backfill.new} not seen before")
    if report.quiet and not report.stale:
        lines.append("a quiet day: arXiv announced nothing in these categories")
    lines.extend(f"problem: {problem}" for problem in report.problems)
    return lines


def health_check(app: App) -> Callable[[], Awaitable[tuple[bool, dict[str, object]]]]:
    """What `/healthz` answers: (reachable, body). The expected schema is read once, at start."""
    head = head_revision()

    async def check() -> tuple[bool, dict[str, object]]:
        reachable = await app.db.ping()
        revision = await app.db.schema_revision() if reachable else None
        return reachable, {
            "status": "ok" if reachable and revision == head else "degraded",
            "version": __version__,
            "database": "ok" if reachable else "unreachable",
            "database_backend": "sqlite" if app.db.is_sqlite else "postgresql",
            "schema": revision,
            "schema_expected": head,
        }

    return check
