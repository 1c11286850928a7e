"""Ingest: bring the day's new papers into the database, once arXiv has rebuilt its feeds.

One feed request covers the deployment's whole arXiv scope, every archive by default (arXiv joins names with
`+`, and asks for one request every few seconds): the same papers whatever the channels follow, so a channel's
digest depends only on its own subscriptions. Then followed researchers' recent works come from OpenAlex (or
Semantic Scholar), within a cap per run so the API budget lasts. Announcement days whose feed never came
(arXiv down all day) are fetched from the query API, for the same names, once a feed is read again
(`core.digest.backfill`). Every outcome is written to `source_status`, which `status` shows and the scheduler
reads to retry while a feed is stale, a backfill is owed or a source is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.app import App
from core.digest.backfill import BACKFILL_KEY, BackfillReport, backfill_gap, covered_through
from core.digest.enrich import EnrichReport, enrich_papers
from core.digest.ingest_institutions import ingest_institutions
from core.model.channels import Subscription
from core.model.enums import SubscriptionKind
from core.model.papers import PaperRecord
from core.researchers.coverage import coverage_lines
from core.researchers.lookup import openalex_known_spent, remember_openalex_spent
from core.researchers.refresh import refresh_missing_evidence
from core.sources.arxiv_feed import fetch_feed
from core.sources.http import RateLimited, SourceError
from core.sources.openalex import OpenAlexSource
from core.sources.semanticscholar import SemanticScholarSource
from core.storage import digest_inputs, leases, repos
from core.subscriptions.scope import ArxivScope, describe_feeds, ingest_scope

log = logging.getLogger(__name__)
EASTERN = ZoneInfo("America/New_York")
FEED_KEY = "arXiv feeds"
RESEARCHERS_PER_RUN = 200  # each costs one list call; OpenAlex's free budget allows thousands a day
FEED_REBUILT = time(0, 30)  # Eastern: the clock's daily ingest, once arXiv has rebuilt the day's feeds
# One ingest at a time across every process on the database (two clocks, `radar ingest`): the holder renews
# its lease while it works, so one that is killed frees the work within LEASE.
INGEST_LEASE = "ingest"
LEASE = timedelta(seconds=90)
LEASE_RENEW_S = 30.0
Progress = Callable[[str, int, int], None]


@dataclass
class IngestReport:
    day: date | None
    feeds: tuple[str, ...] = ()
    feed_date: date | None = None
    stored: int = 0
    new: int = 0
    updates: int = 0
    skipped: int = 0
    stale: bool = False
    quiet: bool = False
    researchers_checked: int = 0
    works_stored: int = 0
    evidence_read: int = 0  # followed people whose works were read for evidence (they had none yet)
    institutions_listed: int = 0  # followed institutions whose new works were listed
    not_covered: list[str] = field(default_factory=list)  # what of followed people's papers is not fetched, and why
    backfill: BackfillReport | None = None  # the missed days fetched from the query API, when there was a gap
    extras: EnrichReport | None = None  # summaries and code links added to the day's papers
    problems: list[str] = field(default_factory=list)
    busy_with: str | None = None  # another process's ingest was running: this one did nothing

    @property
    def complete(self) -> bool:
        """The feed was read and current, and no missed day is still owed: nothing to retry."""
        owed = self.backfill is not None and self.backfill.failed
        return not self.stale and not owed and not any(p.startswith(FEED_KEY) for p in self.problems)


def expected_feed_date(now: datetime) -> date | None:
    """The day today's feed should carry, or None on weekends (arXiv announces Sunday to Thursday evenings).

    Feeds are rebuilt around midnight US Eastern; the Monday-to-Friday feeds carry that day's date.
    """
    eastern = now.astimezone(EASTERN)
    if eastern.weekday() >= 5:
        return None
    return eastern.date()


def feed_due(now: datetime) -> date | None:
    """The date of the feed that should have been read by `now`: today's (Eastern) on a weekday once the
    00:30 rebuild has passed, else None (a weekend's or a pre-rebuild gap is the backfill's business)."""
    if now.astimezone(EASTERN).time() < FEED_REBUILT:
        return None
    return expected_feed_date(now)


def feed_missed(status: digest_inputs.SourceStatus | None, now: datetime) -> date | None:
    """The due feed's date when it has not been read (the clock was down at 00:30, or the ingest was killed)."""
    due = feed_due(now)
    if due is None or (status is not None and status.feed_date is not None and status.feed_date >= due):
        return None
    return due


def ingest_owed(status: digest_inputs.SourceStatus | None, now: datetime, *, retry_after: timedelta,
                give_up_hour: int) -> bool:
    """Whether the clock should ingest now because the due feed is missing: nobody has tried since the
    rebuild (the 00:30 job was missed or killed before it wrote anything), or the last try failed long
    enough ago and the morning's retries are not over. Spaced like the retry job, so arXiv is not hammered."""
    if feed_missed(status, now) is None:
        return False
    tried = [t for t in (status.last_ok_at, status.last_error_at) if t is not None] if status else []
    last = max((t if t.tzinfo else t.replace(tzinfo=now.tzinfo) for t in tried), default=None)
    eastern = now.astimezone(EASTERN)
    rebuilt = datetime.combine(eastern.date(), FEED_REBUILT, tzinfo=EASTERN)
    if last is None or last < rebuilt:
        return True
    return eastern.hour < give_up_hour and now - last >= retry_after


def describe_missed(due: date, status: digest_inputs.SourceStatus | None) -> str:
    read = f" (the last one read is {status.feed_date:%a %d %b})" if status and status.feed_date else ""
    return f"{FEED_KEY}: today's feed ({due:%a %d %b}) has not been read yet{read}"


def feed_names(subscriptions: Sequence[Subscription], scope: ArxivScope) -> tuple[str, ...]:
    """The names of the one feed request: the deployment's whole scope (every archive by default), whatever
    the channels follow, so that no channel's digest depends on another's categories. Nothing without any
    subscription: there is no one to read it for."""
    return scope.feed_names() if subscriptions else ()


async def _set_status(app: App, key: str, ok: bool, message: str | None, *, feed_date: date | None = None,
                      items: int = 0) -> None:
    async with app.db.session() as session:
        await digest_inputs.record_source_status(session, key, ok, message, feed_date=feed_date, items=items,
                                                 now=app.now())
        await session.commit()


async def ingest_feeds(app: App, report: IngestReport, subscriptions: Sequence[Subscription]) -> None:
    names = feed_names(subscriptions, ingest_scope(app.settings.ingest_categories))
    report.feeds = names
    if not names:
        report.quiet = True
        return
    try:
        result = await fetch_feed(app.sources, names, expected_date=report.day)
    except SourceError as error:
        message = f"{FEED_KEY}: {error.source} {error.message}"
        report.problems.append(message)
        await _set_status(app, FEED_KEY, False, f"{error.source} {error.message}; retrying")
        return
    report.feed_date, report.skipped, report.stale = result.feed_date, result.skipped, result.stale
    report.quiet = result.quiet
    if result.stale:
        # Never store a stale feed as today's news: its papers went out with the earlier day.
        await _set_status(app, FEED_KEY, False,
                          f"the feed still shows {result.feed_date} (expected {report.day}); retrying",
                          feed_date=result.feed_date)
        return
    await _store(app, report, list(result.items))
    # Stored first: the day's papers are in the digest whatever the extras' sources do.
    report.extras = await enrich_papers(app, result.feed_date, result.items)
    report.new = sum(1 for r in result.items if r.is_new_announcement)
    report.updates = len(result.items) - report.new
    covered = await covered_through(app, FEED_KEY)  # read before today's date is written over the fallback
    await _set_status(app, FEED_KEY, True, None, feed_date=result.feed_date, items=len(result.items))
    # Today's papers are in whatever happens next: a failing backfill only leaves the missed days owed.
    report.backfill = await backfill_gap(app, names, covered, result.feed_date)
    if report.backfill is not None and report.backfill.problem:
        report.problems.append(f"{BACKFILL_KEY}: {report.backfill.problem}")


async def _store(app: App, report: IngestReport, records: list[PaperRecord]) -> int:
    if not records:
        return 0
    async with app.db.session() as session:
        rows = await repos.upsert_papers(session, records, now=app.now())
        await session.commit()
    report.stored += len(rows)
    return len(rows)


async def ingest_researchers(
    app: App, report: IngestReport, subscriptions: Sequence[Subscription], progress: Progress | None = None
) -> None:
    """Recent works of followed researchers, so journal and conference papers arrive too."""
    followed = [s for s in subscriptions if s.kind == SubscriptionKind.RESEARCHER]
    ids = sorted({s.openalex_id or "" for s in followed} - {""})
    use_openalex = app.settings.openalex_api_key is not None
    if use_openalex and ids and await openalex_known_spent(app):
        # Spent earlier today (by an ingest or a lookup, in any process): asking again only costs a 429.
        use_openalex = False
        report.problems.append("OpenAlex: daily API budget is used up; researchers' journal papers wait until tomorrow")
    # Without OpenAlex, everyone whose Semantic Scholar id we stored is still fetched from there.
    s2_ids = sorted({s.s2_id or "" for s in followed if not (use_openalex and s.openalex_id)} - {""})
    todo = [("openalex", i) for i in ids] if use_openalex else []
    todo += [("semanticscholar", i) for i in s2_ids]
    since_default = (app.now() - timedelta(days=7)).date()
    answered: set[str] = set()
    failed: set[str] = set()
    for done, (source, author_id) in enumerate(todo[:RESEARCHERS_PER_RUN], 1):
        if progress:
            progress("researchers", done, min(len(todo), RESEARCHERS_PER_RUN))
        checked = await _last_checked(app, source, author_id)
        since = checked.date() if checked else since_default
        try:
            if source == "openalex":
                listing = await OpenAlexSource(app.sources.openalex).works_by_author(author_id, since, max_results=100)
                records = [r for r in listing.items if r.arxiv_id or r.doi]
            else:
                s2 = await SemanticScholarSource(app.sources.semantic_scholar).author_papers(author_id, max_papers=100)
                records = [r for r in s2.items if (r.arxiv_id or r.doi) and _recent(r, since)]
        except RateLimited as error:
            report.problems.append(f"{error.source}: {error.message}; researchers' journal papers wait until tomorrow")
            await _set_status(app, error.source, False, error.message)
            if error.budget_exhausted and source == "openalex":
                await remember_openalex_spent(app, error)
            failed.add(error.source)
            break
        except SourceError as error:
            report.problems.append(f"{error.source}: {error.message}")
            await _set_status(app, error.source, False, error.message)
            failed.add(error.source)
            continue
        answered.add(app.sources.openalex.name if source == "openalex" else app.sources.semantic_scholar.name)
        report.researchers_checked += 1
        report.works_stored += await _store(app, report, records)
        await _mark_checked(app, source, author_id)
    for name in answered - failed:
        # It answered every time in this run: whatever `status` said about it earlier is over.
        await _clear_status(app, name)
    if not failed:  # a source failing now would fail again: reading works for evidence waits for the next run
        report.evidence_read = await refresh_missing_evidence(app, followed)
    if report.evidence_read:
        followed = [s for s in await all_subscriptions(app) if s.kind == SubscriptionKind.RESEARCHER]
    report.not_covered = coverage_lines(app.settings, followed, numbered=False)


async def _clear_status(app: App, key: str) -> None:
    async with app.db.session() as session:
        row = await digest_inputs.source_status(session, key)
        stale_problem = row is not None and not row.ok
    if stale_problem:
        await _set_status(app, key, True, None)


def _recent(record: PaperRecord, since: date) -> bool:
    published = record.published.date() if record.published else record.announced
    return published is None or published >= since


async def _last_checked(app: App, source: str, author_id: str) -> datetime | None:
    async with app.db.session() as session:
        return await digest_inputs.works_checked_at(session, source, author_id)


async def _mark_checked(app: App, source: str, author_id: str) -> None:
    async with app.db.session() as session:
        await digest_inputs.mark_works_checked(session, source, author_id)
        await session.commit()


async def all_subscriptions(app: App) -> list[Subscription]:
    async with app.db.session() as session:
        return await digest_inputs.all_subscriptions(session)


async def ingest(app: App, *, day: date | None = None, progress: Progress | None = None,
                 researchers: bool = True) -> IngestReport:
    """Fetch and store today's papers (or `day`'s, as far as the feeds still carry it).

    While another process is ingesting (a second clock, `radar ingest`), this returns at once with
    `busy_with` set: the other one is doing the same work, and two at once only doubled the requests.
    """
    report = IngestReport(day=day if day is not None else expected_feed_date(app.now()))
    async with ingest_turn(app) as holder:
        if holder is not None:
            report.busy_with = holder
            log.info("ingest: skipped, another ingest is running (%s)", holder)
            return report
        await _ingest(app, report, progress, researchers)
    return report


async def _ingest(app: App, report: IngestReport, progress: Progress | None, researchers: bool) -> None:
    subscriptions = await all_subscriptions(app)
    if progress:
        progress("feeds", 0, 1)
    await ingest_feeds(app, report, subscriptions)
    if progress:
        progress("feeds", 1, 1)
    if researchers:
        await ingest_researchers(app, report, subscriptions, progress)
        institutions = await ingest_institutions(app, subscriptions)
        report.institutions_listed = institutions.listed
        report.works_stored += institutions.stored
        report.stored += institutions.stored
        report.problems += institutions.problems
        report.not_covered += institutions.not_covered
    backfilled = f", {report.backfill.new} backfilled" if report.backfill else ""
    feeds = describe_feeds(report.feeds) if report.feeds else "no feeds"
    log.info("ingest: %d stored (%d new, %d updates%s) from %s%s", report.stored, report.new, report.updates,
             backfilled, feeds, " [stale]" if report.stale else "")


@contextlib.asynccontextmanager
async def ingest_turn(app: App) -> AsyncIterator[str | None]:
    """Hold the ingest lease for the block (yields None), or yield who holds it when another process does."""
    if not await _take_lease(app):
        yield await ingest_running(app) or "another process"
        return
    renewing = asyncio.create_task(_renew(app), name="ingest-lease")
    try:
        yield None
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await renewing
        # Best effort: if the database is down right now the lease simply runs out.
        with contextlib.suppress(Exception):
            async with app.db.session() as session:
                await leases.release(session, INGEST_LEASE, app.instance_id)
                await session.commit()


async def ingest_running(app: App) -> str | None:
    """Who is ingesting right now (any process), or None."""
    async with app.db.session() as session:
        held = await leases.holder(session, INGEST_LEASE)
    return held.owner if held else None


async def _take_lease(app: App) -> bool:
    async with app.db.session() as session:
        taken = await leases.take(session, INGEST_LEASE, app.instance_id, LEASE)
        await session.commit()
    return taken


async def _renew(app: App) -> None:
    while True:
        await asyncio.sleep(LEASE_RENEW_S)
        try:
            if not await _take_lease(app):
                log.warning("ingest: lost the ingest lease (renewal came too late); another ingest may start")
        except Exception as error:  # a database blip: the next renewal tries again, well within the lease
            log.warning("ingest: could not renew the ingest lease: %s", type(error).__name__)
