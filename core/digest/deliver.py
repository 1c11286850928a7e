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

import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from core.app import App
from core.digest.plan import DigestPlan, PlannedItem, PlanSettings, plan_digest, window_for
from core.model.channels import Channel
from core.model.context import Destination
from core.model.enums import PauseCause, RunKind, RunState
from core.model.sink import DeliveryError
from core.storage import digest_inputs, ledger, repos
from core.storage.db import AsyncSession
from core.storage.ledger import DigestRun, LedgerItem
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


class RunSettings(PlanSettings, Protocol):
    """What starting a run reads of a channel, besides what planning reads."""

    @property
    def timezone(self) -> str: ...


def address(record: Channel) -> Destination:
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


def digest_item(item: LedgerItem) -> DigestItem:
    """A digest line from a ledger row and its paper, with the reasons recorded when it was claimed."""
    paper = item.paper
    reasons = tuple(
        DigestReason(kind=str(r.get("kind", "")), text=str(r.get("text", "")), by_name=bool(r.get("by_name")))
        for r in item.reasons if isinstance(r, dict)
    )
    return DigestItem(
        paper_id=item.paper_id, title=paper.title, url=paper.abs_url or "",
        authors=shown_authors([a.name or "" for a in paper.authors]), why=reasons,
        snippet=snippet_of(paper.abstract or ""), categories=paper.categories, version=item.version,
        is_update=item.revision > 0, pdf_url=paper.pdf_url,
    )


def _local_day(moment: datetime | None, timezone: str) -> datetime:
    moment = moment or datetime.now(UTC)
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
    async with app.db.session() as session:
        owner = await ledger.lease_owner(session, run_id)
        dead = owner if owner and owner != app.instance_id and _owner_gone(owner) else None
        taken = await ledger.take_lease(session, run_id, app.instance_id, LEASE, from_dead_owner=dead)
        await session.commit()
    return taken


async def start_run(
    app: App, destination: RunSettings, plan: DigestPlan, *, kind: RunKind, note: str | None = None
) -> DigestRun:
    """Record the run and claim its first `max_items` papers, in one transaction."""
    async with app.db.session() as session:
        run = await _record_and_claim(app, session, destination, plan, kind=kind, note=note)
        await session.commit()
    return run


async def _record_and_claim(
    app: App, session: AsyncSession, destination: RunSettings, plan: DigestPlan, *, kind: RunKind,
    note: str | None,
) -> DigestRun:
    """Record the run and claim what it shows; past the cap, papers wait for `digest more`. If another clock
    claimed every paper first, the ledger records this run as superseded and it sends nothing."""
    assert destination.id is not None
    shown, rest = plan.items[: destination.max_items], plan.items[destination.max_items :]
    if plan.catch_up:
        since = _local_day(plan.window_start, destination.timezone)
        note = (f"Catching up on {plan.days_covered} days: {len(plan.items)} papers matched since "
                f"{since:%a %d %b}." + (f" {note}" if note else ""))
    claims = [ledger.Claim(i.paper_id, i.revision, max(i.match.paper.versions or (0,)) or None, _reasons_json(i))
              for i in shown]
    return await ledger.create_run(
        session, destination_id=destination.id, kind=kind, claims=claims, more_ids=[i.paper_id for i in rest],
        owner=app.instance_id, lease=LEASE, scheduled_for=app.now(), window_start=plan.window_start,
        window_end=plan.window_end, note=note,
    )


async def view_for_run(app: App, run: DigestRun, destination: Channel) -> DigestView:
    """The digest of a run from its ledger rows: only what is claimed and not yet sent, in order."""
    async with app.db.session() as session:
        items = tuple(digest_item(item) for item in await ledger.run_items(session, run.id, unsent_only=True))
    return DigestView(
        day=_local_day(run.window_end, destination.timezone).date(), title=TITLE, items=items,
        more_count=run.more_count, total_matched=run.item_count + run.more_count,
        subscriptions=await _subscription_count(app, destination), note=run.note, run_id=run.id,
        visibility=Visibility.CHANNEL,
    )


async def _subscription_count(app: App, destination: Channel) -> int:
    async with app.db.session() as session:
        return await repos.count_subscriptions(session, destination.id)


async def deliver_run(app: App, run_id: int) -> RunOutcome:
    """Send what a run has claimed and not yet sent; finish, retry later, or pause the destination."""
    async with app.db.session() as session:
        run = await ledger.get_run(session, run_id)
        destination = await digest_inputs.digest_channel(session, run.destination_id) if run else None
    if run is None or destination is None:
        return RunOutcome(0, run_id, "skipped", message="run or destination gone")
    if run.state == RunState.SUPERSEDED:
        return RunOutcome(destination.id, run_id, "skipped", message="another clock sent this digest")
    sink = app.sinks.get(destination.platform)
    if sink is None:
        return RunOutcome(destination.id, run_id, "skipped", message=f"no {destination.platform} sink here")
    if not await acquire_lease(app, run_id):
        return RunOutcome(destination.id, run_id, "skipped", message="another clock is delivering this run")
    view = await view_for_run(app, run, destination)
    if run.state == RunState.RETRY or run.messages or run.lease_owner != app.instance_id:
        view = replace(view, resumed=True)  # not the run this process just planned: an earlier try may have posted
    if not view.items and (run.item_count or run.messages or not destination.quiet_notice):
        # Either everything was sent before a crash, or a quiet day in a channel that wants no notice.
        await _finish(app, run_id, destination.id, RunState.DONE)
        return RunOutcome(destination.id, run_id, "done" if run.item_count else "empty")
    sent_count = 0

    async def mark_sent(paper_ids: Sequence[str], message_id: str) -> None:
        nonlocal sent_count
        async with app.db.session() as session:
            await ledger.mark_sent(session, run_id, list(paper_ids), message_id)
            await ledger.record_message(session, run_id, message_id, LEASE)  # renews the lease: still sending
            await session.commit()
        sent_count += len(paper_ids)

    try:
        await sink.send_digest(address(destination), view, mark_sent, previous=tuple(run.messages))
    except DeliveryError as error:
        return await _failed(app, run_id, destination.id, error, sent_count)
    await _finish(app, run_id, destination.id, RunState.DONE)
    return RunOutcome(destination.id, run_id, "done", sent=sent_count)


async def _finish(app: App, run_id: int, destination_id: int, state: RunState) -> None:
    async with app.db.session() as session:
        await ledger.finish_run(session, run_id, destination_id, state)
        await session.commit()


async def _failed(app: App, run_id: int, destination_id: int, error: DeliveryError, sent: int) -> RunOutcome:
    """Retry later, or give up (pausing the destination when the platform says so); a run given up releases
    what it never sent, so the next digest after a resume can bring it."""
    async with app.db.session() as session:
        # A lost workspace access is lifted by regaining it; a refused channel only by a person.
        cause = PauseCause.ACCESS_LOST if error.access_lost else PauseCause.DELIVERY
        run_state = await ledger.record_failure(session, run_id, destination_id, error.reason, pause=error.pause,
                                                pause_cause=cause, max_attempts=MAX_ATTEMPTS)
        await session.commit()
    state = "paused" if error.pause else ("failed" if run_state == RunState.FAILED else "retry")
    log.warning("digest run %s for destination %s: %s (%s)", run_id, destination_id, error.reason, state)
    return RunOutcome(destination_id, run_id, state, sent=sent, message=error.reason)


async def run_digest(
    app: App, destination_id: int, *, kind: RunKind = RunKind.SCHEDULED, note: str | None = None
) -> RunOutcome:
    """Plan, record, claim and deliver one destination's digest now.

    Planning and claiming happen in one transaction, one planner per destination at a time, so a second
    clock firing the same schedule finds the slot taken and sends nothing.
    """
    async with app.db.session() as session, ledger.destination_turn(app.db, session, destination_id):
        destination = await digest_inputs.digest_channel(session, destination_id)
        if destination is None or (destination.paused and kind == RunKind.SCHEDULED):
            return RunOutcome(destination_id, None, "skipped", message="paused or gone")
        if destination.platform not in app.sinks:
            # Claim nothing this process cannot send: the papers stay free for a process that can.
            return RunOutcome(destination_id, None, "skipped", message=f"no {destination.platform} sink here")
        if kind == RunKind.SCHEDULED and await ledger.recent_digest_exists(session, destination_id, RECENT_RUN):
            return RunOutcome(destination_id, None, "skipped", message="this slot's digest is already out")
        plan = await plan_digest(session, destination, window_for(destination, app.now()))
        if plan.catch_up and kind == RunKind.SCHEDULED:
            kind = RunKind.CATCHUP
        run = await _record_and_claim(app, session, destination, plan, kind=kind, note=note)
        await session.commit()
    return await deliver_run(app, run.id)


def retry_due(run: DigestRun, now: datetime) -> bool:
    last = run.finished_at or run.started_at
    if last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    return now - last >= timedelta(minutes=min(60, 2 ** max(0, run.attempts)))


async def resume_pending(app: App, *, platforms: Sequence[str] | None = None) -> list[RunOutcome]:
    """Finish runs a crash interrupted (state sending) and retry those whose wait is over (state retry)."""
    async with app.db.session() as session:
        runs = await ledger.pending_runs(session)
    outcomes = []
    now = datetime.now(UTC)
    for run in runs:
        if run.state == RunState.RETRY and not retry_due(run, now):
            continue
        outcome = await deliver_run(app, run.id)
        if platforms is None or outcome.state != "skipped":
            outcomes.append(outcome)
    return outcomes
