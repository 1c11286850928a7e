"""Delivering a digest exactly once.

1. Record the run and claim its papers in the ledger in one transaction (the unique constraint means a
   paper another run or another clock already claimed is simply not ours).
2. Hand the rendered digest to the destination's sink, which posts message by message and calls back after
   each accepted message; each callback marks those papers sent, with the platform's message id, at once.
3. A crash between claim and send leaves claimed-but-unsent rows: `resume_pending` sends exactly those.
   A sink error either retries later (rate limit, outage) or pauses the destination with a reason that
   `status` shows; unsent claims are then released so that nothing is lost when the channel comes back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.app import App
from core.digest.plan import DigestPlan, PlannedItem, plan_digest, window_for
from core.model.context import Destination
from core.model.enums import PauseCause
from core.model.sink import DeliveryError
from core.storage import repos
from core.storage.models import DeliveryRow, DestinationRow, DigestRunRow, PaperRow, utcnow
from core.views import DigestItem, DigestReason, DigestView, Visibility

log = logging.getLogger(__name__)
SNIPPET = 280
SHOWN_AUTHORS = 3
MAX_ATTEMPTS = 6
TITLE = "Paper Radar digest"
LEASE = timedelta(minutes=10)
RECENT_RUN = timedelta(minutes=30)  # a scheduled digest this close to another one is the same slot


@dataclass
class RunOutcome:
    destination_id: int
    run_id: int | None
    state: str  # done | empty | retry | paused | failed | skipped
    sent: int = 0
    message: str = ""


def address(record: DestinationRow) -> Destination:
    return Destination(record.platform, record.workspace_id, record.channel_id)


def _reasons_json(item: PlannedItem) -> list[dict[str, object]]:
    return [{"kind": r.kind, "subscription": r.number, "text": r.text, "by_name": r.by_name}
            for r in item.match.reasons]


def shown_authors(names: list[str]) -> str:
    """The first few authors, as a digest line has room for them."""
    return ", ".join(names[:SHOWN_AUTHORS]) + (" et al." if len(names) > SHOWN_AUTHORS else "")


def snippet_of(abstract: str) -> str:
    """The abstract's opening, cut at a word: enough to judge a paper by, short enough for a digest."""
    return abstract if len(abstract) <= SNIPPET else abstract[:SNIPPET].rsplit(" ", 1)[0] + "…"


def digest_item(row: DeliveryRow, paper: PaperRow) -> DigestItem:
    authors = shown_authors([a.get("name", "") for a in paper.authors or ()])
    snippet = snippet_of(paper.abstract or "")
    url = f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else (
        paper.links.get("landing") or (f"https://doi.org/{paper.doi}" if paper.doi else ""))
    reasons = tuple(
        DigestReason(kind=str(r.get("kind", "")), text=str(r.get("text", "")), by_name=bool(r.get("by_name")))
        for r in row.reasons or () if isinstance(r, dict)
    )
    return DigestItem(
        paper_id=paper.id, title=paper.title, url=url, authors=authors, why=reasons, snippet=snippet,
        categories=tuple(paper.categories or ()), version=row.version, is_update=row.revision > 0,
        pdf_url=f"https://arxiv.org/pdf/{paper.arxiv_id}" if paper.arxiv_id else paper.links.get("pdf"),
    )


def _local_day(moment: datetime | None, timezone: str) -> datetime:
    moment = moment or utcnow()
    try:
        return moment.astimezone(ZoneInfo(timezone))
    except Exception:
        return moment


def _owner_gone(owner: str | None) -> bool:
    """True when a lease's owner was a process on this machine that no longer runs (killed, crashed): its
    lease need not run out before a restarted clock resumes the run. Instance ids are host:pid:random."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:30] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


async def acquire_lease(app: App, run_id: int) -> bool:
    """Take (or renew) the right to deliver a run; False while another live process holds it."""
    now = utcnow()
    async with app.db.session() as session:
        owner = (await session.exec(select(DigestRunRow.lease_owner).where(DigestRunRow.id == run_id))).first()
        free = [col(DigestRunRow.lease_until).is_(None), col(DigestRunRow.lease_until) < now,
                col(DigestRunRow.lease_owner) == app.instance_id]
        if owner and owner != app.instance_id and _owner_gone(owner):
            free.append(col(DigestRunRow.lease_owner) == owner)  # the conditional update still lets one taker win
        result = await session.execute(
            update(DigestRunRow)
            .where(col(DigestRunRow.id) == run_id, or_(*free))
            .values(lease_owner=app.instance_id, lease_until=now + LEASE)
        )
        await session.commit()
    return bool(getattr(result, "rowcount", 0))


async def start_run(
    app: App, destination: DestinationRow, plan: DigestPlan, *, kind: str, note: str | None = None
) -> DigestRunRow:
    """Record the run and claim its first `max_items` papers, in one transaction."""
    async with app.db.session() as session:
        run = await _record_and_claim(app, session, destination, plan, kind=kind, note=note)
        await session.commit()
    return run


async def _record_and_claim(
    app: App, session: AsyncSession, destination: DestinationRow, plan: DigestPlan, *, kind: str,
    note: str | None,
) -> DigestRunRow:
    assert destination.id is not None
    shown, rest = plan.items[: destination.max_items], plan.items[destination.max_items :]
    run = DigestRunRow(destination_id=destination.id, kind=kind, state="sending", scheduled_for=app.now(),
                       window_start=plan.window_start, window_end=plan.window_end, started_at=utcnow(),
                       more_ids=[i.paper_id for i in rest], lease_owner=app.instance_id,
                       lease_until=utcnow() + LEASE, note=note)
    if plan.catch_up:
        since = _local_day(plan.window_start, destination.timezone)
        run.note = (f"Catching up on {plan.days_covered} days: {len(plan.items)} papers matched since "
                    f"{since:%a %d %b}." + (f" {note}" if note else ""))
    session.add(run)
    await session.flush()
    assert run.id is not None
    claims = [repos.Claim(i.paper_id, i.revision, max(i.match.paper.versions or (0,)) or None, _reasons_json(i))
              for i in shown]
    owned = await repos.claim_deliveries(session, destination.id, run.id, claims)
    run.item_count, run.more_count = len(owned), len(rest)
    if claims and not owned:
        # Another clock claimed every paper first: that run is the digest; this one sends nothing.
        run.state, run.finished_at, run.lease_until = "superseded", utcnow(), None
    session.add(run)
    return run


_sqlite_locks: dict[str, asyncio.Lock] = {}


@asynccontextmanager
async def _destination_turn(app: App, session: AsyncSession, destination_id: int) -> AsyncIterator[None]:
    """One planner per destination at a time, across processes: a PostgreSQL advisory lock held until the
    transaction ends; on SQLite (one machine, one writer) a lock shared by every App of this process."""
    if app.db.is_sqlite:
        lock = _sqlite_locks.setdefault(f"{app.db.url}:{destination_id}", asyncio.Lock())
        async with lock:
            yield
    else:
        await session.execute(text("SELECT pg_advisory_xact_lock(4242, :id)"), {"id": destination_id})
        yield


async def _recent_run(session: AsyncSession, destination_id: int) -> bool:
    since = utcnow() - RECENT_RUN
    found = (await session.exec(
        select(DigestRunRow.id).where(
            DigestRunRow.destination_id == destination_id, col(DigestRunRow.started_at) >= since,
            col(DigestRunRow.kind).in_(["scheduled", "catchup", "now"]),
            col(DigestRunRow.state).not_in(["superseded", "failed"]),
        ).limit(1)
    )).first()
    return found is not None


async def view_for_run(app: App, run: DigestRunRow, destination: DestinationRow) -> DigestView:
    """The digest of a run from its ledger rows: only what is claimed and not yet sent, in order."""
    async with app.db.session() as session:
        rows = (await session.exec(
            select(DeliveryRow).where(DeliveryRow.run_id == run.id, DeliveryRow.state == "claimed")
            .order_by(col(DeliveryRow.position))
        )).all()
        papers = {p.id: p for p in (await session.exec(
            select(PaperRow).where(col(PaperRow.id).in_([r.paper_id for r in rows]))
        )).all()} if rows else {}
    items = tuple(digest_item(row, papers[row.paper_id]) for row in rows if row.paper_id in papers)
    return DigestView(
        day=_local_day(run.window_end, destination.timezone).date(), title=TITLE, items=items,
        more_count=run.more_count, total_matched=run.item_count + run.more_count,
        subscriptions=await _subscription_count(app, destination), note=run.note, run_id=run.id,
        visibility=Visibility.CHANNEL,
    )


async def _subscription_count(app: App, destination: DestinationRow) -> int:
    assert destination.id is not None
    async with app.db.session() as session:
        return await repos.count_subscriptions(session, destination.id)


async def deliver_run(app: App, run_id: int) -> RunOutcome:
    """Send what a run has claimed and not yet sent; finish, retry later, or pause the destination."""
    async with app.db.session() as session:
        run = await session.get(DigestRunRow, run_id)
        destination = await session.get(DestinationRow, run.destination_id) if run else None
    if run is None or destination is None or destination.id is None:
        return RunOutcome(0, run_id, "skipped", message="run or destination gone")
    if run.state == "superseded":
        return RunOutcome(destination.id, run_id, "skipped", message="another clock sent this digest")
    sink = app.sinks.get(destination.platform)
    if sink is None:
        return RunOutcome(destination.id, run_id, "skipped", message=f"no {destination.platform} sink here")
    if not await acquire_lease(app, run_id):
        return RunOutcome(destination.id, run_id, "skipped", message="another clock is delivering this run")
    view = await view_for_run(app, run, destination)
    if run.state == "retry" or run.messages or run.lease_owner != app.instance_id:
        view = replace(view, resumed=True)  # not the run this process just planned: an earlier try may have posted
    if not view.items and (run.item_count or run.messages or not destination.quiet_notice):
        # Either everything was sent before a crash, or a quiet day in a channel that wants no notice.
        await _finish(app, run_id, destination.id, "done")
        return RunOutcome(destination.id, run_id, "done" if run.item_count else "empty")
    sent_count = 0

    async def mark_sent(paper_ids: Sequence[str], message_id: str) -> None:
        nonlocal sent_count
        async with app.db.session() as session:
            await repos.mark_sent(session, run_id, list(paper_ids), message_id)
            current = await session.get(DigestRunRow, run_id)
            if current is not None:
                current.messages = [*current.messages, message_id]
                current.lease_until = utcnow() + LEASE  # still alive and sending
                session.add(current)
            await session.commit()
        sent_count += len(paper_ids)

    try:
        await sink.send_digest(address(destination), view, mark_sent, previous=tuple(run.messages))
    except DeliveryError as error:
        return await _failed(app, run_id, destination.id, error, sent_count)
    await _finish(app, run_id, destination.id, "done")
    return RunOutcome(destination.id, run_id, "done", sent=sent_count)


async def _finish(app: App, run_id: int, destination_id: int, state: str) -> None:
    async with app.db.session() as session:
        run = await session.get(DigestRunRow, run_id)
        destination = await session.get(DestinationRow, destination_id)
        if run is None or destination is None:
            return
        run.state, run.finished_at, run.error, run.lease_until = state, utcnow(), None, None
        if run.kind in ("scheduled", "now", "catchup") and run.window_end is not None:
            destination.last_digest_at = run.window_end
            session.add(destination)
        session.add(run)
        await session.commit()


async def _failed(app: App, run_id: int, destination_id: int, error: DeliveryError, sent: int) -> RunOutcome:
    async with app.db.session() as session:
        run = await session.get(DigestRunRow, run_id)
        destination = await session.get(DestinationRow, destination_id)
        assert run is not None and destination is not None
        run.attempts += 1
        run.error = error.reason
        run.lease_until = None
        run.finished_at = utcnow()  # the time of the last attempt, which the retry backoff counts from
        give_up = error.pause or run.attempts >= MAX_ATTEMPTS
        if give_up:
            run.state = "failed"
            # Release what was never sent, so the next digest after a resume can bring it.
            await session.execute(delete(DeliveryRow).where(
                col(DeliveryRow.run_id) == run_id, col(DeliveryRow.state) == "claimed"))
        else:
            run.state = "retry"
        if error.pause:
            destination.paused, destination.paused_reason = True, error.reason
            # A lost workspace access is lifted by regaining it; a refused channel only by a person.
            destination.pause_cause = PauseCause.ACCESS_LOST if error.access_lost else PauseCause.DELIVERY
            session.add(destination)
        session.add(run)
        await session.commit()
    state = "paused" if error.pause else ("failed" if give_up else "retry")
    log.warning("digest run %s for destination %s: %s (%s)", run_id, destination_id, error.reason, state)
    return RunOutcome(destination_id, run_id, state, sent=sent, message=error.reason)


async def run_digest(
    app: App, destination_id: int, *, kind: str = "scheduled", note: str | None = None
) -> RunOutcome:
    """Plan, record, claim and deliver one destination's digest now.

    Planning and claiming happen in one transaction, one planner per destination at a time, so a second
    clock firing the same schedule finds the slot taken and sends nothing.
    """
    async with app.db.session() as session, _destination_turn(app, session, destination_id):
        destination = await session.get(DestinationRow, destination_id)
        if destination is None or (destination.paused and kind == "scheduled"):
            return RunOutcome(destination_id, None, "skipped", message="paused or gone")
        if destination.platform not in app.sinks:
            # Claim nothing this process cannot send: the papers stay free for a process that can.
            return RunOutcome(destination_id, None, "skipped", message=f"no {destination.platform} sink here")
        if kind == "scheduled" and await _recent_run(session, destination_id):
            return RunOutcome(destination_id, None, "skipped", message="this slot's digest is already out")
        plan = await plan_digest(session, destination, window_for(destination, app.now()))
        if plan.catch_up and kind == "scheduled":
            kind = "catchup"
        run = await _record_and_claim(app, session, destination, plan, kind=kind, note=note)
        await session.commit()
    assert run.id is not None
    return await deliver_run(app, run.id)


def retry_due(run: DigestRunRow, now: datetime) -> bool:
    last = run.finished_at or run.started_at
    if last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    return now - last >= timedelta(minutes=min(60, 2 ** max(0, run.attempts)))


async def resume_pending(app: App, *, platforms: Sequence[str] | None = None) -> list[RunOutcome]:
    """Finish runs a crash interrupted (state sending) and retry those whose wait is over (state retry)."""
    async with app.db.session() as session:
        runs = (await session.exec(
            select(DigestRunRow).where(col(DigestRunRow.state).in_(["sending", "retry"]))
            .order_by(col(DigestRunRow.id))
        )).all()
    outcomes = []
    now = utcnow()
    for run in runs:
        if run.state == "retry" and not retry_due(run, now):
            continue
        assert run.id is not None
        outcome = await deliver_run(app, run.id)
        if platforms is None or outcome.state != "skipped":
            outcomes.append(outcome)
    return outcomes
