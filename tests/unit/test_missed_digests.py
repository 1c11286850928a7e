"""A catch-up follows a missed digest; a first digest, a weekend, or a late digest is not one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.digest.missed import feed_rebuilt_between, missed_digests

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Channel:
    last_digest_at: datetime | None
    digest_time: str = "08:00"
    weekdays: str = "mon-fri"
    timezone: str = "Europe/Berlin"


def at(day: int, hour: int = 8, minute: int = 0) -> datetime:
    """A moment of December 2024 in Berlin (Monday the 2nd to Monday the 9th)."""
    return datetime(2024, 12, day, hour, minute, tzinfo=BERLIN)


def test_a_channels_first_digest_misses_nothing() -> None:
    assert missed_digests(Channel(None), at(5)) == 0


def test_the_next_days_digest_misses_nothing() -> None:
    assert missed_digests(Channel(at(4)), at(5)) == 0
    assert missed_digests(Channel(at(4, 8, 1)), at(5, 8, 2)) == 0  # sent a minute late, the next one too


def test_monday_after_a_weekend_misses_nothing_whatever_the_days() -> None:
    assert missed_digests(Channel(at(6)), at(9)) == 0
    # Daily digests and the clock down all weekend: arXiv announced nothing for Saturday or Sunday.
    assert missed_digests(Channel(at(6), weekdays="mon-sun"), at(9)) == 0


def test_a_day_without_a_digest_is_missed() -> None:
    assert missed_digests(Channel(at(3)), at(5)) == 1  # Wednesday's never went out
    assert missed_digests(Channel(at(5)), at(9)) == 1  # Friday's
    assert missed_digests(Channel(at(2)), at(6)) == 3


def test_a_late_digest_of_todays_slot_is_not_a_catch_up() -> None:
    # The clock was down at 08:00 and came back at 11:00: this is today's digest, late, not a catch-up.
    assert missed_digests(Channel(at(4)), at(5, 11)) == 0
    # `digest now` in the afternoon, after this morning's digest: nothing missed either.
    assert missed_digests(Channel(at(5)), at(5, 15)) == 0


def test_a_channel_paused_for_a_month_looks_back_two_weeks_at_most() -> None:
    assert missed_digests(Channel(at(2) - timedelta(days=60)), at(9)) == 9


def test_arxiv_rebuilds_its_feeds_on_weekday_nights_only() -> None:
    assert feed_rebuilt_between(at(6), at(9))  # Monday 00:30 in New York is Monday 06:30 in Berlin
    assert not feed_rebuilt_between(at(6), at(9, 6))
    assert not feed_rebuilt_between(at(7), at(8, 23))
