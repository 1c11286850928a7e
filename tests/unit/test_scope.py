"""What part of arXiv a deployment reads, and what a subscription then searches (RADAR_INGEST_CATEGORIES)."""

from __future__ import annotations

import pytest

from core.config import ConfigError
from core.model.channels import Subscription
from core.sources.arxiv_feed import feed_path
from core.subscriptions.categories import ARCHIVES
from core.subscriptions.scope import ALL_ARCHIVES, ArxivScope, check_categories, describe_feeds, parse_scope
from tests.digest.conftest import all_archives_path

CS_AND_STAT_ML = parse_scope("cs.*,stat.ML")


def test_all_of_arxiv_is_one_request_naming_every_archive(recordings) -> None:  # type: ignore[no-untyped-def]
    scope = parse_scope("all")
    assert scope.everything and set(scope.feed_names()) == set(ARCHIVES) and len(scope.feed_names()) == 20
    # Exactly the request arXiv's own all-archives feed (the recorded 1,504-item document) answers.
    assert "/" + feed_path(scope.feed_names()) == all_archives_path(recordings)
    assert describe_feeds(ALL_ARCHIVES) == "all 20 arXiv archives, in one request"


@pytest.mark.parametrize("text", ["all", "ALL", " all ", "", " , "])
def test_all_is_the_default_spelling(text: str) -> None:
    assert parse_scope(text) == ArxivScope()


def test_listing_every_archive_is_all_of_arxiv() -> None:
    assert parse_scope(",".join(ALL_ARCHIVES)).everything


@pytest.mark.parametrize(("text", "restricted", "feeds"), [
    ("cs.*,stat.ML", ("cs.*", "stat.ML"), ("cs", "stat.ML")),
    ("cs, physics, hep-th", ("cs.*", "physics.*", "hep-th"), ("cs", "physics", "hep-th")),
    ("CS.LG,cs.*,math.it", ("cs.*",), ("cs",)),  # codes inside a listed archive add nothing
    ("math.IT,stat.ML", ("cs.IT", "stat.ML"), ("cs.IT", "stat.ML")),  # aliases as arXiv lists them first
    ("astro-ph*", ("astro-ph.*",), ("astro-ph",)),
])
def test_a_restricted_scope_reads_its_archives_and_categories(text: str, restricted: tuple[str, ...],
                                                              feeds: tuple[str, ...]) -> None:
    scope = parse_scope(text)
    assert scope.restricted_to == restricted and scope.feed_names() == feeds


@pytest.mark.parametrize("text", ["cs.XX", "biology", "cs.LG,nonsense"])
def test_a_misspelt_scope_names_the_setting(text: str) -> None:
    with pytest.raises(ConfigError, match=r"RADAR_INGEST_CATEGORIES: .* is not an arXiv category"):
        parse_scope(text)


def test_a_topic_without_cat_searches_all_of_arxiv_by_default() -> None:
    check = check_categories(ArxivScope(), ())
    assert check.sentence == "Searches all of arXiv." and not check.hopeless
    # A cat: is the topic's own narrowing, already shown in the query: nothing more to say.
    assert check_categories(ArxivScope(), ("math.PR",)).sentence == ""


def test_a_restricted_server_names_what_is_searched() -> None:
    topic = check_categories(CS_AND_STAT_ML, ())
    assert topic.sentence == "Searches cs.*, stat.ML (this server's arXiv scope; RADAR_INGEST_CATEGORIES)."
    narrowed = check_categories(CS_AND_STAT_ML, ("cs.LG",))
    assert narrowed.sentence == ("Searches cs.LG (this server's arXiv scope is cs.*, stat.ML; "
                                 "RADAR_INGEST_CATEGORIES).")
    assert check_categories(CS_AND_STAT_ML, ("cs.*",)).searched == ("cs.*",)
    assert check_categories(CS_AND_STAT_ML, ("eess.SY",)).searched == ("eess.SY",)  # cs.SY is the same subject


def test_what_lies_outside_a_restricted_scope_is_said_or_refused() -> None:
    partly = check_categories(CS_AND_STAT_ML, ("cs.LG", "math.PR"))
    assert not partly.hopeless and partly.searched == ("cs.LG",)
    assert partly.sentence.endswith("Never searched here: math.PR.")
    outside = check_categories(CS_AND_STAT_ML, ("math.PR",))
    assert outside.hopeless and outside.outside == ("math.PR",)
    # A whole archive of which only some categories are read: searched as those, the rest said.
    stats = check_categories(CS_AND_STAT_ML, ("stat.*",))
    assert stats.searched == ("stat.ML",) and not stats.hopeless
    assert "Never searched here: the rest of stat.*." in stats.sentence


def test_ingest_reads_the_whole_scope_whatever_channels_follow() -> None:
    from core.digest.ingest import feed_names

    physics = [Subscription(number=1, kind="category", query="hep-th")]
    machine_learning = [Subscription(number=1, kind="topic", query="diffusion cat:cs.LG")]
    assert feed_names(physics, ArxivScope()) == feed_names(machine_learning, ArxivScope()) == ALL_ARCHIVES
    assert feed_names(physics, CS_AND_STAT_ML) == ("cs", "stat.ML")
    assert feed_names([], ArxivScope()) == ()  # nobody to read it for
