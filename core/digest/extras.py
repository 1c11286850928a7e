"""What a digest adds after its matched papers: the sections its subscriptions ask for.

Fetching (network) happens before the run's transaction, in `gather_extras`; choosing and claiming happen in
it, in `add_sections`, against the ledger, so a section paper is never one the channel had or one the digest
already holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.app import App
from core.digest.items import local_day
from core.digest.plan import DigestPlan
from core.digest.sections import SectionItem, fresh
from core.digest.trending import trending_candidates
from core.sources.http import SourceError
from core.storage import digest_inputs, ledger, repos
from core.storage.db import AsyncSession
from core.subscriptions.sections import trending_top

log = logging.getLogger(__name__)


@dataclass
class Extras:
    """A channel's section candidates, best first, with how many of each kind its section shows."""

    candidates: dict[str, list[SectionItem]] = field(default_factory=dict)
    top: dict[str, int] = field(default_factory=dict)
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
    trending = next((row for row in rows if row.kind == "trending"), None)
    if trending is not None:
        day = local_day(app.now(), channel.timezone)
        try:
            extras.candidates["trending"] = await trending_candidates(app, day, trending.number)
            extras.top["trending"] = trending_top(trending.query)
        except SourceError as error:
            log.warning("trending papers for destination %s: %s", destination_id, error)
            extras.notes.append("Hugging Face did not answer, so this digest has no trending papers.")
    return extras


async def add_sections(app: App, session: AsyncSession, plan: DigestPlan, extras: Extras) -> None:
    """Choose each section's papers (none the channel had, none already in this digest) and store them, so the
    run can claim them with its matched papers."""
    taken = {item.paper_id for item in plan.items}
    ids = [c.paper_id for candidates in extras.candidates.values() for c in candidates]
    if ids:
        taken |= set(await ledger.delivered_revisions(session, plan.destination_id, ids))
    for kind, candidates in extras.candidates.items():
        plan.sections.extend(fresh(candidates, taken, extras.top.get(kind, 0)))
    if plan.sections:
        await repos.upsert_papers(session, [item.paper for item in plan.sections], now=app.now())
