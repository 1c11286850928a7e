"""The daily digest as a channel sees it: which papers come, once each, with a line saying why.

The real day of arXiv (1,504 items across all archives, 28 Nov 2024) is read in place from the shared
recordings; the small synthetic papers below cover the same behaviour without them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.digest.matching import (
    DigestMatch,
    DigestMatcher,
    DigestOptions,
    SubscriptionSpec,
    build_digests,
)
from core.model.papers import AuthorRef, PaperRecord
from core.subscriptions.categories import UnknownCategory
from core.subscriptions.query import QueryError, match, parse_query
from core.subscriptions.text import tokenize
from tests.unit.digest_helpers import category, load_feed, paper, researcher, topic


@pytest.fixture(scope="module")
def feed(recordings: Path) -> tuple[PaperRecord, ...]:
    return load_feed(recordings)


@pytest.fixture(scope="module")
def day(feed: tuple[PaperRecord, ...]) -> DigestMatcher:
    """The real day indexed once, as the scheduler shares one matcher across every channel."""
    return DigestMatcher(feed)


def by_id(matches: list[DigestMatch]) -> dict[str, DigestMatch]:
    return {m.paper_id: m for m in matches}


# ------------------------------------------------------------------------------------------ on the real feed


def test_topic_brings_exactly_the_papers_the_query_matches_with_why_lines(
        feed: tuple[PaperRecord, ...], day: DigestMatcher) -> None:
    digest = day.digests([topic(3, '"diffusion model" -survey')])[1]
    query = parse_query('"diffusion model" -survey')
    expected = {}
    for record in feed:
        result = match(query, tokenize(record.title), tokenize(record.abstract), record.categories)
        if result is not None:
            expected[record.canonical_id] = result
    assert len(digest) == len(expected) > 10
    for entry in digest:
        (reason,) = entry.reasons
        assert reason.kind == "topic" and reason.number == 3
        assert reason.text == f"topic #3: {expected[entry.paper_id].why()}"
        assert "survey" not in tokenize(entry.paper.title + " " + entry.paper.abstract)
    titles = [m for m in digest if m.why[0].endswith('"diffusion model" in title')]
    assert titles and all("diffusion model" in " ".join(tokenize(m.paper.title)) for m in titles)


def test_category_lines_say_new_cross_listed_or_new_version(
        feed: tuple[PaperRecord, ...], day: DigestMatcher) -> None:
    digest = by_id(day.digests([category(2, "cs.LG")])[1])
    assert len(digest) == sum("cs.LG" in p.categories for p in feed)
    new = digest["arXiv:2411.17807"]  # primarily cs.LG, announced new
    assert new.why == ("new in cs.LG",) and not new.is_update
    cross = digest["arXiv:2411.17702"]  # eess.SP paper also listed in cs.LG
    assert cross.paper.primary_category == "eess.SP"
    assert cross.why == ("cross-listed to cs.LG",)
    updates = [m for m in digest.values() if m.is_update]
    assert updates
    assert all(m.why[0].startswith(f"new version (v{max(m.paper.versions)})") for m in updates)


def test_wildcard_shows_the_papers_own_category(feed: tuple[PaperRecord, ...], day: DigestMatcher) -> None:
    digest = day.digests([category(1, "cs.*")])[1]
    assert len(digest) == sum(any(c.startswith("cs.") or c == "eess.SY" for c in p.categories) for p in feed)
    entry = by_id(digest)["arXiv:2411.17807"]
    assert entry.why == ("new in cs.LG",)


def test_paper_matching_a_topic_and_a_category_comes_once_with_both_reasons(day: DigestMatcher) -> None:
    digest = day.digests([topic(1, '"diffusion model"'), category(2, "cs.CV")])[1]
    ids = [m.paper_id for m in digest]
    assert len(ids) == len(set(ids))
    entry = by_id(digest)["arXiv:2411.18616"]
    assert entry.why == ('topic #1: matched "diffusion model" in abstract', "new in cs.CV")
    assert [r.kind for r in entry.reasons] == ["topic", "category"]
    assert sum(len(m.reasons) == 2 for m in digest) > 10


def test_replaced_versions_are_flagged_and_left_out_on_request(day: DigestMatcher) -> None:
    subscriptions = [category(1, "cs.CV"), topic(2, '"diffusion model"')]
    digest = day.digests(subscriptions)[1]
    updates = [m for m in digest if m.is_update]
    assert updates and all(m.announce_type in ("replace", "replace-cross") for m in updates)
    assert all(not m.is_update for m in digest if m.announce_type in ("new", "cross"))
    without = day.digests(subscriptions, {1: DigestOptions(include_updates=False)})[1]
    assert {m.paper_id for m in without} == {m.paper_id for m in digest if not m.is_update}


def test_cross_lists_off_drops_papers_only_cross_listed_to_a_followed_category(day: DigestMatcher) -> None:
    subscriptions = [category(1, "cs.LG"), topic(2, '"diffusion model"')]
    options = {1: DigestOptions(include_crosslists=False)}
    with_cross = by_id(day.digests(subscriptions)[1])
    without = by_id(day.digests(subscriptions, options)[1])
    assert "arXiv:2411.17702" in with_cross and "arXiv:2411.17702" not in without  # eess.SP primary
    assert all(m.paper.primary_category == "cs.LG" or any(r.kind == "topic" for r in m.reasons)
               for m in without.values())
    # Cross-listed to cs.LG but matching the topic: it stays, for the topic alone.
    kept = [m for m in without.values() if m.paper.primary_category != "cs.LG"]
    assert kept and all(m.why and all(r.kind == "topic" for r in m.reasons) for m in kept)


def test_followed_researcher_found_by_name_in_every_spelling_but_not_namesakes(day: DigestMatcher) -> None:
    papers = {"arXiv:2411.17761", "arXiv:2411.18588", "arXiv:2203.12985"}
    for spelling in ("Ming-Hsuan Yang", "Ming Hsuan Yang", "Yang, Ming-Hsuan", "MING-HSUAN YANG", "Minghsuan Yang"):
        digest = day.digests([researcher(4, spelling)])[1]
        assert {m.paper_id for m in digest} == papers, spelling
        # Nothing else is known of this person (a subscription stored before evidence was kept): a guess.
        assert all(m.why == (f"possibly by {spelling} (name match only)",) for m in digest)
        assert all(m.reasons[0].by_name and m.reasons[0].possible and m.possible for m in digest)
    # Mengyue Yang and Mingzhi Yang share the surname and the initial, not the name, so a full name keeps
    # them out; initials alone cannot tell them apart, which is why "name match" is said.
    initials = {m.paper_id for m in day.digests([researcher(4, "M.-H. Yang")])[1]}
    assert initials == papers | {"arXiv:2408.16577", "arXiv:2211.16902"}


def test_accents_and_variants_find_a_researcher(day: DigestMatcher) -> None:
    digest = day.digests([researcher(1, "Frederic Mila", "F. Mila")])[1]
    assert [m.paper_id for m in digest] == ["arXiv:2411.17848"]  # listed as Frédéric Mila
    assert day.digests([researcher(1, "Jean Philippe Brantut")])[1][0].paper_id == "arXiv:2411.17802"
    assert day.digests([researcher(1, "Xavier Mila")])[1] == []


def test_every_destination_gets_its_own_digest_and_quiet_ones_an_empty_list(day: DigestMatcher) -> None:
    digests = day.digests([topic(1, '"diffusion model"', destination=7),
                                   topic(1, "zzyzx unheardofword", destination=8),
                                   category(2, "hep-th", destination=7)])
    assert set(digests) == {7, 8}
    assert digests[8] == []
    assert {r.kind for m in digests[7] for r in m.reasons} == {"topic", "category"}


def test_a_matcher_serves_destinations_at_different_hours_with_the_same_answers(
        feed: tuple[PaperRecord, ...]) -> None:
    subscriptions = [topic(1, '"language model"'), category(2, "cs.CL"), researcher(3, "Stan Z. Li")]
    matcher = DigestMatcher(feed)
    first = matcher.digest(subscriptions)
    assert matcher.digest(subscriptions) == first
    assert build_digests(feed, subscriptions)[1] == first


# ------------------------------------------------------------------------------------------ synthetic papers


def test_equivalent_categories_match_both_ways() -> None:
    papers = [paper("2411.00001", "Codes", categories=("math.IT",)),
              paper("2411.00002", "Channels", categories=("cs.IT", "math.IT"))]
    digest = build_digests(papers, [category(1, "cs.IT")])[1]
    assert {m.paper_id for m in digest} == {"arXiv:2411.00001", "arXiv:2411.00002"}
    assert by_id(digest)["arXiv:2411.00001"].why == ("new in cs.IT",)


def test_topic_category_restriction_applies() -> None:
    papers = [paper("2411.00001", "Diffusion for proteins", categories=("q-bio.BM",)),
              paper("2411.00002", "Diffusion for images", categories=("cs.CV", "cs.LG"))]
    digest = build_digests(papers, [topic(1, "diffusion cat:cs.CV")])[1]
    assert [m.paper_id for m in digest] == ["arXiv:2411.00002"]


def test_researcher_by_stable_id_and_not_a_namesake_with_another_id() -> None:
    ours = AuthorRef("Wei Zhang", openalex_id="https://openalex.org/A5000000001")
    other = AuthorRef("Wei Zhang", openalex_id="A5000000002")
    papers = [paper("2411.00001", "One", authors=(ours,)), paper("2411.00002", "Two", authors=(other,)),
              paper("2411.00003", "Three", authors=("Wei Zhang",))]
    digest = by_id(build_digests(papers, [researcher(1, "Wei Zhang", openalex_id="A5000000001")])[1])
    assert set(digest) == {"arXiv:2411.00001", "arXiv:2411.00003"}
    assert digest["arXiv:2411.00001"].why == ("follows Wei Zhang",)
    assert not digest["arXiv:2411.00001"].reasons[0].by_name
    assert digest["arXiv:2411.00003"].why == ("possibly by Wei Zhang (name match only)",)
    assert [m.paper_id for m in digest.values()] == ["arXiv:2411.00001", "arXiv:2411.00003"]  # id first


def test_different_first_initial_is_not_the_same_person() -> None:
    papers = [paper("2411.00001", "A", authors=("Samy Bengio",)), paper("2411.00002", "B", authors=("Y. Bengio",)),
              paper("2411.00003", "C", authors=("Bengio, Yoshua",)), paper("2411.00004", "D", authors=("Yann Bengio",))]
    digest = build_digests(papers, [researcher(1, "Yoshua Bengio")])[1]
    assert {m.paper_id for m in digest} == {"arXiv:2411.00002", "arXiv:2411.00003"}


def test_same_paper_twice_in_a_batch_is_one_entry() -> None:
    first = paper("2411.00001", "Graph neural networks", announce="new")
    again = paper("2411.00001", "Graph neural networks", categories=("cs.LG", "stat.ML"), announce="cross")
    digest = build_digests([first, again], [topic(1, "graph"), category(2, "stat.ML")])[1]
    assert len(digest) == 1
    assert digest[0].why == ('topic #1: matched "graph" in title', "cross-listed to stat.ML")


def test_every_reason_is_kept_across_many_subscriptions() -> None:
    papers = [paper("2411.00001", "Score matching for diffusion models",
                    authors=(AuthorRef("Yang Song", openalex_id="A5000000001"),), categories=("cs.LG", "stat.ML"))]
    subscriptions = [category(5, "stat.ML"), topic(2, "diffusion"), researcher(9, "Yang Song", openalex_id="A5000000001"),
                     topic(1, '"score matching"'), category(3, "cs.LG")]
    (entry,) = build_digests(papers, subscriptions)[1]
    assert [(r.kind, r.number) for r in entry.reasons] == [
        ("researcher", 9), ("topic", 1), ("topic", 2), ("category", 3), ("category", 5)]
    assert entry.followed
    assert entry.score == pytest.approx(sum(r.score for r in entry.reasons)) and entry.score > 0


def test_papers_without_an_id_are_left_out() -> None:
    papers = [PaperRecord(title="Diffusion without an id"), PaperRecord(title="Diffusion", arxiv_id="not-an-id"),
              paper("2411.00001", "Diffusion with one")]
    matcher = DigestMatcher(papers)
    assert matcher.batch.dropped == 2
    assert [m.paper_id for m in matcher.digest([topic(1, "diffusion")])] == ["arXiv:2411.00001"]


def test_spec_from_stored_values() -> None:
    assert topic(1, "Diffusion models -survey").query == parse_query("diffusion model -survey")
    assert category(1, "CS.lg").category == "cs.LG"
    assert category(1, "cat:cs*").category == "cs.*"
    assert category(1, "math.IT").category == "cs.IT"
    assert SubscriptionSpec(1, 1, "category", category="cs.lg").category == "cs.LG"
    spec = SubscriptionSpec.from_stored(1, 2, "researcher", display_name="Ada Lovelace",
                                        name_variants=["A. Lovelace", ""])
    assert spec.name_variants == ("A. Lovelace",)
    with pytest.raises(QueryError):
        topic(1, '"unclosed')
    with pytest.raises(UnknownCategory):
        category(1, "cs.XX")
    with pytest.raises(ValueError):
        SubscriptionSpec.from_stored(1, 1, "podcast", "x")
    with pytest.raises(ValueError):
        SubscriptionSpec(1, 1, "researcher")


def test_stored_topics_and_categories_made_without_init_equal_the_ones_made_with_it() -> None:
    """`from_stored` fills topic and category specs in at once (the clock makes 100,000): every field as the
    dataclass's own constructor sets it, and a bad category still refused."""
    import dataclasses

    made = [SubscriptionSpec.from_stored(4, 2, "topic", "Diffusion models -survey"),
            SubscriptionSpec.from_stored(4, 3, "category", "cat:CS.lg"),
            SubscriptionSpec.from_stored(4, 5, "category", "cs*")]
    built = [SubscriptionSpec(4, 2, "topic", query=parse_query("Diffusion models -survey")),
             SubscriptionSpec(4, 3, "category", category="cs.LG"), SubscriptionSpec(4, 5, "category", category="cs.*")]
    assert made == built
    assert [vars(m) for m in made] == [vars(b) for b in built]
    assert [f.name for f in dataclasses.fields(SubscriptionSpec)] == list(vars(made[0]))
    with pytest.raises(UnknownCategory):
        SubscriptionSpec.from_stored(1, 1, "category", "cs.XX")
    with pytest.raises(ValueError):
        SubscriptionSpec.from_stored(1, 1, "category", "  ")


def test_a_digest_made_into_items_is_the_digest_and_shares_what_one_subscription_alone_brings(
        feed: tuple[PaperRecord, ...]) -> None:
    """`digest_as` (the clock's planning) gives every channel the digest `digest` gives, each entry made into an
    item; an entry one subscription alone brought is made once and shared by every channel with that
    subscription, a paper several brought is made for the channel; past `kept` the made tables start afresh
    with the same answers."""

    class Made:
        made = 0

        def __init__(self, entry: DigestMatch) -> None:
            Made.made += 1
            self.entry, self.rank, self.reasons = entry, entry.rank, entry.reasons

    matcher = DigestMatcher(feed)
    channels = {
        1: [topic(1, "diffusion", destination=1), category(2, "cs.CV", destination=1)],
        2: [topic(1, "diffusion", destination=2), category(2, "cs.CV", destination=2)],
        3: [topic(1, "diffusion", destination=3), researcher(2, "Stan Z. Li", destination=3)],
    }
    options = DigestOptions(include_updates=False)
    made = {i: matcher.digest_as(specs, options, Made, kept=1_000_000) for i, specs in channels.items()}
    for i, specs in channels.items():
        assert [item.entry for item in made[i]] == matcher.digest(specs, options)
    one, two = ({item.entry.paper_id: item for item in made[i]} for i in (1, 2))
    alone = [p for p, item in one.items() if len(item.reasons) == 1]
    several = [p for p, item in one.items() if len(item.reasons) > 1]
    assert alone and several  # the day has both: diffusion papers in cs.CV and not
    assert all(one[p] is two[p] for p in alone) and not any(one[p] is two[p] for p in several)
    # Channel 3's topic #1 is channel 1's: its papers the topic alone brought are the same items again.
    three = {item.entry.paper_id: item for item in made[3]}
    assert any(three[p] is one[p] for p in alone if p in three)
    assert matcher.planned_count == sum(map(len, matcher.planned.values()))
    # Another maker gets items of its own making, never the first one's.
    class Other(Made):
        pass

    others = matcher.digest_as(channels[1], options, Other, kept=1_000_000)
    assert [item.entry for item in others] == [item.entry for item in made[1]]
    assert all(type(item) is Other for item in others)
    assert all(type(item) is Other for table in matcher.planned.values() for item in table.values())
    afresh = DigestMatcher(feed)
    for specs in channels.values():
        assert [item.entry for item in afresh.digest_as(specs, options, Made, kept=10)] == matcher.digest(specs, options)
    assert afresh.planned_count <= max(map(len, afresh.planned.values()))  # emptied: the last table only
