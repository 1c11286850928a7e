"""Delivering a digest exactly once.

1. Record the run and claim its papers in the ledger in one transaction (the unique constraint means a
   paper another run or another clock already claimed is simply not ours). The same transaction fixes how
   the papers are cut into messages (the sink says how): every delivery of the run posts those pages.
2. Hand the rendered digest to the destination's sink, which posts message by message and calls back after
   each accepted message; each callback marks those papers sent, with the platform's message id, at once.
3. Whatever interrupts a delivery (a crash, the database failing to mark a message) leaves claimed-but-unsent
   rows: `resume_pending` sends exactly those, as a resumed run, which first looks for a message the platform
   took before the ledger heard of it. A process never resumes a run it is delivering itself.
   A sink error either retries later (rate limit, outage) or pauses the destination with a reason that
   `status` shows; unsent claims are then released so that nothing is lost when the channel comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from core.app import App
from core.digest.extras import Extras, add_sections, gather_extras
from core.digest.items import digest_item, digest_title, local_day
from core.digest.leases import LEASE, acquire_lease, delivering, delivery_of
from core.digest.matching import results_kept_unscanned
from core.digest.missed import missed_digests
from core.digest.plan import (
    SECTION_SUBSCRIPTIONS,
    DigestPlan,
    PlannedItem,
    PlanSettings,
    plan_many,
    stored_reason,
    window_for,
)
from core.digest.sections import SectionItem, section_counts, section_total
from core.model.channels import Channel
from core.model.context import Destination
from core.model.enums import PauseCause, RunKind, RunState
from core.model.sink import DeliveryError, DigestSink, LedgerUnavailable
from core.storage import digest_inputs, ledger, repos
from core.storage.db import AsyncSession
from core.storage.ledger import DigestRun, LedgerItem
from core.views import DigestPage, DigestView, MatchCount, Visibility

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
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
    @property
    def platform(self) -> str: ...
    @property
    def summary_mode(self) -> str: ...


def address(record: Channel) -> Destination:
    return Destination(record.platform, record.workspace_id, record.channel_id)


def _reasons_json(item: PlannedItem) -> list[dict[str, Any]]:
    return [stored_reason(r) for r in item.match.reasons]


CATCH_UP = "Catching up on "  # how a catch-up's note starts: `status` tells it from the problems after it


def catch_up_note(plan: DigestPlan, timezone: str, note: str | None) -> str | None:
    """A catch-up's note says how far back it reaches, before any other note (a partial digest's)."""
    if not plan.catch_up:
        return note
    since = local_day(plan.window_start, timezone)
    return (f"{CATCH_UP}{plan.days_covered} days: {len(plan.items)} papers matched since {since:%a %d %b}."
            + (f" {note}" if note else ""))


def matched_counts(stored: Sequence[dict[str, object]]) -> tuple[MatchCount, ...]:
    """A run's per-subscription counts as it recorded them (none for runs recorded before they were)."""
    counts = []
    for entry in stored:
        number, matched = entry.get("number"), entry.get("matched")
        if isinstance(number, int) and isinstance(matched, int):
            counts.append(MatchCount(number, str(entry.get("kind", "")), str(entry.get("label", "")), matched))
    return tuple(counts)


def split_note(note: str | None) -> tuple[str | None, str | None]:
    """A run's note as (what a catch-up says, anything else): the first is for information, the second is a
    problem."""
    if not note or not note.startswith(CATCH_UP):
        return None, note
    head, _, rest = note.partition(". ")
    return head.rstrip(".") + ".", rest.strip() or None


async def start_run(
    app: App, destination: RunSettings, plan: DigestPlan, *, kind: RunKind, note: str | None = None
) -> DigestRun:
    """Record the run and claim its first `max_items` papers, in one transaction."""
    async with app.db.session() as session:
        run = await _record_and_claim(app, session, destination, plan, kind=kind, note=note)
        await session.commit()
    return run


def section_ledger_item(item: SectionItem) -> LedgerItem:
    return LedgerItem(item.paper, item.paper_id, 0, max(item.paper.versions or (0,)) or None, tuple(item.reasons()))


def as_ledger_item(item: PlannedItem) -> LedgerItem:
    return LedgerItem(item.match.paper, item.paper_id, item.revision, max(item.match.paper.versions or (0,)) or None,
                      tuple(_reasons_json(item)))


def _backlog(items: Sequence[PlannedItem]) -> ledger.PackedBacklog:
    """The papers past the cap as the run stores them (`ledger.packed_backlog`): each reason once, each paper
    its entry and its reasons' positions. The entries and the reasons' texts are made once on the planned item,
    shared by every channel with it."""
    reasons: list[str] = []
    ends: dict[str, str] = {}  # a reason's stored text → its position, as it ends an entry
    get = ends.get
    entries: list[str] = []
    append = entries.append
    for item in items:
        entry, stored = item.packed or item.backlog_parts()
        if len(stored) == 1:  # most papers
            end = get(stored[0])
            if end is None:
                end = ends[stored[0]] = f"{len(reasons)}]]"
                reasons.append(stored[0])
            append(entry + end)
            continue
        positions = []
        for reason in stored:
            end = get(reason)
            if end is None:
                end = ends[reason] = f"{len(reasons)}]]"
                reasons.append(reason)
            positions.append(end[:-2])
        append(f"{entry}{','.join(positions)}]]")
    return ledger.backlog_text(reasons, entries)


def _paginate(sink: DigestSink, view: DigestView) -> list[tuple[str, ...]]:
    """The sink's cut of `view` into messages; none if it cannot say (the run is then cut when delivered)."""
    try:
        return [tuple(page) for page in sink.paginate(view)]
    except Exception as error:  # a renderer bug must not lose the digest: it only loses the early cut
        log.warning("could not cut a digest into messages (%s: %s)", type(error).__name__, error)
        return []


def _draft(app: App, destination: RunSettings, plan: DigestPlan, *, kind: RunKind, note: str | None
           ) -> ledger.RunDraft:
    """The run of `plan`: what it claims (what it shows) and the backlog past the cap (for `digest more`).

    Which message each paper goes out in is fixed when the run is first delivered, before anything is posted
    (`_cut_now`): cutting means rendering, which the clock would otherwise do twice for every channel of a
    crowded minute, once here and once to send."""
    assert destination.id is not None
    note = catch_up_note(plan, destination.timezone, note)
    claims = [ledger.Claim(i.paper_id, i.revision, i.latest or None, _reasons_json(i)) for i in plan.shown_items]
    # The sections' papers (`core.digest.extras`) after the matched ones, claimed with them: never sent twice.
    claims += [ledger.Claim(i.paper_id, 0, max(i.paper.versions or (0,)) or None, i.reasons())
               for i in plan.sections]
    backlog = _backlog(plan.backlog)
    matched = [{"number": m.number, "kind": m.kind, "label": m.label, "matched": m.matched} for m in plan.matched_by]
    matched += section_counts(plan.sections)
    return ledger.RunDraft(destination.id, kind, claims, backlog, plan.window_start, plan.window_end, note, matched)


async def _record_and_claim_many(app: App, session: AsyncSession, drafts: Sequence[ledger.RunDraft]
                                 ) -> list[DigestRun]:
    """Record the runs and claim what they show, in the caller's transaction. If another clock claimed every
    paper of a run first, the ledger records it as superseded."""
    return await ledger.create_runs(session, drafts, owner=app.instance_id, lease=LEASE, scheduled_for=app.now())


async def _record_and_claim(
    app: App, session: AsyncSession, destination: RunSettings, plan: DigestPlan, *, kind: RunKind,
    note: str | None,
) -> DigestRun:
    """Record the run, claim what it shows and fix the messages it goes out in; past the cap, papers wait for
    `digest more`. If another clock claimed every paper first, the ledger records this run as superseded."""
    drafted = _draft(app, destination, plan, kind=kind, note=note)
    return (await _record_and_claim_many(app, session, [drafted]))[0]


def _pages_of(unsent: Sequence[LedgerItem]) -> tuple[DigestPage, ...]:
    """The messages still to send, from the pages fixed at claim time; none if a row predates pages."""
    if any(item.page is None for item in unsent):
        return ()
    grouped: dict[int, list[str]] = {}
    for item in unsent:
        grouped.setdefault(item.page or 0, []).append(item.paper_id)
    return tuple(DigestPage(index, tuple(ids)) for index, ids in sorted(grouped.items()))


async def view_for_run(app: App, run: DigestRun, destination: Channel) -> DigestView:
    """The digest of a run from its ledger rows: only what is claimed and not yet sent, in order, in the messages
    fixed when the run claimed it."""
    async with app.db.session() as session:
        unsent = await ledger.run_items(session, run.id, unsent_only=True)
        page_count = await ledger.page_count(session, run.id)
        subscriptions = await repos.count_subscriptions(session, destination.id)
    return DigestView(
        day=local_day(run.window_end, destination.timezone), title=digest_title(destination.cadence),
        items=tuple(digest_item(item, destination.summary_mode) for item in unsent), more_count=run.more_count,
        total_matched=run.item_count - section_total(run.matched) + run.more_count, subscriptions=subscriptions,
        note=run.note, run_id=run.id,
        matched_by=matched_counts(run.matched), visibility=Visibility.CHANNEL, pages=_pages_of(unsent),
        page_count=page_count,
    )


async def _cut_now(app: App, run: DigestRun, destination: Channel, sink: DigestSink, view: DigestView) -> DigestView:
    """A run claimed before runs had pages: cut what it has left once, now, and keep to that from here on.
    The pages count on from the messages it already posted, so none is taken for the first one again."""
    pages = _paginate(sink, view)
    if not pages:
        return view
    async with app.db.session() as session:
        skipped: list[tuple[str, ...]] = [()] * len(run.messages)
        await ledger.set_pages(session, run.id, skipped + pages)
        await session.commit()
    return await view_for_run(app, run, destination)


def _trouble(error: BaseException) -> str:
    """An error in one line, with what caused it (a ledger failure names the database's error)."""
    cause = error.__cause__
    text = f"{type(error).__name__}: {error}" + (f" ({type(cause).__name__})" if cause is not None else "")
    return text.splitlines()[0][:300] if text else type(error).__name__


async def deliver_run(app: App, run_id: int, destination_id: int = 0) -> RunOutcome:
    """Resume a run: send what it has claimed and not yet sent, after looking for what an earlier try may have
    posted without marking. Skipped while this process is delivering it already."""
    with delivery_of(app, run_id) as ours:
        if not ours:
            return RunOutcome(destination_id, run_id, "skipped", message="this process is delivering it right now")
        return await _deliver_guarded(app, run_id, destination_id, fresh=False)


async def _deliver_guarded(app: App, run_id: int, destination_id: int, *, fresh: bool) -> RunOutcome:
    """`_deliver`, where any error (the database, mostly) leaves the run to resume and logs one line."""
    try:
        return await _deliver(app, run_id, fresh=fresh)
    except Exception as error:
        log.warning("digest run %s for destination %s was interrupted and will be resumed: %s", run_id,
                    destination_id or "?", _trouble(error))
        log.debug("digest run %s interrupted", run_id, exc_info=True)
        return RunOutcome(destination_id, run_id, "retry", message="interrupted; it will be resumed")


async def _deliver(app: App, run_id: int, *, fresh: bool) -> RunOutcome:
    """Send what a run has claimed and not yet sent; finish, retry later, or pause the destination. `fresh`: the
    run was claimed by this very call, so nothing of it can have been posted yet."""
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
    if view.items and not view.pages:
        view = await _cut_now(app, run, destination, sink, view)
    if not fresh:
        # An earlier try (a crash, an error, this process or another) may have posted a message it never marked.
        view = replace(view, resumed=True)
    if not view.items and (run.item_count or run.messages or not destination.quiet_notice):
        # Either everything was sent before a crash, or a quiet day in a channel that wants no notice.
        await _finish(app, run_id, destination.id, RunState.DONE)
        return RunOutcome(destination.id, run_id, "done" if run.item_count else "empty")
    sent_count = 0

    async def mark_sent(paper_ids: Sequence[str], message_id: str) -> None:
        nonlocal sent_count
        try:
            async with app.db.session() as session:
                await ledger.mark_sent(session, run_id, list(paper_ids), message_id)
                await ledger.record_message(session, run_id, message_id, LEASE)  # renews the lease: still sending
                await session.commit()
        except Exception as error:
            raise LedgerUnavailable(f"message {message_id} was posted but could not be marked sent") from error
        sent_count += len(paper_ids)

    try:
        await sink.send_digest(address(destination), view, mark_sent, previous=tuple(run.messages))
    except DeliveryError as error:
        return await _failed(app, run_id, destination.id, error, sent_count)
    except Exception as error:
        return await _interrupted(app, run_id, destination.id, error, sent_count)
    try:
        await _finish(app, run_id, destination.id, RunState.DONE)
    except Exception as error:  # all of it is out; the run stays open and the next resume only closes it
        log.warning("digest run %s for destination %s was sent but not closed: %s", run_id, destination.id,
                    _trouble(error))
    return RunOutcome(destination.id, run_id, "done", sent=sent_count)


async def _finish(app: App, run_id: int, destination_id: int, state: RunState) -> None:
    async with app.db.session() as session:
        await ledger.finish_run(session, run_id, destination_id, state)
        await session.commit()


async def _failed(app: App, run_id: int, destination_id: int, error: DeliveryError, sent: int) -> RunOutcome:
    """Retry later, or give up (pausing the destination when the platform says so); a run given up releases
    what it never sent, so the next digest after a resume can bring it."""
    try:
        async with app.db.session() as session:
            # A lost workspace access is lifted by regaining it; a refused channel only by a person.
            cause = PauseCause.ACCESS_LOST if error.access_lost else PauseCause.DELIVERY
            run_state = await ledger.record_failure(session, run_id, destination_id, error.reason, pause=error.pause,
                                                    pause_cause=cause, max_attempts=MAX_ATTEMPTS)
            await session.commit()
    except Exception as failure:  # the run stays `sending`: the tick resumes it like an interrupted one
        log.warning("digest run %s for destination %s: %s; not recorded (%s), it will be resumed", run_id,
                    destination_id, error.reason, _trouble(failure))
        return RunOutcome(destination_id, run_id, "retry", sent=sent, message=error.reason)
    state = "paused" if error.pause else ("failed" if run_state == RunState.FAILED else "retry")
    log.warning("digest run %s for destination %s: %s (%s)", run_id, destination_id, error.reason, state)
    return RunOutcome(destination_id, run_id, state, sent=sent, message=error.reason)


async def _interrupted(app: App, run_id: int, destination_id: int, error: Exception, sent: int) -> RunOutcome:
    """Something other than the platform stopped the delivery (the ledger could not mark a message, a bug): the
    run is left for the next tick to resume, which checks what was posted before sending anything; the attempt
    counts, so a run that keeps breaking fails in the end. If even that cannot be recorded (the database is
    down), the run stays `sending` with this process's lease, which the tick resumes just the same."""
    reason = f"interrupted: {_trouble(error)}"
    log.warning("digest run %s for destination %s %s after %d paper(s); it will be resumed", run_id, destination_id,
                reason, sent)
    log.debug("digest run %s interrupted", run_id, exc_info=True)
    try:
        async with app.db.session() as session:
            await ledger.record_failure(session, run_id, destination_id, reason, pause=False,
                                        max_attempts=MAX_ATTEMPTS, wait=False)
            await session.commit()
    except Exception:
        log.debug("could not record the interruption of run %s", run_id, exc_info=True)
    return RunOutcome(destination_id, run_id, "retry", sent=sent, message="interrupted; it will be resumed")


@dataclass(frozen=True)
class RunRequest:
    """A digest to start now: the clock's scheduled one, `digest now`, or a catch-up."""

    destination_id: int
    kind: RunKind = RunKind.SCHEDULED
    note: str | None = None


CLAIM_CHUNK = 250  # channels planned and claimed per transaction: locks held briefly, memory bounded
# Chunks under way at once in a crowded minute (`Gatherer`): while one chunk's claims are written (by the
# database's thread or server), the next is planned in Python. On two cores, 10,000 channels: one at a time
# 12.7 s (SQLite) and 17.1 s (PostgreSQL), two 10.8 s and 15.1 s, three 9.5 s and 14.1 s (bench/digest_plan.py).
CLAIM_IN_FLIGHT = 3


async def claim_runs(app: App, requests: Sequence[RunRequest]) -> dict[int, DigestRun | RunOutcome]:
    """Plan, record and claim the digests of many channels together (the channels of a minute): a few
    set-based reads and writes per `CLAIM_CHUNK` channels instead of a dozen per channel.

    Each chunk is one transaction holding the chunk's planner locks, so every guarantee of `run_digest` holds:
    one planner per channel at a time, a second clock finding the slot taken, claims under the unique
    constraint. The runs are registered as this process's deliveries before they commit; the caller delivers
    them (`deliver_claimed`). A database error fails the chunk it happened in; the tick serves those later.
    """
    if len({r.destination_id for r in requests}) < len(requests):
        raise ValueError("one request per channel and call")  # results are by channel
    results: dict[int, DigestRun | RunOutcome] = {}
    extras = await _section_extras(app, [r.destination_id for r in requests])
    # Planning, drafting and claiming make a million-odd objects a minute, none in a cycle: the collector
    # waits (see `results_kept_unscanned`) until the minute's last batch in flight is done.
    with results_kept_unscanned():
        for start in range(0, len(requests), CLAIM_CHUNK):
            results.update(await _claim_chunk(app, requests[start : start + CLAIM_CHUNK], extras))
    return results


async def _section_extras(app: App, ids: Sequence[int]) -> dict[int, Extras]:
    """What the sections of the channels that have any need from the sources (`gather_extras`): fetched before
    any claiming transaction opens, so no lock waits on Hugging Face, OpenAlex or Semantic Scholar."""
    async with app.db.session() as session:
        having = await digest_inputs.channels_following(session, list(ids), list(SECTION_SUBSCRIPTIONS))
    return {i: await gather_extras(app, i) for i in ids if i in having}


async def _claim_chunk(app: App, requests: Sequence[RunRequest],
                       extras: dict[int, Extras]) -> dict[int, DigestRun | RunOutcome]:
    results: dict[int, DigestRun | RunOutcome] = {}
    runs = delivering(app)
    ids = [r.destination_id for r in requests]
    async with app.db.session() as session, ledger.destination_turns(app.db, session, ids):
        channels = await digest_inputs.digest_channels(session, ids)
        scheduled = [r.destination_id for r in requests if r.kind == RunKind.SCHEDULED]
        recent = await ledger.recent_digests(session, scheduled, RECENT_RUN) if scheduled else set()
        todo: list[tuple[RunRequest, Channel]] = []
        for request in requests:
            destination_id, channel = request.destination_id, channels.get(request.destination_id)
            if channel is None or (channel.paused and request.kind == RunKind.SCHEDULED):
                results[destination_id] = RunOutcome(destination_id, None, "skipped", message="paused or gone")
            elif channel.platform not in app.sinks:
                # Claim nothing this process cannot send: the papers stay free for a process that can.
                results[destination_id] = RunOutcome(destination_id, None, "skipped",
                                                     message=f"no {channel.platform} sink here")
            elif request.kind == RunKind.SCHEDULED and destination_id in recent:
                results[destination_id] = RunOutcome(destination_id, None, "skipped",
                                                     message="this slot's digest is already out")
            else:
                todo.append((request, channel))
        now = app.now()
        plans = await plan_many(session, [c for _, c in todo], {c.id: window_for(c, now) for _, c in todo})
        drafted, claimed = [], []
        for request, channel in todo:
            plan = plans.get(channel.id)
            if plan is None:
                results[channel.id] = RunOutcome(channel.id, None, "failed", message="could not be planned")
                continue
            plan.missed = missed_digests(channel, now)
            note = request.note
            if (extra := extras.get(channel.id)) is not None:
                await add_sections(app, session, plan, extra)
                note = " ".join(filter(None, (note, *extra.notes))) or None
            kind = RunKind.CATCHUP if plan.catch_up and request.kind == RunKind.SCHEDULED else request.kind
            drafted.append(_draft(app, channel, plan, kind=kind, note=note))
            claimed.append(channel.id)
        made = await _record_and_claim_many(app, session, drafted)
        runs.update(run.id for run in made)  # before the commit makes them visible: never taken for crashed ones
        try:
            await session.commit()
        except BaseException:
            runs.difference_update(run.id for run in made)
            raise
    results.update(zip(claimed, made, strict=True))
    return results


async def deliver_claimed(app: App, run: DigestRun) -> RunOutcome:
    """Deliver a run `claim_runs` just claimed, then let the tick see it like any other."""
    try:
        return await _deliver_guarded(app, run.id, run.destination_id, fresh=True)
    finally:
        delivering(app).discard(run.id)


def release_claimed(app: App, run: DigestRun) -> None:
    """A claimed run that will not be delivered here now (its job was cancelled): the tick resumes it."""
    delivering(app).discard(run.id)


async def run_digest(
    app: App, destination_id: int, *, kind: RunKind = RunKind.SCHEDULED, note: str | None = None
) -> RunOutcome:
    """Plan, record, claim and deliver one destination's digest now (`claim_runs` for one channel).

    Planning and claiming happen in one transaction, one planner per destination at a time, so a second
    clock firing the same schedule finds the slot taken and sends nothing.
    """
    claimed = (await claim_runs(app, [RunRequest(destination_id, kind, note)]))[destination_id]
    if isinstance(claimed, RunOutcome):
        return claimed
    return await deliver_claimed(app, claimed)


def retry_due(run: DigestRun, now: datetime) -> bool:
    last = run.finished_at or run.started_at
    if last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    return now - last >= timedelta(minutes=min(60, 2 ** max(0, run.attempts)))


async def due_runs(app: App) -> list[DigestRun]:
    """The runs to resume now: interrupted (state sending) or past their retry wait (state retry), and not being
    delivered by this process (a live lease of another process is checked when delivering)."""
    async with app.db.session() as session:
        runs = await ledger.pending_runs(session)
    now, busy = datetime.now(UTC), delivering(app)
    return [run for run in runs
            if run.id not in busy and (run.state != RunState.RETRY or retry_due(run, now))]


async def resume_pending(app: App, *, platforms: Sequence[str] | None = None) -> list[RunOutcome]:
    """Finish runs a crash interrupted (state sending) and retry those whose wait is over (state retry)."""
    outcomes = []
    for run in await due_runs(app):
        outcome = await deliver_run(app, run.id, run.destination_id)
        if platforms is None or outcome.state != "skipped":
            outcomes.append(outcome)
    return outcomes
