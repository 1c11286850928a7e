"""A followed institution's roster: its active researchers, from its recent works, with evidence for each.

Fresh arXiv papers carry names, not affiliations, so an institution's arXiv papers are recognised through the
people who publish there. The roster is built from one page of the institution's newest works (by lineage, so
labs count): the members who appear most, each with the co-authors, words and categories of their works there,
so that a namesake's paper is not taken for theirs (`core.digest.evidence`). Ingest rebuilds it weekly and adds
the members of each day's new works in between.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from core.model.institutions import InstitutionRoster, InstitutionWork, RosterMember
from core.model.researchers import EVIDENCE_LIMITS, AuthorProfile
from core.researchers.evidence import evidence_from_works

ROSTER_SIZE = 60  # the most active members; more makes every day's name matching slower for little gain
ROSTER_DAYS = 7  # rebuilt weekly: people come and go slowly


def build_roster(name: str, works: Sequence[InstitutionWork], now: datetime, *,
                 keep: Sequence[RosterMember] = ()) -> InstitutionRoster:
    """The members of `works` who appear most, with evidence from their works there; `keep` are members of an
    earlier roster who did not appear (a quiet month does not take someone off), kept while there is room."""
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    theirs: dict[str, list[InstitutionWork]] = {}
    for work in works:
        for author_id, member in zip(work.member_ids, work.members, strict=False):
            counts[author_id] += 1
            names.setdefault(author_id, member)
            theirs.setdefault(author_id, []).append(work)
    members = [member_of(author_id, names[author_id], name, theirs[author_id])
               for author_id, _ in counts.most_common(ROSTER_SIZE)]
    known = {m.openalex_id for m in members}
    members += [m for m in keep if m.openalex_id not in known][: max(0, ROSTER_SIZE - len(members))]
    return InstitutionRoster(tuple(members), refreshed=now.isoformat(), checked=now.isoformat())


def member_of(author_id: str, member: str, institution: str, works: Sequence[InstitutionWork]) -> RosterMember:
    coauthors: Counter[str] = Counter()
    for work in works:
        coauthors.update(a.name for a in work.paper.authors if a.openalex_id != author_id and a.name != member)
    profile = AuthorProfile(display_name=member, openalex_id=author_id, institutions=(institution,), source="openalex")
    ranked = [n for n, _ in coauthors.most_common(EVIDENCE_LIMITS["coauthors"])]
    return RosterMember(author_id, member, evidence_from_works(profile, [w.paper for w in works], ranked))


def add_new_members(roster: InstitutionRoster, institution: str, works: Sequence[InstitutionWork],
                    now: datetime) -> InstitutionRoster:
    """The roster with the members of the day's new works added (those not on it yet), checked as of `now`."""
    known = {m.openalex_id for m in roster.members}
    fresh = build_roster(institution, works, now).members
    added = tuple(m for m in fresh if m.openalex_id not in known)
    return InstitutionRoster(roster.members + added, refreshed=roster.refreshed, checked=now.isoformat())


def roster_due(roster: InstitutionRoster | None, now: datetime) -> bool:
    """Whether ingest should rebuild it: never built, unreadable, or a week old."""
    if roster is None or not roster.refreshed:
        return True
    try:
        refreshed = datetime.fromisoformat(roster.refreshed)
    except ValueError:
        return True
    if refreshed.tzinfo is None:
        refreshed = refreshed.replace(tzinfo=now.tzinfo)
    return (now - refreshed).days >= ROSTER_DAYS
