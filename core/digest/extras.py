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
from core.digest.citations import SHOWN, citation_candidates, is_researcher_target
from core.digest.citing_sentences import add_citing_sentences
from core.digest.items import local_day
from core.digest.plan import DigestPlan, window_for
from core.digest.sections import SectionItem, fresh
from core.digest.trending import trending_candidates
from core.model.channels import Subscription
from core.sources.http import SourceError
from core.storage import digest_inputs, ledger, repos
from core.storage.db import AsyncSession
from core.subscriptions.sections import trending_top
from core.views import plural

log = logging.getLogger(__name__)


@dataclass
class Group:
    """One subscription's candidates, best first, how many the section shows, and how many exist in all."""

    candidates: list[SectionItem]
    top: int
    total: int | None = None  # citations: what OpenAlex counts, so the digest can say how many it left out
    citations: bool = False
    whose: str = "it"  # what the count of the rest is of: "new citations of it", "… of their papers"


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
    failed: list[Subscription] = []
    for row in (r for r in rows if r.kind == "citations" and r.query):
        if app.settings.openalex_api_key is None:
            break  # status says so: without a key OpenAlex's list calls are not made
        try:
            candidates, total = await citation_candidates(app, row, since)
        except SourceError as error:
            log.warning("citations of %s for destination %s: %s", row.query, destination_id, error)
            failed.append(row)
        else:
            extras.groups.append(Group(candidates, SHOWN, total, citations=True,
                                       whose="their papers" if is_researcher_target(row.query) else "it"))
    if failed:
        extras.notes.append(f"OpenAlex did not answer for {_targets(failed)}, so their new citations come in a "
                            "later digest.")
    await _with_sentences(app, destination_id, extras)
    return extras


def _targets(rows: list[Subscription]) -> str:
    people = sum(is_researcher_target(r.query) for r in rows)
    papers = len(rows) - people
    return " and ".join(p for p in (plural(papers, "followed paper") if papers else "",
                                    plural(people, "followed researcher") if people else "") if p)


async def _with_sentences(app: App, destination_id: int, extras: Extras) -> None:
    """The citing sentences of the citations this digest will likely show: per group, its first `top` papers
    the channel has not had (a paper a later group also has is looked up once, where it will be shown)."""
    groups = [g for g in extras.groups if g.citations and g.candidates]
    if not groups:
        return
    async with app.db.session() as session:
        had = set(await ledger.delivered_revisions(
            session, destination_id, [c.paper_id for g in groups for c in g.candidates]))
    likely = {id(c) for g in groups for c in fresh(g.candidates, had, g.top)}
    wanted = [c for g in groups for c in g.candidates if id(c) in likely]
    found = {id(old): new for old, new in zip(wanted, await add_citing_sentences(app, wanted), strict=True)}
    for group in groups:
        group.candidates = [found.get(id(c), c) for c in group.candidates]


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
            chosen[-1] = replace(last, text=f"{last.text} · and {rest:,} more new citations of {group.whose}")
        plan.sections.extend(chosen)
    if plan.sections:
        await repos.upsert_papers(session, [item.paper for item in plan.sections], now=app.now())

