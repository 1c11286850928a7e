"""`digest now`, `digest preview` and `digest more`."""

from __future__ import annotations

from dataclasses import replace

from core.app import App
from core.commands import DigestMore, DigestNow, DigestPreview
from core.digest.deliver import as_ledger_item, run_digest, section_ledger_item
from core.digest.extras import add_sections, gather_extras
from core.digest.items import digest_item, digest_title, local_day
from core.digest.plan import plan_digest, window_for
from core.model.context import Actor, Destination
from core.model.enums import RunKind
from core.storage import digest_inputs, ledger, repos
from core.subscriptions.setup import open_channel
from core.views import DigestView, MatchCount, Notice, Problem, Visibility, plural


def _no_subscriptions() -> Problem:
    return Problem("Nothing to send yet", "This channel has no subscriptions, so there is no digest.",
                   "Start with `subscribe topic <query>`, `subscribe category cs.LG` or `follow <name>`.",
                   code="not_found")


async def preview(app: App, command: DigestPreview, actor: Actor, where: Destination) -> DigestView | Problem:
    """What the next digest would hold right now, for the person asking only; nothing is claimed."""
    async with app.db.session() as session:
        destination = await repos.get_destination(session, where)
    if destination is None or destination.id is None:
        return _no_subscriptions()
    extras = await gather_extras(app, destination.id)  # its sections too, fetched before planning as a run does
    async with app.db.session() as session:
        plan = await plan_digest(session, destination, window_for(destination, app.now()))
        await add_sections(app, session, plan, extras)  # never committed: a preview stores nothing
        shown = plan.shown_items
        stored = await digest_inputs.stored_papers(session, [i.paper_id for i in shown])
    if not plan.subscriptions:
        return _no_subscriptions()
    # Built as a run builds them (from the papers as stored) and dated as a run dates them: the channel's day.
    lines = [as_ledger_item(i) for i in shown]
    lines = [replace(line, paper=stored.get(line.paper_id, line.paper)) for line in lines]
    lines += [section_ledger_item(item) for item in plan.sections]
    return DigestView(day=local_day(app.now(), destination.timezone), title=digest_title(destination.cadence),
                      items=tuple(digest_item(line, destination.summary_mode) for line in lines),
                      more_count=len(plan.items) - len(shown), total_matched=len(plan.items),
                      subscriptions=plan.subscriptions, preview=True,
                      matched_by=tuple(MatchCount(m.number, m.kind, m.label, m.matched) for m in plan.matched_by),
                      note=" ".join(filter(None, (
                          f"{plural(len(plan.skipped_subscriptions), 'subscription')} could not be read"
                          if plan.skipped_subscriptions else None, *extras.notes))) or None)


async def send_now(app: App, command: DigestNow, actor: Actor, where: Destination) -> Notice | Problem:
    async with app.db.session() as session:
        destination = await open_channel(session, where, actor)
        await session.commit()
        count = await repos.count_subscriptions(session, destination.id or 0)
    if not count:
        return _no_subscriptions()
    if destination.paused and not command.anyway:
        # A paused channel asked for quiet: one digest is still theirs to ask for, but only on purpose.
        reason = f" ({destination.paused_reason})" if destination.paused_reason else ""
        return Problem("This channel's digest is paused", f"The daily digest is paused here{reason}.",
                       "Send one now anyway with `digest now --anyway` (it stays paused), or `resume` the daily "
                       "digest.", code="invalid")
    if where.platform not in app.sinks:
        return Problem("Digests can't be posted from here", "This process has no connection to post digests with.",
                       code="unavailable")
    assert destination.id is not None
    outcome = await run_digest(app, destination.id, kind=RunKind.NOW)
    if outcome.state in ("done",):
        return Notice(f"Sent the digest: {plural(outcome.sent, 'new paper')}.")
    if outcome.state == "empty":
        return Notice("No new papers match this channel's subscriptions since the last digest.")
    if outcome.state == "retry":
        return Problem("The digest could not be posted yet", outcome.message, "It will be retried shortly.",
                       code="source_down")
    return Problem("The digest was not sent", outcome.message or outcome.state, code="unavailable")


async def more(app: App, command: DigestMore, actor: Actor, where: Destination) -> DigestView | Problem:
    """The next papers past the cap of the latest digest, claimed so they don't come back."""
    async with app.db.session() as session:
        destination = await repos.get_destination(session, where)
        if destination is None or destination.id is None:
            return _no_subscriptions()
        backlog = await ledger.backlog(session, destination.id)
        latest = backlog.latest
        if latest is None or not latest.more_ids:
            return Problem("No more papers", "The latest digest showed everything that matched.", code="not_found")
        if not backlog.waiting:
            return Problem("No more papers", "You have seen every paper of the latest digest.", code="not_found")
        batch = backlog.waiting[: destination.max_items]
        run, handed_out = await ledger.hand_out_more(session, latest, batch,
                                                     still_waiting=len(backlog.waiting) - len(batch))
        await session.commit()
    # Numbered on from the digest and the pages of it already handed out: "11." follows the digest's "10.".
    already = latest.item_count + len(latest.more_ids) - len(backlog.waiting)
    by_id = {item.paper_id: item for item in handed_out}
    items = tuple(digest_item(by_id[p], destination.summary_mode) for p in batch if p in by_id)  # in the backlog's turn order
    return DigestView(day=local_day(app.now(), destination.timezone), title="More from the latest digest",
                      items=items, more_count=run.more_count, total_matched=latest.item_count + latest.more_count,
                      subscriptions=0, visibility=Visibility.EPHEMERAL, first_number=already + 1)
