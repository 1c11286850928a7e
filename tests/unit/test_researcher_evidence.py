"""What following someone keeps from their works: co-authors, institutions, categories and words."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.model.papers import AuthorRef, PaperRecord
from core.model.researchers import AuthorProfile
from core.researchers.evidence import FIELD_CATEGORIES, evidence_from_works, frequent_terms
from core.researchers.profile import summarize_works
from core.subscriptions.categories import is_wildcard, normalize_category, normalize_wildcard

ME = AuthorProfile(display_name="Wei Wang", openalex_id="A5000000777", institutions=("Beijing Jiaotong University",),
                   fields=("Computer Science", "Arts and Humanities"), source="openalex")


def work(title: str, abstract: str, *authors: AuthorRef, categories: tuple[str, ...] = (),
         year: int = 2024) -> PaperRecord:
    return PaperRecord(title=title, abstract=abstract, authors=authors, categories=categories,
                       published=datetime(year, 5, 1, tzinfo=UTC))


SELF = AuthorRef("Wei Wang", openalex_id="A5000000777", affiliation="Peng Cheng Laboratory")
WORKS = [
    work("Prohibited item detection in X-ray baggage", "We study prohibited items in 2023 baggage scans.",
         SELF, AuthorRef("Yao Zhao"), AuthorRef("Yunchao Wei"), categories=("cs.CV",)),
    work("Long-tail baggage screening", "Prohibited items are rare; baggage screening suffers from imbalance.",
         AuthorRef("Yunchao Wei"), SELF, categories=("cs.CV", "cs.LG")),
    work("Long-tail baggage screening", "The journal version of the same work.", SELF, AuthorRef("Yunchao Wei")),
    work("Threat imbalance", "Threat items and imbalance in baggage.", SELF),
    work("Prohibited threats", "Results of a proposed model show prohibited threat data.", SELF),
]


def test_evidence_from_their_works() -> None:
    evidence = evidence_from_works(ME, WORKS, coauthors=["Yunchao Wei", "Yao Zhao"])
    assert evidence.coauthors == ("Yunchao Wei", "Yao Zhao")
    # The profile's current institution, then affiliations on their own authorships.
    assert evidence.institutions == ("Beijing Jiaotong University", "Peng Cheng Laboratory")
    # Categories their arXiv works carry, most used first, then the archives of their fields.
    assert evidence.categories == ("cs.CV", "cs.LG", "cs.*")
    # Words of at least two distinct works; a work listed twice counts once; filler words and years do not count.
    assert evidence.terms[:4] == ("baggage", "item", "prohibited", "imbalance")
    assert "screening" not in evidence.terms  # only in the work listed twice
    assert not {"model", "results", "proposed", "data", "2023", "the"} & set(evidence.terms)
    assert evidence.known


def test_a_summary_keeps_evidence_and_the_card_still_shows_five_collaborators() -> None:
    many = [work(f"Paper {i}", "", SELF, *(AuthorRef(f"Coauthor{j} Person") for j in range(i, i + 8)))
            for i in range(8)]
    summary = summarize_works(ME, many, date(2021, 11, 28))
    assert len(summary.collaborators) == 5 and summary.evidence is not None
    assert len(summary.evidence.coauthors) == 15
    assert summary.evidence.coauthors[:5] == tuple(name for name, _ in summary.collaborators)


def test_few_works_keep_every_word() -> None:
    assert frequent_terms([work("Sinkhorn layers", "")]) == ("layer", "sinkhorn")


def test_every_field_maps_to_real_arxiv_codes() -> None:
    for codes in FIELD_CATEGORIES.values():
        for code in codes:
            assert (normalize_wildcard(code) if is_wildcard(code) else normalize_category(code)) == code
