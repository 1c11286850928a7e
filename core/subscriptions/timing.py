"""A channel's digest schedule: parsing what people type for time, zone and days, and the next run."""

from __future__ import annotations

import difflib
import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from apscheduler.triggers.cron import CronTrigger

from core.subscriptions.zones import ZoneChoice, ZoneTextError, read_abbreviation


class SettingError(ValueError):
    """A setting value we cannot use; the message says what would work."""


_TIME = re.compile(r"^(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$", re.I)


def parse_time(text: str) -> str:
    """`08:30`, `8:30`, `0830`, `8am`, `6:15 pm` → `HH:MM`."""
    match = _TIME.match(text.strip())
    if not match:
        raise SettingError(f"`{text[:40]}` is not a time; use HH:MM in 24-hour time, like `08:30` or `17:00`.")
    hour, minute = int(match["h"]), int(match["m"] or 0)
    ampm = (match["ampm"] or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise SettingError(f"`{text[:40]}` is not a time: with am/pm the hour runs from 1 to 12.")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise SettingError(f"`{text[:40]}` is not a time of day; use 00:00 to 23:59.")
    return f"{hour:02d}:{minute:02d}"


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def read_timezone(text: str) -> ZoneChoice:
    """An IANA zone name (`Europe/Paris`), matched without regard to case, or an abbreviation or offset (`PST`,
    `UTC+2`) with the rule it was read by; suggests near misses."""
    try:
        choice = read_abbreviation(text)
    except ZoneTextError as error:
        raise SettingError(str(error)) from None
    if choice is not None:
        return choice
    value = text.strip().replace(" ", "_")
    zones = _zones()
    name = zones.get(value.lower())
    if name:
        try:
            ZoneInfo(name)
        except ZoneInfoNotFoundError:  # listed but unloadable on this machine
            name = None
    if name:
        return ZoneChoice(name)
    guesses = difflib.get_close_matches(value.lower(), list(zones), n=3, cutoff=0.6)
    # People often type just the city, and misspell it: compare with the last part of every zone name.
    cities: dict[str, str] = {}
    for key in zones:
        cities.setdefault(key.rsplit("/", 1)[-1], key)
    for city in difflib.get_close_matches(value.lower().rsplit("/", 1)[-1], list(cities), n=3, cutoff=0.75):
        if cities[city] not in guesses:
            guesses.append(cities[city])
    hint = f" Did you mean {', '.join('`' + zones.get(g, g) + '`' for g in guesses[:3])}?" if guesses else ""
    raise SettingError(
        f"`{text[:60]}` is not a time zone I know.{hint} Use a zone name such as `Europe/Paris` or "
        "`America/New_York`, an abbreviation such as `PST` or `CET`, or an offset such as `UTC+2`."
    )


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    "weekdays": "mon-fri", "workdays": "mon-fri", "daily": "mon-sun", "everyday": "mon-sun", "every-day": "mon-sun",
    "all": "mon-sun", "*": "mon-sun", "weekends": "sat,sun", "weekend": "sat,sun",
}
_LONG_DAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
              "saturday": "sat", "sunday": "sun", "tues": "tue", "thur": "thu", "thurs": "thu"}


def parse_days(text: str) -> str:
    """`mon-fri`, `mon,wed,fri`, `weekdays`, `daily`, `Monday Thursday` → a cron day-of-week expression."""
    value = text.strip().lower().replace(" and ", ",").replace(" ", ",")
    value = _DAY_ALIASES.get(value, value)
    parts = []
    for part in filter(None, value.split(",")):
        ends = [_LONG_DAYS.get(p, p) for p in part.split("-")]
        if len(ends) > 2 or not all(e in _DAY_NAMES for e in ends):
            raise SettingError(
                f"`{text[:40]}` is not a set of days. Use day names like `mon-fri`, `mon,wed,fri`, `weekdays` or `daily`."
            )
        parts.append("-".join(ends))
    if not parts:
        raise SettingError("Say which days, like `mon-fri` or `daily`.")
    expression = ",".join(dict.fromkeys(parts))
    try:
        CronTrigger(day_of_week=expression)  # APScheduler has the last word on what it will run
    except ValueError:
        raise SettingError(
            f"`{text[:40]}` is not a set of days: a range runs forward within Monday to Sunday "
            "(for Friday to Monday, write `fri-sun,mon`)."
        ) from None
    return expression


DAILY, WEEKLY = "daily", "weekly"
DEFAULT_DAYS = "mon-fri"  # a daily digest's days until someone says otherwise: arXiv announces Monday to Friday
_EVERY = re.compile(r"^(?:(?P<day>day|weekday)s?|week(?:ly)?(?:\s+(?:on\s+)?(?P<on>[a-z]+))?)$", re.I)
_FULL_NAMES = {short: full for full, short in _LONG_DAYS.items() if len(full) > 5}


def parse_every(text: str) -> tuple[str, str]:
    """`day` or `week on monday` (`week` alone is Monday's) → (cadence, cron day-of-week)."""
    match = _EVERY.match(" ".join(text.strip().split()))
    if match is None:
        raise SettingError(f"`every {text[:40]}` is not a schedule; use `every day` or `every week on monday`.")
    if match["day"]:
        return DAILY, DEFAULT_DAYS
    day = _LONG_DAYS.get((match["on"] or "monday").lower(), (match["on"] or "").lower())
    if day not in _DAY_NAMES:
        raise SettingError(f"`{match['on'][:20]}` is not a day of the week; use `every week on monday` (or tuesday…).")
    return WEEKLY, day


def schedule_text(cadence: str, weekdays: str) -> str:
    """How `settings` shows the days: `every week on Monday`, or a daily digest's days (`mon-fri`)."""
    if cadence == WEEKLY:
        return f"every week on {_FULL_NAMES.get(weekdays, weekdays).title()}"
    return weekdays


def parse_max(text: str, *, ceiling: int = 50) -> int:
    value = text.strip()
    if not value.isdecimal() or not 1 <= int(value) <= ceiling:
        raise SettingError(f"`max` takes a number of papers from 1 to {ceiling}, like `settings max 15`.")
    return int(value)


def parse_switch(text: str, name: str) -> bool:
    value = text.strip().lower()
    if value in ("on", "yes", "true", "1", "enable", "enabled"):
        return True
    if value in ("off", "no", "false", "0", "disable", "disabled"):
        return False
    raise SettingError(f"`{name}` is on or off, like `settings {name} on`.")


def digest_trigger(digest_time: str, weekdays: str, timezone: str) -> CronTrigger:
    hour, minute = (int(p) for p in digest_time.split(":"))
    return CronTrigger(hour=hour, minute=minute, day_of_week=weekdays, timezone=timezone)


def next_digest(digest_time: str, weekdays: str, timezone: str, now: datetime) -> datetime | None:
    """When the next scheduled digest fires (local wall time kept across DST by APScheduler)."""
    try:
        return digest_trigger(digest_time, weekdays, timezone).get_next_fire_time(None, now)
    except (ValueError, ZoneInfoNotFoundError):
        return None
