"""The order of a digest: followed people first, then the most relevant topic matches, then categories."""

from __future__ import annotations

from datetime import date

from core.digest.index import PaperBatch
from core.digest.matching import DigestOptions, build_digests
from core.digest.rank import Bm25F, RankKeys, rank_key
from core.model.papers import AuthorRef
from tests.unit.digest_helpers import category, paper, researcher, topic


def test_researchers_then_topics_by_relevance_then_categories() -> None:
    papers = [
        paper("2411.00001", "Convex optimisation", "A study of diffusion in passing.",
              authors=(AuthorRef("Ada Lovelace", orcid="0000-0002-1825-0097"),)),
        paper("2411.00002", "Diffusion models for proteins", "We train diffusion models. Diffusion is key."),
        paper("2411.00003", "Protein folding", "Uses a diffusion prior once."),
        paper("2411.00004", "Unrelated physics", categories=("cs.LG",)),
    ]
    subscriptions = [category(1, "cs.LG"), topic(2, "diffusion"),
                     researcher(3, "Ada Lovelace", orcid="0000-0002-1825-0097")]
    digest = build_digests(papers, subscriptions)[1]
    assert [m.paper_id for m in digest] == ["arXiv:2411.00001", "arXiv:2411.00002", "arXiv:2411.00003",
                                            "arXiv:2411.00004"]
    assert digest[1].score > digest[2].score > 0 == digest[3].score


def test_a_title_hit_outranks_an_abstract_hit() -> None:
    filler = "We report results on several benchmarks with careful ablations and analysis."
    papers = [paper("2411.00001", "Benchmarks and ablations", f"{filler} The transformer helps."),
              paper("2411.00002", "A transformer for tables", filler)]
    digest = build_digests(papers, [topic(1, "transformer")])[1]
    assert [m.paper_id for m in digest] == ["arXiv:2411.00002", "arXiv:2411.00001"]
    assert digest[0].why == ('topic #1: matched "transformer" in title',)
    assert digest[1].why == ('topic #1: matched "transformer" in abstract',)


def test_ties_go_to_the_newest_announcement_then_the_id() -> None:
    papers = [paper("2411.00003", "Old", categories=("hep-th",), announced=date(2024, 11, 26)),
              paper("2411.00002", "New B", categories=("hep-th",)),
              paper("2411.00001", "New A", categories=("hep-th",))]
    digest = build_digests(papers, [category(1, "hep-th")])[1]
    assert [m.paper_id for m in digest] == ["arXiv:2411.00001", "arXiv:2411.00002", "arXiv:2411.00003"]


def test_a_revised_paper_comes_after_every_new_paper_of_its_tier() -> None:
    papers = [
        paper("2410.02345", "Diffusion models, diffusion everywhere", "Diffusion diffusion diffusion.",
              announce="replace", versions=(1, 2)),
        paper("2411.00002", "Diffusion in passing", "A weak match."),
        paper("2411.00003", "Unrelated physics"),
        paper("2410.09999", "Old category paper", announce="replace", versions=(1, 3)),
        paper("2411.00004", "Lone researcher paper", authors=(AuthorRef("Ada Lovelace", openalex_id="A5000000001"),),
              announce="replace", versions=(1, 2)),
    ]
    subscriptions = [topic(1, "diffusion"), category(2, "cs.LG"),
                     researcher(3, "Ada Lovelace", openalex_id="A5000000001")]
    digest = build_digests(papers, subscriptions, {1: DigestOptions(include_updates=True)})[1]
    # The revised topic match scores far higher, and still follows the new one; the same among categories. A
    # revised paper by a followed researcher still leads: tiers come first.
    assert [m.paper_id for m in digest] == ["arXiv:2411.00004", "arXiv:2411.00002", "arXiv:2410.02345",
                                            "arXiv:2411.00003", "arXiv:2410.09999"]
    assert digest[2].score > digest[1].score


def test_packed_keys_sort_like_the_tuples() -> None:
    papers = [paper(f"2411.{i:05d}", f"Paper {i}", announced=date(2024, 11, 20 + i % 5),
                    announce="replace" if i % 3 == 0 else "new") for i in range(40)]
    batch = PaperBatch(papers)
    keys = RankKeys(batch)
    cases = [(tier, score, pos) for tier in (0, 1, 2, 3, 4) for score in (0.0, 0.5, 0.5002, 3.25, 17.0, 950.0)
             for pos in range(0, 40, 7)]
    by_tuple = sorted(cases, key=lambda c: rank_key(c[0], c[1], batch.order[c[2]], c[2] in batch.updates))
    by_int = sorted(cases, key=lambda c: keys.key(*c))
    # Scores within about 1 part in 5,000 may swap; none of these are.
    assert by_int == by_tuple
    assert all(keys.key(*case) < 1 << 30 for case in cases)  # one CPython digit, the fastest to sort
    # Papers whose scores are that close fall back to the newest-then-id order.
    newer, older = [pos for pos in sorted(range(40), key=batch.order.__getitem__) if pos not in batch.updates][:2]
    assert keys.key(1, 2.0, newer) < keys.key(1, 2.0 + 1e-9, older)


def test_bm25f_prefers_rare_words_and_title_hits() -> None:
    papers = [paper("2411.00001", "Graph learning", "graph graph learning"),
              paper("2411.00002", "Learning rates", "learning schedules for optimisers"),
              paper("2411.00003", "Learning to rank", "a learning approach")]
    batch = PaperBatch(papers)
    scorer = Bm25F(batch)
    assert scorer.idf("graph") > scorer.idf("learning") > 0
    assert scorer.score(["graph"], 0) > scorer.score(["learning"], 0)
    assert scorer.score(["missing"], 0) == 0.0
    title_only = Bm25F(PaperBatch([paper("2411.00001", "Rates", "other words here"),
                                   paper("2411.00002", "Other", "rates words here")]))
    assert title_only.score(["rate"], 0) > title_only.score(["rate"], 1)
