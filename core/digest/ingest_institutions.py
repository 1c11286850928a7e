"""Ingest for followed institutions: their new works from OpenAlex, and their rosters kept current.

One billed list call per distinct followed institution a day, whatever number of channels follow it: the newest
works (at most `WORKS_PER_CALL`) with an author there or in one of its labs (`authorships.institutions.lineage`)
from the last two years. The same answer serves twice: the works published since the last listing are stored
(the digest matches them by their members' ids), and the roster of active researchers is rebuilt from it once a
week, with new members added on the other days. At most `INSTITUTIONS_PER_RUN` institutions are listed a day,
those listed longest ago first, so the daily cost is bounded (docs/scaling.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.app import App
from core.model.channels import Subscription
from core.model.enums import SubscriptionKind
from core.model.institutions import InstitutionRoster
from core.model.papers import PaperRecord
from core.researchers.coverage import KEY_SETTING
from core.researchers.institution_coverage import INSTITUTIONS_PER_RUN
from core.researchers.institutions import active_since
from core.researchers.lookup import openalex_known_spent, remember_openalex_spent
from core.researchers.roster import add_new_members, build_roster, roster_due
from core.sources.http import RateLimited, SourceError
from core.sources.openalex import OpenAlexSource
from core.storage import channels, repos

log = logging.getLogger(__name__)

WORKS_PER_CALL = 100  # one page: the API's largest
FIRST_LOOK_DAYS = 7  # how far back the first listing stores works


@dataclass
class InstitutionIngest:
    listed: int = 0
    stored: int = 0
    rosters_built: int = 0
    problems: list[str] = field(default_factory=list)
    not_covered: list[str] = field(default_factory=list)


def _checked(roster: InstitutionRoster | None) -> str:
    return roster.checked if roster is not None else ""


def _since(roster: InstitutionRoster | None, now: datetime) -> date:
    try:
        return datetime.fromisoformat(_checked(roster)).date() if _checked(roster) else (now - timedelta(
            days=FIRST_LOOK_DAYS)).date()
    except ValueError:
        return (now - timedelta(days=FIRST_LOOK_DAYS)).date()


def _fresh(record: PaperRecord, since: date) -> bool:
    published = record.published.date() if record.published else record.announced
    return bool(record.arxiv_id or record.doi) and (published is None or published >= since)


async def ingest_institutions(app: App, subscriptions: Sequence[Subscription]) -> InstitutionIngest:
    report = InstitutionIngest()
    first: dict[str, Subscription] = {}
    for sub in subscriptions:
        if sub.kind == SubscriptionKind.INSTITUTION and sub.openalex_id:
            first.setdefault(sub.openalex_id, sub)
    if not first:
        return report
    if app.settings.openalex_api_key is None:
        report.not_covered.append(f"{len(first)} followed institution{'s' if len(first) != 1 else ''}: nothing is "
                                  f"fetched without OpenAlex: set {KEY_SETTING}")
        return report
    if await openalex_known_spent(app):
        report.problems.append("OpenAlex: daily API budget is used up; institutions' papers wait until tomorrow")
        return report
    source = OpenAlexSource(app.sources.openalex)
    now = app.now()
    # Listed longest ago first: with more institutions than the cap, each still gets its turn.
    todo = sorted(first.values(), key=lambda s: (_checked(s.roster), s.openalex_id or ""))[:INSTITUTIONS_PER_RUN]
    for sub in todo:
        assert sub.openalex_id is not None
        name = sub.display_name or sub.openalex_id
        try:
            listing = await source.works_by_institution(sub.openalex_id, active_since(now),
                                                        max_results=WORKS_PER_CALL)
        except RateLimited as error:
            report.problems.append(f"{error.source}: {error.message}; institutions' papers wait until tomorrow")
            if error.budget_exhausted:
                await remember_openalex_spent(app, error)
            break
        except SourceError as error:
            report.problems.append(f"{error.source}: {error.message} (institution {name})")
            continue
        report.listed += 1
        since = _since(sub.roster, now)
        records = [w.paper for w in listing.items if _fresh(w.paper, since)]
        if roster_due(sub.roster, now):
            roster = build_roster(name, listing.items, now, keep=sub.roster.members if sub.roster else ())
            report.rosters_built += 1
        else:
            assert sub.roster is not None
            roster = add_new_members(sub.roster, name, [w for w in listing.items if _fresh(w.paper, since)], now)
        async with app.db.session() as session:
            if records:
                report.stored += len(await repos.upsert_papers(session, records, now=now))
            await channels.set_institution_roster(session, sub.openalex_id, roster.to_json())
            await session.commit()
    log.info("ingest: %d institutions listed, %d works stored, %d rosters rebuilt", report.listed, report.stored,
             report.rosters_built)
    return report
