"""Time zones as people type them: names, abbreviations and offsets, each read with the rule said out loud."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.model.zones import zone_label
from core.subscriptions.timing import SettingError, next_digest, read_timezone


@pytest.mark.parametrize(("typed", "zone", "says"), [
    ("PST", "America/Los_Angeles", "PST is taken as America/Los_Angeles (Pacific time, follows daylight saving)."),
    ("pdt", "America/Los_Angeles", "PDT is taken as America/Los_Angeles"),
    # tzdata's own EST is a fixed UTC-5 that ignores summer time: never what someone in New York means.
    ("EST", "America/New_York", "EST is taken as America/New_York (US Eastern time, follows daylight saving)."),
    ("CET", "Europe/Berlin", "CET is taken as Europe/Berlin (Central European time, follows daylight saving)."),
    ("CEST", "Europe/Berlin", "Central European time"),
    ("BST", "Europe/London", "BST is taken as Europe/London (UK time: GMT in winter, BST in summer)."),
    ("IST", "Asia/Kolkata", "for Ireland use Europe/Dublin, for Israel Asia/Jerusalem"),
    ("JST", "Asia/Tokyo", "Japan time, no daylight saving"),
    ("AEST", "Australia/Sydney", "for Queensland use Australia/Brisbane"),
    ("CST", "America/Chicago", "for China use Asia/Shanghai"),
    ("GMT", "UTC", "GMT is taken as UTC"),
])
def test_abbreviations_map_to_a_zone_with_the_rule_shown(typed: str, zone: str, says: str) -> None:
    choice = read_timezone(typed)
    assert choice.name == zone and choice.rule is not None and says in choice.rule


@pytest.mark.parametrize(("typed", "zone", "label"), [
    ("UTC+2", "Etc/GMT-2", "UTC+02:00"),  # tzdata counts the other way round: shown the way it was asked
    ("GMT-5", "Etc/GMT+5", "UTC-05:00"),
    ("utc +10", "Etc/GMT-10", "UTC+10:00"),
    ("+02:00", "Etc/GMT-2", "UTC+02:00"),
    ("UTC\u22123", "Etc/GMT+3", "UTC-03:00"),  # a typographic minus, as phones write it
    ("UTC+14", "Etc/GMT-14", "UTC+14:00"),
])
def test_whole_hour_offsets_are_fixed_zones_shown_as_offsets(typed: str, zone: str, label: str) -> None:
    choice = read_timezone(typed)
    assert choice.name == zone and zone_label(choice.name) == label
    assert choice.rule is not None and f"a fixed offset, {label} all year" in choice.rule


def test_an_offset_zone_schedules_at_that_offset() -> None:
    fired = next_digest("08:00", "mon-fri", read_timezone("UTC+2").name, datetime(2024, 11, 28, 0, 0, tzinfo=UTC))
    assert fired is not None and fired.astimezone(UTC) == datetime(2024, 11, 28, 6, 0, tzinfo=UTC)


def test_part_hour_offsets_are_the_place_that_keeps_them() -> None:
    choice = read_timezone("UTC+5:30")
    assert choice.name == "Asia/Kolkata" and choice.rule == "UTC+5:30 is taken as Asia/Kolkata (India time, no daylight saving)."


def test_names_need_no_rule_and_utc_is_utc() -> None:
    assert read_timezone("europe/paris").name == "Europe/Paris" and read_timezone("Europe/Paris").rule is None
    assert read_timezone("UTC").name == "UTC" and read_timezone("utc").rule is None
    assert zone_label("Europe/Paris") == "Europe/Paris" and zone_label("Etc/UTC") == "UTC"


@pytest.mark.parametrize(("typed", "says"), [
    ("UTC+15", "they run from UTC-12:00 to UTC+14:00"),
    ("GMT-13", "they run from UTC-12:00 to UTC+14:00"),
    ("UTC+2:15", "No place keeps UTC+02:15"),
    ("UTC+2:75", "is not an offset a clock has"),
    ("XYZ", "is not a time zone I know"),
    ("Berln", "Did you mean `Europe/Berlin`"),
])
def test_bad_zones_get_a_friendly_answer(typed: str, says: str) -> None:
    with pytest.raises(SettingError) as raised:
        read_timezone(typed)
    assert says in str(raised.value)
    if "not a time zone" in says:
        assert "an abbreviation such as `PST`" in str(raised.value) and "`UTC+2`" in str(raised.value)
