"""The backfill calendar: which announcement days a gap in the feeds missed, and which submissions they hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.digest.backfill import (
    LEAD,
    MAX_LOOKBACK,
    api_categories,
    backfill_window,
    describe_days,
    likely_feed_date,
    missed_feed_dates,
    submission_deadline,
)
from core.sources.arxiv_api import build_search_query
from core.sources.http import BadRequest

TUE, WED, THU, FRI, MON = (date(2024, 11, 26), date(2024, 11, 27), date(2024, 11, 28), date(2024, 11, 29),
                           date(2024, 12, 2))
NOW = datetime(2024, 11, 28, 12, 0, tzinfo=UTC)


def test_consecutive_feeds_and_weekends_miss_nothing() -> None:
    assert missed_feed_dates(TUE, WED) == ()
    assert missed_feed_dates(FRI, MON) == ()  # no feed is dated Saturday or Sunday
    assert missed_feed_dates(TUE, TUE) == ()  # a stale feed shows the covered day again
    assert missed_feed_dates(None, THU) == ()  # a first ingest has nothing behind it to fill


def test_the_days_between_two_feeds_are_missed_weekdays_only() -> None:
    assert missed_feed_dates(TUE, THU) == (WED,)
    assert missed_feed_dates(THU, MON) == (FRI,)
    assert missed_feed_dates(WED, date(2024, 12, 4)) == (THU, FRI, MON, date(2024, 12, 3))


def test_the_deadline_is_2pm_new_york_on_the_weekday_before() -> None:
    # Wednesday's feed closed on Tuesday at 14:00 EST (19:00 UTC); Monday's on Friday.
    assert submission_deadline(WED) == datetime(2024, 11, 26, 19, 0, tzinfo=UTC)
    assert submission_deadline(MON) == datetime(2024, 11, 29, 19, 0, tzinfo=UTC)
    # In summer New York is on EDT: 18:00 UTC.
    assert submission_deadline(date(2024, 7, 3)) == datetime(2024, 7, 2, 18, 0, tzinfo=UTC)


def test_a_submission_is_estimated_into_the_feed_that_announced_it() -> None:
    before = datetime(2024, 11, 26, 18, 59, tzinfo=UTC)  # Tuesday 13:59 in New York
    after = datetime(2024, 11, 26, 19, 1, tzinfo=UTC)
    assert likely_feed_date(before) == WED
    assert likely_feed_date(after) == THU
    assert likely_feed_date(datetime(2024, 11, 30, 10, 0, tzinfo=UTC)) == date(2024, 12, 3)  # a Saturday
    assert likely_feed_date(datetime(2024, 11, 29, 18, 0)) == MON  # naive times are UTC


def test_one_missed_day_asks_for_its_own_submissions_not_todays() -> None:
    window = backfill_window(TUE, THU, NOW)
    assert window is not None and window.missed == (WED,) and not window.shortened
    # Wednesday's feed: submitted after Monday's deadline and by Tuesday's, a day earlier for held papers.
    assert window.start == datetime(2024, 11, 25, 19, 0, tzinfo=UTC) - LEAD
    assert window.end == datetime(2024, 11, 26, 20, 0, tzinfo=UTC)
    assert window.end < datetime(2024, 11, 26, 19, 1, tzinfo=UTC) + timedelta(hours=1)  # Thursday's own are left


def test_no_gap_no_window() -> None:
    assert backfill_window(WED, THU, NOW) is None
    assert backfill_window(None, THU, NOW) is None


def test_a_long_outage_is_shortened_to_the_lookback() -> None:
    window = backfill_window(date(2024, 10, 1), THU, NOW)
    assert window is not None and window.shortened
    assert window.end - window.start == MAX_LOOKBACK
    assert len(window.missed) == 41  # every weekday from 2 Oct to 27 Nov


def test_archives_become_wildcards_in_the_api_query() -> None:
    assert api_categories(["cs", "cs.LG", "hep-th", "astro-ph"]) == ["cs.*", "cs.LG", "hep-th", "astro-ph.*"]
    query = build_search_query(category=api_categories(["cs", "stat.ML"]),
                               submitted_from=datetime(2024, 11, 24, 19, tzinfo=UTC),
                               submitted_to=datetime(2024, 11, 26, 20, tzinfo=UTC))
    assert query == "(cat:cs.* OR cat:stat.ML) AND submittedDate:[202411241900 TO 202411262000]"


@pytest.mark.parametrize("hostile", ["cs.*)", "*", "cs.**", "cs.* OR ti:x", "cs.L*"])
def test_only_a_whole_archive_may_be_a_wildcard(hostile: str) -> None:
    with pytest.raises(BadRequest):
        build_search_query(category=hostile)


def test_days_are_named_as_a_person_would() -> None:
    assert describe_days([WED]) == "Wed 27 Nov"
    assert describe_days([WED, THU]) == "Wed 27 Nov and Thu 28 Nov"
    assert describe_days([WED, THU, FRI, MON]) == "the 4 announcement days from Wed 27 Nov to Mon 02 Dec"
