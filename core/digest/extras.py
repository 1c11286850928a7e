"""What a digest adds after its matched papers: the sections its subscriptions ask for.

Fetching (network) happens before the run's transaction, in `gather_extras`; choosing and claiming happen in
it, in `add_sections`, against the ledger, so a section paper is never one the channel had or one the digest
already holds, and counts once per channel however many followed papers it cites.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from core.app import App
from core.digest.citations import SHOWN, citation_candidates
from core.digest.items import local_day
from core.digest.plan import DigestPlan, window_for
from core.digest.sections import SectionItem, fresh
from core.digest.trending import trending_candidates
from core.sources.http import SourceError
from core.storage import digest_inputs, ledger, repos
from core.storage.db import AsyncSession
from core.subscriptions.sections import trending_top

log = logging.getLogger(__name__)


@dataclass
class Group:
    """One subscription's candidates, best first, how many the section shows, and how many exist in all."""

    candidates: list[SectionItem]
    top: int
    total: int | None = None  # citations: what OpenAlex counts, so the digest can say how many it left out


@dataclass
class Extras:
    groups: list[Group] = field(default_factory=list)  # trending first, then each followed paper's citations
    notes: list[str] = field(default_factory=list)  # a source that did not answer


async def gather_extras(app: App, destination_id: int) -> Extras:
    """Fetch what the channel's section subscriptions need. A source that fails leaves its section out and
    says so in the digest's note; it never holds up the digest."""
    extras = Extras()
    async with app.db.session() as session:
        channel = await digest_inputs.digest_channel(session, destination_id)
        rows = await digest_inputs.channel_subscriptions(session, destination_id)
    if channel is None:
        return extras
    for row in (r for r in rows if r.kind == "trending"):
        try:
            candidates = await trending_candidates(app, local_day(app.now(), channel.timezone), row.number)
        except SourceError as error:
            log.warning("trending papers for destination %s: %s", destination_id, error)
            extras.notes.append("Hugging Face did not answer, so this digest has no trending papers.")
        else:
            extras.groups.append(Group(candidates, trending_top(row.query)))
    since = _since(window_for(channel, app.now())[0])
    failed = 0
    for row in (r for r in rows if r.kind == "citations" and r.query):
        if app.settings.openalex_api_key is None:
            break  # status says so: without a key OpenAlex's list calls are not made
        try:
            candidates, total = await citation_candidates(app, row.number, row.query or "", row.display_name, since)
        except SourceError as error:
            log.warning("citations of %s for destination %s: %s", row.query, destination_id, error)
            failed += 1
        else:
            extras.groups.append(Group(candidates, SHOWN, total))
    if failed:
        extras.notes.append(f"OpenAlex did not answer for {failed} followed paper{'s' if failed > 1 else ''}, so "
                            "their new citations come in a later digest.")
    return extras


def _since(window_start: datetime) -> date:
    # OpenAlex filters on publication dates: from the day before the window, so a late-indexed work still comes.
    return (window_start - timedelta(days=1)).date()


async def add_sections(app: App, session: AsyncSession, plan: DigestPlan, extras: Extras) -> None:
    """Choose each section's papers (none the channel had, none already in this digest, each once) and store
    them, so the run can claim them with its matched papers."""
    taken = {item.paper_id for item in plan.items}
    ids = [c.paper_id for group in extras.groups for c in group.candidates]
    if ids:
        taken |= set(await ledger.delivered_revisions(session, plan.destination_id, ids))
    for group in extras.groups:
        had = sum(c.paper_id in taken for c in group.candidates)  # delivered before, or elsewhere in this digest
        chosen = fresh(group.candidates, taken, group.top)
        rest = (group.total or 0) - len(chosen) - had
        if chosen and group.total is not None and rest > 0:
            # Large authors and famous papers are bounded: the last line says how many were left out.
            last = chosen[-1]
            chosen[-1] = replace(last, text=f"{last.text} · and {rest:,} more new citations of it")
        plan.sections.extend(chosen)
    if plan.sections:
        await repos.upsert_papers(session, [item.paper for item in plan.sections], now=app.now())

