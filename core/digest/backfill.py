"""Backfill: the papers of announcement days whose feed never came (arXiv down all day), from the query API.

An announcement feed carries only its own day, so a day whose feed failed until ingest gave up is in no later
feed. When a feed is read again, the announcement days between the last one covered and this one are fetched
from the arXiv query API instead, for the same categories. The API knows submission dates, not announcement
dates, and its index lags, so the window is generous and de-duplication does the rest: a paper already stored
is left untouched (never stored again as new, so never delivered twice, and a replacement the API already
shows does not swallow the feed's later "replace" item), and a paper not seen before arrives now, in the next
digest of every channel it matches.

The marker is its own `source_status` row (`BACKFILL_KEY`), whose `feed_date` is the last announcement day
whose papers are known to be stored. It advances only when a feed is read with no gap behind it, or when the
gap was fetched; a failed backfill leaves it where it was, so the next ingest finds the gap again and retries.
The feed row's own `feed_date` cannot serve: a stale feed writes the date it shows there too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from core.app import App
from core.model.papers import PaperRecord
from core.sources.arxiv_api import search
from core.sources.arxiv_text import EASTERN
from core.sources.http import SourceError
from core.storage import digest_inputs, repos
from core.subscriptions.categories import ARCHIVES, is_category

log = logging.getLogger(__name__)
BACKFILL_KEY = "arXiv backfill"
# A feed lists what was submitted up to 14:00 US Eastern on the weekday before its date. The window starts
# this much earlier (papers held in moderation a day) and ends this much later (the API's own clock).
LEAD = timedelta(days=1)
SLACK = timedelta(hours=1)
# An outage longer than this is not fetched in full: the papers submitted before are left out (and `status`
# says so). Two weeks is also as far back as a catch-up digest looks.
MAX_LOOKBACK = timedelta(days=14)
PAGE_SIZE = 500
MAX_PAGES = 10  # at arXiv's 3 s spacing, half a minute of requests at most, however long the outage was
MAX_RESULTS = PAGE_SIZE * MAX_PAGES
CUTOFF = time(14, 0)  # arXiv's daily submission deadline, US Eastern


# ---------------------------------------------------------------- the calendar


def _next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _previous_weekday(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def missed_feed_dates(covered: date | None, current: date | None) -> tuple[date, ...]:
    """The announcement days (feeds are dated Monday to Friday) strictly between the last covered feed and
    this one: empty when nothing is known yet, when the feeds follow each other, or across a weekend."""
    if covered is None or current is None:
        return ()
    missed = []
    day = _next_weekday(covered)
    while day < current:
        missed.append(day)
        day = _next_weekday(day)
    return tuple(missed)


def likely_feed_date(submitted: datetime) -> date:
    """The feed a paper submitted at `submitted` (its v1) was most likely announced in.

    What arrives by 14:00 Eastern on a weekday is announced that evening (Friday's on Sunday evening) and is
    in the next weekday's feed; later, or at a weekend, it waits for the next weekday's deadline.
    """
    local = submitted.astimezone(EASTERN) if submitted.tzinfo else submitted.replace(tzinfo=UTC).astimezone(EASTERN)
    deadline_day = local.date()
    if deadline_day.weekday() >= 5 or local.time() >= CUTOFF:
        deadline_day = _next_weekday(deadline_day)
    return _next_weekday(deadline_day)


@dataclass(frozen=True)
class BackfillWindow:
    """What to ask the API for: submissions from `start` to `end` (UTC), covering the `missed` days."""

    missed: tuple[date, ...]
    start: datetime
    end: datetime
    # The outage was longer than MAX_LOOKBACK: the start was moved forward and older papers are left out.
    shortened: bool = False


def submission_deadline(feed_day: date) -> datetime:
    """The last moment (UTC) a paper could be submitted to be announced in the feed dated `feed_day`."""
    return datetime.combine(_previous_weekday(feed_day), CUTOFF, tzinfo=EASTERN).astimezone(UTC)


def backfill_window(covered: date | None, current: date | None, now: datetime) -> BackfillWindow | None:
    """The submission window that holds every paper announced on the missed days, or None without a gap.

    The feed dated D lists what was submitted between the deadlines of the two weekdays before D, so the
    missed days m1..mk need (deadline(m1's previous weekday), deadline(mk)]. The window starts LEAD earlier
    for papers held in moderation and ends SLACK later for the API's clock; it stops well short of today's
    submissions, which later feeds announce (fetched early they would reach a channel before their day).
    """
    missed = missed_feed_dates(covered, current)
    if not missed:
        return None
    start = submission_deadline(_previous_weekday(missed[0])) - LEAD
    end = min(submission_deadline(missed[-1]) + SLACK, now.astimezone(UTC))
    earliest = end - MAX_LOOKBACK
    if start < earliest:
        return BackfillWindow(missed, earliest, end, shortened=True)
    return BackfillWindow(missed, start, end)


def api_categories(feed_names: Sequence[str]) -> list[str]:
    """The feeds' names as the query API wants them: an archive feed (`cs`) is the wildcard `cs.*` there,
    while a single-category archive (`hep-th`) and a category (`cs.LG`) are themselves."""
    return [f"{name}.*" if "." not in name and name in ARCHIVES and not is_category(name) else name
            for name in feed_names]


def describe_days(days: Sequence[date]) -> str:
    if len(days) <= 3:
        return " and ".join(f"{day:%a %d %b}" for day in days)
    return f"the {len(days)} announcement days from {days[0]:%a %d %b} to {days[-1]:%a %d %b}"


# ---------------------------------------------------------------- the marker


@dataclass
class BackfillReport:
    missed: tuple[date, ...]
    window: BackfillWindow
    query: str = ""
    fetched: int = 0  # papers the API listed in the window
    new: int = 0  # of those, papers not stored before: they arrive in the next digests
    total: int = 0  # what the API said the window holds
    capped: bool = False  # the caps stopped it: some missed papers were not fetched
    failed: bool = False  # nothing fetched; the marker stays, the next ingest tries again
    problem: str | None = None


async def covered_through(app: App, feed_key: str) -> date | None:
    """The last announcement day known to be stored. Call it before today's feed status is written: until a
    first backfill row exists (a database from before backfills), the feed row's last date stands in."""
    async with app.db.session() as session:
        row = await digest_inputs.source_status(session, BACKFILL_KEY)
        if row is not None and row.feed_date is not None:
            return row.feed_date
        feed = await digest_inputs.source_status(session, feed_key)
    return feed.feed_date if feed is not None else None


async def _record(app: App, ok: bool, message: str | None, covered: date | None, items: int = 0) -> None:
    # Unlike other sources' rows, the date is always passed: it is the marker, and a failure must pin it
    # where it was (it is never None here: without a covered day there is no gap to fail on).
    async with app.db.session() as session:
        await digest_inputs.record_source_status(session, BACKFILL_KEY, ok, message, feed_date=covered, items=items)
        await session.commit()


# ---------------------------------------------------------------- fetching the gap


def _dated(record: PaperRecord) -> PaperRecord:
    # The API does not say when a paper was announced; the estimate ranks it with its day's papers.
    if record.announced is None and record.published is not None:
        return replace(record, announced=likely_feed_date(record.published))
    return record


async def _store_unknown(app: App, records: Sequence[PaperRecord]) -> int:
    """Store the papers not stored yet; leave every known one exactly as it is."""
    async with app.db.session() as session:
        known = await digest_inputs.known_paper_ids(session, [r.canonical_id for r in records])
        fresh = [_dated(r) for r in records if r.canonical_id not in known]
        if fresh:
            await repos.upsert_papers(session, fresh, now=app.now())
            await session.commit()
    return len(fresh)


async def backfill_gap(app: App, feed_names: Sequence[str], covered: date | None,
                       current: date | None) -> BackfillReport | None:
    """After today's feed (dated `current`) was stored: fetch the days missed since `covered`, if any, and
    move the marker. None when there was no gap to fetch."""
    if current is None:
        return None
    # A damaged feed dated in the future must not carry the marker past days that have not happened yet.
    current = min(current, app.now().astimezone(EASTERN).date())
    window = backfill_window(covered, current, app.now()) if feed_names else None
    if window is None:
        await _record(app, True, None, max(current, covered) if covered else current)
        return None
    report = BackfillReport(window.missed, window)
    days = describe_days(window.missed)
    try:
        result = await search(app.sources, category=api_categories(feed_names), submitted_from=window.start,
                              submitted_to=window.end, max_results=MAX_RESULTS, page_size=PAGE_SIZE,
                              sort_by="submittedDate", sort_order="descending")
    except SourceError as error:
        report.failed = True
        # Read in a channel's digest note and in `status`: no "ingest", only what is missing and why.
        report.problem = f"the papers announced on {days} could not be fetched yet — {error.source} {error.message}"
        log.warning("backfill of %s failed: %s", days, error)
        await _record(app, False, report.problem, covered)
        return report
    report.query, report.fetched, report.total = result.query, len(result.records), result.total_results
    report.new = await _store_unknown(app, result.records)
    # Newest first: when the caps stop it, what is left out is the oldest part of the window.
    report.capped = window.shortened or result.next_start is not None
    if report.capped:
        report.problem = (f"the outage was too long to fetch in full: brought in the {report.fetched} most recent "
                          f"of {max(report.total, report.fetched)} papers submitted since {window.start:%a %d %b}; "
                          f"older papers of {days} were not fetched")
    log.info("backfill of %s: %d papers listed, %d new%s", days, report.fetched, report.new,
             " [capped]" if report.capped else "")
    # Capped or not, the gap is closed: asking again would only fetch the same newest papers.
    await _record(app, not report.capped, report.problem, current, items=report.new)
    return report
