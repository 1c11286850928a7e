"""Following one "Wei Wang" brings that person's papers, not every Wei Wang's.

The real day of arXiv (28 Nov 2024) has four papers with a Wei Wang among the authors: X-ray security
screening (cs.CV), fault diagnosis in nuclear power plants (eess.SP, cross-listed to cs.AI), CP violation in
bottom baryon decays (hep-ph) and a photomultiplier's voltage divider (physics.ins-det). The evidence below
is synthetic, shaped like what following a person from a pick list captures from their works.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.digest.matching import DigestMatch, DigestMatcher, SubscriptionSpec, build_digests
from core.model.papers import AuthorRef, PaperRecord
from core.model.researchers import ResearcherEvidence
from tests.unit.digest_helpers import category, load_feed, paper, topic

XRAY, NUCLEAR_PLANT, BARYONS, PMT_DIVIDER = "arXiv:2411.18078", "arXiv:2411.17707", "arXiv:2411.18400", "arXiv:2307.10544"
OTHER_WEI_WANGS = {NUCLEAR_PLANT, BARYONS, PMT_DIVIDER}

# A computer-vision Wei Wang: co-authors, and the words and categories of their works.
VISION = ResearcherEvidence(
    coauthors=("Yunchao Wei", "Yao Zhao"),
    institutions=("Beijing Jiaotong University",),
    categories=("cs.CV", "cs.*"),
    terms=("detection", "prohibited", "ray", "inspection", "security", "baggage", "tail", "imbalance", "threat"),
)
# A data-mining Wei Wang, who published with none of the day's authors.
DATA_MINING = ResearcherEvidence(
    coauthors=("Jiawei Han", "Yizhou Sun"),
    institutions=("University of California, Los Angeles",),
    categories=("cs.DB", "cs.*"),
    terms=("graph", "knowledge", "query", "database", "mining", "embedding", "recommendation", "protein"),
)


def wei_wang(number: int, evidence: ResearcherEvidence | None, *variants: str, openalex_id: str | None = None,
             destination: int = 1) -> SubscriptionSpec:
    return SubscriptionSpec.from_stored(destination, number, "researcher", display_name="Wei Wang",
                                        name_variants=("Wei Wang", *variants), openalex_id=openalex_id,
                                        evidence=evidence)


@pytest.fixture(scope="module")
def feed(recordings: Path) -> tuple[PaperRecord, ...]:
    return load_feed(recordings)


@pytest.fixture(scope="module")
def day(feed: tuple[PaperRecord, ...]) -> DigestMatcher:
    return DigestMatcher(feed)


def by_id(matches: list[DigestMatch]) -> dict[str, DigestMatch]:
    return {m.paper_id: m for m in matches}


def test_the_feed_has_four_wei_wangs_and_a_bare_name_catches_them_all(day: DigestMatcher) -> None:
    # A subscription stored before evidence was kept knows only the name: every Wei Wang comes, as a guess.
    digest = by_id(day.digest([wei_wang(1, None)]))
    assert set(digest) == {XRAY} | OTHER_WEI_WANGS
    assert all(m.possible and not m.followed and m.why == ("possibly by Wei Wang (name match only)",)
               for m in digest.values())


def test_a_co_author_they_published_with_keeps_their_paper_and_namesakes_are_left_out(day: DigestMatcher) -> None:
    digest = by_id(day.digest([wei_wang(1, VISION)]))
    assert set(digest) == {XRAY}
    (reason,) = digest[XRAY].reasons
    assert reason.text == "follows Wei Wang (name match; co-author Yunchao Wei)"
    assert reason.by_name and not reason.possible and digest[XRAY].followed
    # Initials alone match a dozen of the day's W. Wangs; the evidence still keeps only theirs.
    assert len(day.digest([wei_wang(1, None, "W. Wang")])) > 10
    assert [m.paper_id for m in day.digest([wei_wang(1, VISION, "W. Wang")])] == [XRAY]


def test_closeness_to_their_work_keeps_their_paper_but_a_shared_category_alone_does_not(
        day: DigestMatcher) -> None:
    no_coauthors = ResearcherEvidence(categories=VISION.categories, terms=VISION.terms)
    digest = by_id(day.digest([wei_wang(2, no_coauthors)]))
    # The nuclear-plant paper is cross-listed to cs.AI, inside their cs.*, but shares none of their words.
    assert set(digest) == {XRAY}
    assert digest[XRAY].why == ("follows Wei Wang (name match; close to their work in cs.CV: "
                                "prohibited, inspection, security)",)


def test_a_person_close_to_none_of_the_days_wei_wang_papers_gets_none_of_them(day: DigestMatcher) -> None:
    assert day.digest([wei_wang(3, DATA_MINING)]) == []


def test_words_every_paper_uses_do_not_make_a_paper_close(day: DigestMatcher) -> None:
    # "detection", "ray" and "x" are in the X-ray paper, but in dozens of the day's other papers too.
    common = ResearcherEvidence(categories=("cs.CV",), terms=("detection", "ray", "x", "model", "long"))
    assert day.digest([wei_wang(4, common)]) == []


def test_id_verified_then_name_with_evidence_then_topics_and_categories_then_guesses(
        feed: tuple[PaperRecord, ...]) -> None:
    # Their journal paper, indexed by OpenAlex with their id; the X-ray preprint carries only names.
    indexed = paper("2411.99001", "Tail-aware detectors for baggage screening", categories=("cs.CV",),
                    authors=(AuthorRef("Wei Wang", openalex_id="A5000000777"), "Yao Zhao"))
    subscriptions = [topic(2, '"diffusion model"'), category(3, "cs.RO"),
                     wei_wang(1, VISION, openalex_id="A5000000777"),
                     SubscriptionSpec.from_stored(1, 4, "researcher", display_name="Hua Lin")]  # no evidence
    digest = build_digests([*feed, indexed], subscriptions)[1]
    ids = [m.paper_id for m in digest]
    assert ids[:2] == ["arXiv:2411.99001", XRAY]
    assert digest[0].why == ("follows Wei Wang",) and not digest[0].reasons[0].by_name
    assert digest[1].why == ("follows Wei Wang (name match; co-author Yunchao Wei)",)
    kinds = [m.reasons[0].kind for m in digest[2:]]
    guesses = [m for m in digest if m.possible]
    # Topic papers, then category papers, then the guesses, which never push a wanted paper down.
    assert kinds == sorted(kinds, key=["topic", "category", "researcher"].index)
    assert guesses and digest[-len(guesses):] == guesses
    assert all(m.why == ("possibly by Hua Lin (name match only)",) for m in guesses)
    # The nuclear-plant paper is there only as possibly Hua Lin's: no Wei Wang reason.
    plant = by_id(digest)[NUCLEAR_PLANT]
    assert plant.possible and all("Wei Wang" not in why for why in plant.why)
    assert not OTHER_WEI_WANGS & {m.paper_id for m in digest if m.followed}


def test_a_paper_also_matching_a_topic_keeps_its_tiers() -> None:
    papers = [paper("2411.00001", "Graph diffusion", authors=("Wei Wang",)),
              paper("2411.00002", "Graph learning", authors=(AuthorRef("Wei Wang", orcid="0000-0002-1825-0097"),))]
    digest = build_digests(papers, [topic(1, "graph"), SubscriptionSpec.from_stored(
        1, 3, "researcher", display_name="Wei Wang", orcid="0000-0002-1825-0097")])[1]
    # The id-verified paper leads; the other is a topic paper that is also possibly theirs.
    assert [m.paper_id for m in digest] == ["arXiv:2411.00002", "arXiv:2411.00001"]
    guess = digest[1]
    assert [r.kind for r in guess.reasons] == ["topic", "researcher"] and guess.reasons[1].possible
    assert not guess.possible and not guess.followed


def test_their_institution_in_the_papers_affiliations_counts_where_a_source_gives_one() -> None:
    ucla = AuthorRef("Wei Wang", affiliation="Department of Computer Science, University of California, Los Angeles")
    ihep = AuthorRef("Wei Wang", affiliation="Institute of High Energy Physics, Chinese Academy of Sciences")
    berkeley = AuthorRef("Wei Wang", affiliation="University of California, Berkeley")
    papers = [paper("2411.00001", "Notes", authors=(ucla,)), paper("2411.00002", "Notes", authors=(ihep,)),
              paper("2411.00003", "Notes", authors=(berkeley,))]
    digest = build_digests(papers, [wei_wang(1, DATA_MINING)])[1]
    assert [m.paper_id for m in digest] == ["arXiv:2411.00001"]
    assert digest[0].why == ("follows Wei Wang (name match; at University of California, Los Angeles)",)


def test_evidence_is_part_of_what_a_subscription_follows(day: DigestMatcher) -> None:
    # Two channels following the same person with different evidence each get their own answer.
    digests = day.digests([wei_wang(1, VISION, destination=1), wei_wang(1, DATA_MINING, destination=2),
                           wei_wang(1, None, destination=3)])
    assert [m.paper_id for m in digests[1]] == [XRAY]
    assert digests[2] == []
    assert len(digests[3]) == 4


def test_evidence_reads_back_from_json_and_tolerates_junk() -> None:
    assert ResearcherEvidence.from_json(VISION.to_json()) == VISION
    assert hash(ResearcherEvidence.from_json(VISION.to_json())) == hash(VISION)
    assert ResearcherEvidence.from_json(None) == ResearcherEvidence()
    junk = ResearcherEvidence.from_json({"coauthors": "Yao Zhao", "terms": [1, "graph", None], "extra": 3})
    assert junk == ResearcherEvidence(terms=("graph",)) and junk.known
    assert not ResearcherEvidence(institutions=("MIT",), categories=("cs.*",)).known
