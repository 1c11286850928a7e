"""A followed institution brings its members' papers: by OpenAlex id, and by name only when evidence backs it.

The batch is the real day of arXiv (28 Nov 2024, four papers with a Wei Wang among the authors, see
test_digest_namesakes) plus one journal paper as OpenAlex lists it under the institution. The roster is
synthetic, shaped like what `core.researchers.roster` builds from an institution's works.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.digest.matching import DigestMatcher, SubscriptionSpec, build_digests
from core.digest.rank import TIER_NAMED, TIER_RESEARCHER, tier_of
from core.model.institutions import InstitutionRoster, RosterMember
from core.model.papers import AuthorRef, PaperRecord
from tests.unit.digest_helpers import load_feed, researcher
from tests.unit.test_digest_namesakes import OTHER_WEI_WANGS, VISION, XRAY

JOURNAL = PaperRecord(title="A synthetic journal paper", doi="10.9999/synthetic.1", sources=("openalex",),
                      authors=(AuthorRef("Someone Else"), AuthorRef("Ada Member", openalex_id="A5000000002")),
                      published=datetime(2024, 11, 27, tzinfo=UTC))
WEI = RosterMember("A5000000001", "Wei Wang", VISION)
ADA = RosterMember("A5000000002", "Ada Member", None)


def institution(number: int, *members: RosterMember, roster: bool = True) -> SubscriptionSpec:
    stored = InstitutionRoster(members) if roster else None
    return SubscriptionSpec.from_stored(1, number, "institution", openalex_id="I4000000001",
                                        display_name="Synthetic Vision Institute", roster=stored)


@pytest.fixture(scope="module")
def day(recordings: Path) -> DigestMatcher:
    return DigestMatcher((*load_feed(recordings), JOURNAL))


def test_members_papers_by_id_and_by_evidence_backed_name(day: DigestMatcher) -> None:
    found = {m.paper_id: m for m in day.matches(institution(3, WEI, ADA))}

    assert set(found) == {XRAY, "doi:10.9999/synthetic.1"}  # the other Wei Wangs are namesakes
    journal = found["doi:10.9999/synthetic.1"]
    assert journal.why == ("from Synthetic Vision Institute (Ada Member)",)
    assert not journal.reasons[0].by_name
    xray = found[XRAY].reasons[0]
    assert xray.text.startswith("from Synthetic Vision Institute (Wei Wang: name match; co-author ")
    assert xray.by_name and xray.number == 3 and xray.kind == "institution"
    assert tier_of("institution", by_name=True) == TIER_NAMED and tier_of("institution") == TIER_RESEARCHER


def test_a_member_without_evidence_brings_no_name_guesses(day: DigestMatcher) -> None:
    bare = RosterMember("A5000000001", "Wei Wang", None)

    found = {m.paper_id for m in day.matches(institution(1, bare))}

    assert found.isdisjoint(OTHER_WEI_WANGS | {XRAY})


def test_without_a_roster_it_is_kept_but_matches_nothing(day: DigestMatcher) -> None:
    assert day.matches(institution(1, roster=False)) == []
    with pytest.raises(ValueError):
        SubscriptionSpec.from_stored(1, 1, "institution", display_name="No id")


def test_an_institution_is_one_more_stream_beside_a_followed_member(day: DigestMatcher) -> None:
    specs = [institution(1, WEI, ADA), researcher(2, "Ada Member", openalex_id="A5000000002")]

    (digest,) = build_digests(day.batch, specs).values()

    journal = next(m for m in digest if m.paper_id == "doi:10.9999/synthetic.1")
    assert [r.number for r in journal.reasons] == [1, 2]  # one entry, both reasons: delivered once
    assert len([m for m in digest if m.paper_id == XRAY]) == 1
