"""Taking turns within the cap (core.digest.select) on small hand-made digests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from core.digest.select import Arranged, arrange, matched_per_subscription
from core.model.papers import PaperRecord


@dataclass(frozen=True)
class Reason:
    kind: str
    number: int
    text: str = ""
    by_name: bool = False
    score: float = 0.0
    possible: bool = False


@dataclass
class Item:
    paper_id: str
    reasons: tuple[Reason, ...]
    is_revision: bool = False
    paper: PaperRecord = field(default_factory=lambda: PaperRecord(title="t", announced=date(2024, 11, 28)))


def topic(number: int, score: float) -> Reason:
    return Reason("topic", number, f"topic #{number}", score=score)


def ids(items: list[Item], arranged: Arranged) -> list[str]:
    return [items[i].paper_id for i in arranged.shown]


def test_turns_give_every_subscription_its_share() -> None:
    # Topic 1 has ten strong papers, topic 2 three weak ones: the matcher's single ranking put all of topic 1 first.
    items = [Item(f"a{n}", (topic(1, 10.0 - n / 10),)) for n in range(10)]
    items += [Item(f"b{n}", (topic(2, 1.0 - n / 10),)) for n in range(3)]
    arranged = arrange(items, 4)
    assert ids(items, arranged) == ["a0", "b0", "a1", "b1"]
    assert [items[i].paper_id for i in arranged.backlog][:3] == ["a2", "b2", "a3"]
    assert sorted(arranged.order) == list(range(len(items)))  # nothing lost, nothing twice


def test_a_topic_follows_its_own_relevance_not_the_summed_one() -> None:
    # "both" matched two topics (summed it leads), but topic 2 ranks its own best paper first.
    items = [Item("both", (topic(1, 5.0), topic(2, 1.0))), Item("own2", (topic(2, 4.0),)),
             Item("own1", (topic(1, 3.0),))]
    assert ids(items, arrange(items, 2)) == ["both", "own2"]


def test_followed_researchers_first_and_verified_before_by_name() -> None:
    items = [Item("t", (topic(2, 9.0),)), Item("guess", (Reason("researcher", 1, by_name=True),)),
             Item("sure", (Reason("researcher", 1),))]
    assert ids(items, arrange(items, 3)) == ["sure", "guess", "t"]
    # With room for two, the topic still gets its turn; the followed person's paper is on top.
    assert ids(items, arrange(items, 2)) == ["sure", "t"]


def test_possibly_by_is_capped_and_shown_last() -> None:
    maybes = [Item(f"p{n}", (Reason("researcher", 1, "possibly by Wei Wang", by_name=True, possible=True),))
              for n in range(5)]
    topics = [Item(f"t{n}", (topic(2, 5.0 - n / 10),)) for n in range(20)]
    items = maybes + topics
    shown = ids(items, arrange(items, 10))
    assert len(shown) == 10 and shown[-1] == "p0" and sum(s.startswith("p") for s in shown) == 1
    # With nothing else to show, the guesses fill the cap.
    shown = ids(maybes, arrange(maybes, 10))
    assert shown == [f"p{n}" for n in range(5)]


def test_category_turns_bring_its_own_papers_and_revisions_last() -> None:
    cat = Reason("category", 3, "new in cs.CV")
    items = [Item("shared", (topic(1, 2.0), cat)), Item("revised", (cat,), is_revision=True),
             Item("cross", (Reason("category", 3, "cross-listed to cs.CV"),)), Item("own", (cat,))]
    order = [items[i].paper_id for i in arrange(items, 4).order]
    # Topic 1 takes "shared"; the category then takes what only it brings, primary before cross-listed,
    # and the revised older paper last.
    assert order == ["shared", "own", "cross", "revised"]


def test_matched_counts_count_a_paper_for_every_subscription() -> None:
    items = [Item("x", (topic(1, 1.0), topic(2, 1.0))), Item("y", (topic(1, 1.0),))]
    assert matched_per_subscription(items) == {1: 2, 2: 1}


def test_items_filed_beforehand_are_arranged_as_when_filed_inline(recordings) -> None:  # type: ignore[no-untyped-def]
    """The clock files a new one-reason paper once (`filing`, kept on its planned item); on the real day, with
    topics, categories, followed people and name guesses, every channel's order is the same either way."""
    from bench.digest import generate, load
    from core.digest.matching import DigestMatcher, DigestOptions
    from core.digest.plan import PlannedItem, _revision
    from core.sources.arxiv_feed import parse_feed

    papers = list(parse_feed((recordings / "arxiv_rss" / "rss_all_archives_2024-11-28.xml").read_bytes()).items)
    rows, options = generate(papers, 3000)
    specs = load(rows)
    matcher = DigestMatcher(papers)
    by_channel: dict[int, list] = {}  # type: ignore[type-arg]
    for spec in specs:
        by_channel.setdefault(spec.destination_id, []).append(spec)
    filed = 0
    for destination_id, channel_specs in by_channel.items():
        found = matcher.digest(channel_specs, options.get(destination_id, DigestOptions()))
        items = [PlannedItem(m, _revision(m.paper)) for m in found]
        filings = [i.filing for i in items]
        filed += sum(f is not None for f in filings)
        for cap in (3, 10):
            assert arrange(items, cap, filings=filings) == arrange(items, cap), destination_id
    assert filed > 10_000  # most papers take the filed path


def test_a_followed_person_filed_beforehand_still_takes_the_first_turn() -> None:
    from core.digest.select import filing

    items = [Item(f"t{n}", (topic(1, 5.0 - n),)) for n in range(3)]
    items += [Item(f"c{n}", (Reason("category", 2, "new in cs.CV"),)) for n in range(3)]
    items += [Item("p1", (Reason("researcher", 3, "follows Ada"),)), Item("p2", (Reason("researcher", 3, "follows Ada"),))]
    filings = [filing(i.reasons[0]) for i in items]
    assert arrange(items, 4, filings=filings) == arrange(items, 4)
    assert [items[i].paper_id for i in arrange(items, 4, filings=filings).shown] == ["p1", "p2", "t0", "c0"]
