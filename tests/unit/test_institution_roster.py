"""A followed institution's roster, built from the recorded Harvard works: who is on it, what evidence each has,
and when ingest rebuilds it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.model.institutions import InstitutionRoster, RosterMember
from core.researchers.roster import ROSTER_SIZE, add_new_members, build_roster, roster_due
from core.sources.openalex import parse_work
from core.sources.openalex_institutions import parse_institution_work

NOW = datetime(2025, 10, 29, tzinfo=UTC)
HARVARD = "openalex/list_works_filter_authorships.institutions.id_I136199984_per_page50.wrapper.json"


def harvard_works(recordings: Path) -> list:  # type: ignore[type-arg]
    body = json.loads((recordings / HARVARD).read_text(encoding="utf-8"))["data"]
    return [parse_institution_work(item, "I136199984", parse_work) for item in body["results"]]


def test_roster_of_the_most_active_members_with_evidence(recordings: Path) -> None:
    roster = build_roster("Harvard University", harvard_works(recordings), NOW)

    assert 0 < len(roster.members) <= ROSTER_SIZE and roster.refreshed == NOW.isoformat()
    loder = roster.members[0]
    assert (loder.openalex_id, loder.name) == ("A5054045289", "Elizabeth Loder")
    assert loder.evidence is not None and loder.evidence.known
    assert "Matthew J. Page" in loder.evidence.coauthors  # her PRISMA co-author, who is not at Harvard
    assert "Harvard University" in loder.evidence.institutions
    assert all(m.name != "Matthew J. Page" for m in roster.members)  # only members are on the roster
    assert InstitutionRoster.from_json(json.loads(json.dumps(roster.to_json()))) == roster


def test_weekly_rebuild_and_daily_additions(recordings: Path) -> None:
    works = harvard_works(recordings)
    old = RosterMember("A5000000009", "Quiet Member", None)
    roster = build_roster("Harvard University", works[:1], NOW, keep=(old,))

    assert [m.name for m in roster.members] == ["Elizabeth Loder", "Quiet Member"]  # kept while there is room
    assert not roster_due(roster, NOW + timedelta(days=6)) and roster_due(roster, NOW + timedelta(days=7))
    assert roster_due(None, NOW) and roster_due(InstitutionRoster(), NOW)
    later = add_new_members(roster, "Harvard University", works[1:2], NOW + timedelta(days=1))
    assert later.refreshed == roster.refreshed and later.checked == (NOW + timedelta(days=1)).isoformat()
    assert [m.name for m in later.members][:2] == ["Elizabeth Loder", "Quiet Member"]
    assert "Todd R. Golub" in [m.name for m in later.members]


def test_an_unreadable_roster_is_an_empty_one() -> None:
    assert InstitutionRoster.from_json({"members": [{"id": 3}, "x", {"name": "No id"}]}) == InstitutionRoster()
    assert InstitutionRoster.from_json(None).members == ()
