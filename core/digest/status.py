"""`status`: the last and next digest, today's intake, what is worth knowing and what is wrong.

Two lists, so a channel can tell them apart at a glance: notes are information (nothing to do), problems are
something wrong, each saying what to do about it. "Today" is the channel's own day, from its local midnight to the
next, wherever it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.app import App
from core.commands import Status
from core.digest.deliver import split_note
from core.digest.ingest import FEED_KEY, describe_missed, expected_feed_date, feed_missed
from core.model.channels import Channel, Subscription
from core.model.context import Actor, Destination
from core.model.enums import PauseCause, RunState
from core.researchers.citations import citation_cost
from core.researchers.coverage import coverage_lines
from core.researchers.institution_coverage import institution_lines
from core.storage import channels, digest_inputs, ledger, repos
from core.storage.db import AsyncSession
from core.storage.digest_inputs import SourceStatus
from core.storage.ledger import DigestRun
from core.subscriptions.sections import trending_top
from core.subscriptions.timing import WEEKLY, next_digest, schedule_text
from core.views import StatusView

RETRIED = "Paper Radar tries again by itself; if this lasts past the morning, tell whoever runs it."


def local_day_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The channel's today, as [midnight, next midnight) in UTC (as the database compares them). Built from the
    local date, so a day with a daylight-saving change is 23 or 25 hours long, as it is on the channel's clocks."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _problems(record: Channel | None, last_run: DigestRun | None, sources: list[SourceStatus],
              feed: SourceStatus | None, subscriptions: int, now: datetime) -> list[str]:
    problems: list[str] = []
    # A person's pause is a choice, not a problem; a platform's or a failed delivery's is.
    if record is not None and record.paused and record.paused_reason and record.pause_cause != PauseCause.MANAGER:
        fix = " Once that is fixed, `resume` starts them again." if record.pause_cause == PauseCause.DELIVERY else ""
        problems.append(f"Digests are paused: {record.paused_reason.rstrip('.')}.{fix}")
    if last_run is not None and last_run.state == RunState.FAILED and last_run.error:
        problems.append(f"The last digest did not go out: {last_run.error}. Once that is fixed, `digest now` "
                        "sends what it missed.")
    elif last_run is not None and last_run.state == RunState.RETRY and last_run.error:
        problems.append(f"The last digest has not gone out yet: {last_run.error}. It is retried by itself.")
    _, trouble = split_note(last_run.note if last_run is not None else None)
    if trouble:
        problems.append(trouble)
    for row in sources:
        since_text = f" since {row.last_error_at:%d %b %H:%M} UTC" if row.last_error_at else ""
        problems.append(f"{row.key}: {row.message or 'failing'}{since_text}. {RETRIED}")
    # A feed that was never read today fails nowhere (the clock was down at 00:30, or its ingest was
    # killed): without this, status would call it fine while today's digest goes out without its papers.
    missed = feed_missed(feed, now) if subscriptions and (feed is None or feed.ok) else None
    if missed is not None:
        problems.append(f"{describe_missed(missed, feed)}; the clock reads it within minutes once it runs. If it "
                        "does not, tell whoever runs Paper Radar: its clock may be stopped.")
    return problems


def _notes(last_run: DigestRun | None, subscriptions: int, papers_today: int, now: datetime) -> list[str]:
    notes: list[str] = []
    if not subscriptions:
        notes.append("This channel follows nothing yet: `subscribe topic <query>`, `subscribe category cs.LG` or "
                     "`follow <name>` starts its digest.")
    caught_up, _ = split_note(last_run.note if last_run is not None else None)
    if caught_up:
        notes.append(f"The last digest made up for a missed one: {caught_up}")
    if not papers_today and expected_feed_date(now) is None:
        notes.append("arXiv announces no new papers on Saturdays and Sundays (US Eastern), so none came in today.")
    return notes


def schedule_notes(record: Channel | None, subscriptions: list[Subscription]) -> list[str]:
    """What the channel's digest holds besides its matches, and a weekly cadence: worth knowing, nothing wrong."""
    notes: list[str] = []
    if record is not None and record.cadence == WEEKLY:
        notes.append(f"The digest is weekly ({schedule_text(record.cadence, record.weekdays)}): each covers the "
                     "seven days before it, ranked together.")
    cost = citation_cost(subscriptions)
    if cost:
        notes.append(cost)
    for sub in subscriptions:
        if sub.kind == "trending":
            notes.append(f"Each digest ends with the {trending_top(sub.query)} most upvoted of Hugging Face's daily "
                         f"papers that this channel has not had (#{sub.number}); none on days it lists none.")
    return notes


async def researcher_coverage(app: App, session: AsyncSession, channel_id: int) -> list[str]:
    """What of this channel's followed researchers' papers does not come, and the setting that brings it."""
    return coverage_lines(app.settings, await channels.list_subscriptions(session, channel_id), unread=False)


async def status(app: App, command: Status, actor: Actor, where: Destination) -> StatusView:
    now = app.now()
    async with app.db.session() as session:
        record = await channels.find_channel(session, where)
        timezone = record.timezone if record else "UTC"
        ingested = await digest_inputs.papers_first_seen_between(session, *local_day_bounds(now, timezone))
        sources = await digest_inputs.failing_sources(session)
        feed = await digest_inputs.source_status(session, FEED_KEY)
        last_run = None
        subscriptions = 0
        uncovered: list[str] = []
        extra_notes: list[str] = []
        if record is not None:
            last_run = await ledger.latest_run(session, record.id)
            subscriptions = await repos.count_subscriptions(session, record.id)
            uncovered = await researcher_coverage(app, session, record.id) if subscriptions else []
            mine = await channels.list_subscriptions(session, record.id) if subscriptions else []
            if any(s.kind == "institution" for s in mine):
                extra_notes, more = institution_lines(app.settings, mine,
                                                            await digest_inputs.all_subscriptions(session))
                uncovered += more
            extra_notes += schedule_notes(record, mine)
            if app.settings.openalex_api_key is None and any(s.kind == "citations" for s in mine):
                uncovered.append("New citations do not come: OPENALEX_API_KEY is not set on this server. Whoever "
                                 "runs Paper Radar can set it.")
    upcoming = None
    if record is not None and not record.paused:
        upcoming = next_digest(record.digest_time, record.weekdays, record.timezone, now)
    elif record is None:
        upcoming = next_digest("08:00", "mon-fri", "UTC", now)
    return StatusView(
        last_run=last_run.finished_at or last_run.started_at if last_run else None,
        last_run_state=last_run.state if last_run else None,
        last_run_items=last_run.item_count if last_run else 0,
        next_run=upcoming,
        papers_today=int(ingested),
        subscriptions=subscriptions,
        paused=bool(record and record.paused),
        paused_reason=record.paused_reason if record else None,
        problems=tuple(_problems(record, last_run, sources, feed, subscriptions, now) + uncovered),
        notes=tuple(_notes(last_run, subscriptions, int(ingested), now) + extra_notes),
        timezone=timezone,
    )
