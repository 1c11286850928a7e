"""Time zones as people type them: abbreviations (`PST`, `CET`) and offsets (`UTC+2`, `GMT-5`).

A channel stores an IANA zone name, which APScheduler and `zoneinfo` understand and which keeps local time across
daylight saving. An abbreviation names a region's clock, not a zone, and several are ambiguous (IST, CST), so each
is taken as one zone and the answer says which, and why, so a channel that meant another knows what to type.
tzdata's own `EST`, `MST` and `HST` are fixed offsets that ignore summer time, which is never what someone in New
York means by EST: the table below wins over them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.model.zones import offset_label

_FOLLOWS_DST = "follows daylight saving"
_NO_DST = "no daylight saving"


@dataclass(frozen=True)
class ZoneChoice:
    """The zone a channel gets, and the sentence that says how its text was read (None: it was a zone name)."""

    name: str
    rule: str | None = None


# abbreviation -> (zone, what it is taken as). Summer and winter spellings name the same clock.
_ABBREVIATIONS: dict[str, tuple[str, str]] = {}


def _add(names: str, zone: str, meaning: str) -> None:
    for name in names.split():
        _ABBREVIATIONS[name] = (zone, meaning)


_add("PST PDT PT", "America/Los_Angeles", f"Pacific time, {_FOLLOWS_DST}")
_add("MST MDT MT", "America/Denver", f"Mountain time, {_FOLLOWS_DST}; for Arizona use America/Phoenix")
_add("CST CDT CT", "America/Chicago", f"US Central time, {_FOLLOWS_DST}; for China use Asia/Shanghai")
_add("EST EDT ET", "America/New_York", f"US Eastern time, {_FOLLOWS_DST}")
_add("AKST AKDT", "America/Anchorage", f"Alaska time, {_FOLLOWS_DST}")
_add("HST", "Pacific/Honolulu", f"Hawaii time, {_NO_DST}")
_add("AST ADT", "America/Halifax", f"Atlantic time, {_FOLLOWS_DST}; for Arabia use Asia/Riyadh")
_add("BRT", "America/Sao_Paulo", f"Brasília time, {_NO_DST}")
_add("ART", "America/Argentina/Buenos_Aires", f"Argentina time, {_NO_DST}")
_add("BST", "Europe/London", "UK time: GMT in winter, BST in summer")
_add("WET WEST", "Europe/Lisbon", f"Western European time, {_FOLLOWS_DST}")
_add("CET CEST MET MEZ", "Europe/Berlin", f"Central European time, {_FOLLOWS_DST}")
_add("EET EEST", "Europe/Athens", f"Eastern European time, {_FOLLOWS_DST}")
_add("MSK", "Europe/Moscow", f"Moscow time, {_NO_DST}")
_add("SAST", "Africa/Johannesburg", f"South African time, {_NO_DST}")
_add("WAT", "Africa/Lagos", f"West Africa time, {_NO_DST}")
_add("EAT", "Africa/Nairobi", f"East Africa time, {_NO_DST}")
_add("IST", "Asia/Kolkata", f"India time, {_NO_DST}; for Ireland use Europe/Dublin, for Israel Asia/Jerusalem")
_add("PKT", "Asia/Karachi", f"Pakistan time, {_NO_DST}")
_add("SGT", "Asia/Singapore", f"Singapore time, {_NO_DST}")
_add("HKT", "Asia/Hong_Kong", f"Hong Kong time, {_NO_DST}")
_add("JST", "Asia/Tokyo", f"Japan time, {_NO_DST}")
_add("KST", "Asia/Seoul", f"Korea time, {_NO_DST}")
_add("AWST", "Australia/Perth", f"Australian Western time, {_NO_DST}")
_add("ACST ACDT", "Australia/Adelaide", f"Australian Central time, {_FOLLOWS_DST}; for Darwin use Australia/Darwin")
_add("AEST AEDT", "Australia/Sydney", f"Australian Eastern time, {_FOLLOWS_DST}; for Queensland use "
     "Australia/Brisbane")
_add("NZST NZDT", "Pacific/Auckland", f"New Zealand time, {_FOLLOWS_DST}")

# Offsets that are not whole hours have no fixed-offset zone in tzdata: each is taken as the place that keeps it.
_PART_HOURS: dict[int, tuple[str, str]] = {
    5 * 60 + 30: ("Asia/Kolkata", f"India time, {_NO_DST}"),
    5 * 60 + 45: ("Asia/Kathmandu", f"Nepal time, {_NO_DST}"),
    3 * 60 + 30: ("Asia/Tehran", f"Iran time, {_NO_DST}"),
    4 * 60 + 30: ("Asia/Kabul", f"Afghanistan time, {_NO_DST}"),
    6 * 60 + 30: ("Asia/Yangon", f"Myanmar time, {_NO_DST}"),
    9 * 60 + 30: ("Australia/Darwin", "Australian Central time without daylight saving"),
    -(3 * 60 + 30): ("America/St_Johns", f"Newfoundland time, {_FOLLOWS_DST}"),
}

_OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$", re.I)


class ZoneTextError(ValueError):
    """Text that looks like an offset but is not one a clock can have."""


def _offset(text: str) -> ZoneChoice | None:
    match = _OFFSET.match(text.replace("\u2212", "-"))  # a typographic minus, as phones and docs write it
    if match is None:
        return None
    hours, minutes = int(match["h"]), int(match["m"] or 0)
    total = (hours * 60 + minutes) * (-1 if match["sign"] == "-" else 1)
    shown = offset_label(total)
    if minutes >= 60 or not -12 * 60 <= total <= 14 * 60:
        raise ZoneTextError(f"`{text[:40]}` is not an offset a clock has: they run from UTC-12:00 to UTC+14:00.")
    if total == 0:
        return ZoneChoice("UTC", f"{text} is taken as UTC ({_NO_DST}).")
    if minutes:
        if total not in _PART_HOURS:
            raise ZoneTextError(f"No place keeps {shown} that I know of; use a zone name such as `Asia/Kolkata`.")
        zone, meaning = _PART_HOURS[total]
        return ZoneChoice(zone, f"{text} is taken as {zone} ({meaning}).")
    # tzdata's fixed-offset zones count the other way round (POSIX): UTC+2 is Etc/GMT-2.
    zone = f"Etc/GMT{'-' if total > 0 else '+'}{abs(total) // 60}"
    return ZoneChoice(zone, f"{text} is taken as a fixed offset, {shown} all year ({_NO_DST}; for a clock that "
                            "changes in summer, use a zone name such as `Europe/Berlin`).")


def read_abbreviation(text: str) -> ZoneChoice | None:
    """The zone an abbreviation or offset stands for, with the rule applied; None for anything else."""
    value = text.strip()
    if value.upper() in ("GMT", "UTC", "Z", "ZULU", "UCT"):
        rule = None if value.upper() == "UTC" else f"{value} is taken as UTC ({_NO_DST}; for UK time use BST)."
        return ZoneChoice("UTC", rule)
    found = _ABBREVIATIONS.get(value.upper())
    if found is not None:
        zone, meaning = found
        return ZoneChoice(zone, f"{value.upper()} is taken as {zone} ({meaning}).")
    return _offset(value)


def abbreviations() -> dict[str, str]:
    """Every abbreviation and the zone it is taken as (for suggestions while typing)."""
    return {name: zone for name, (zone, _) in _ABBREVIATIONS.items()}
