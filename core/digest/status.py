"""`status`: the last and next digest, today's intake, and every problem this channel should know about."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from core.app import App
from core.commands import Status
from core.digest.ingest import FEED_KEY, describe_missed, feed_missed
from core.model.context import Actor, Destination
from core.model.enums import PauseCause, RunState
from core.researchers.coverage import coverage_lines
from core.storage import channels, digest_inputs, ledger, repos
from core.storage.db import AsyncSession
from core.subscriptions.timing import next_digest
from core.views import StatusView


def _local_midnight(now: datetime, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)


async def researcher_coverage(app: App, session: AsyncSession, channel_id: int) -> list[str]:
    """What of this channel's followed researchers' papers does not come, and the setting that brings it."""
    return coverage_lines(app.settings, await channels.list_subscriptions(session, channel_id), unread=False)


async def status(app: App, command: Status, actor: Actor, where: Destination) -> StatusView:
    now = app.now()
    async with app.db.session() as session:
        record = await channels.find_channel(session, where)
        timezone = record.timezone if record else "UTC"
        since = _local_midnight(now, timezone)
        ingested = await digest_inputs.papers_first_seen_since(session, since)
        sources = await digest_inputs.failing_sources(session)
        feed = await digest_inputs.source_status(session, FEED_KEY)
        last_run = None
        subscriptions = 0
        uncovered: list[str] = []
        if record is not None:
            last_run = await ledger.latest_run(session, record.id)
            subscriptions = await repos.count_subscriptions(session, record.id)
            uncovered = await researcher_coverage(app, session, record.id) if subscriptions else []
    problems: list[str] = []
    # A person's pause is a choice, not a problem; a platform's or a failed delivery's is.
    if record is not None and record.paused and record.paused_reason and record.pause_cause != PauseCause.MANAGER:
        problems.append(f"Digests are paused: {record.paused_reason}")
    if last_run is not None and last_run.state in (RunState.FAILED, RunState.RETRY) and last_run.error:
        problems.append(f"The last digest did not go out: {last_run.error}")
    if last_run is not None and last_run.note:
        problems.append(last_run.note)
    for row in sources:
        since_text = f" since {row.last_error_at:%d %b %H:%M} UTC" if row.last_error_at else ""
        problems.append(f"{row.key}: {row.message or 'failing'}{since_text}")
    # A feed that was never read today fails nowhere (the clock was down at 00:30, or its ingest was
    # killed): without this, status would call it fine while today's digest goes out without its papers.
    missed = feed_missed(feed, now) if subscriptions and (feed is None or feed.ok) else None
    if missed is not None:
        problems.append(f"{describe_missed(missed, feed)}; the clock reads it within minutes once it runs")
    problems.extend(uncovered)
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
        problems=tuple(problems),
        timezone=timezone,
    )


