"""How a stored time zone name reads to people.

A whole-hour offset (`UTC+2`) is stored as the IANA name `Etc/GMT-2`, whose sign is inverted by POSIX tradition:
shown as it is, it would tell a channel the opposite of what it asked for. Every place that shows a zone goes
through `zone_label`.
"""

from __future__ import annotations

import re

_ETC_OFFSET = re.compile(r"^Etc/GMT(?P<sign>[+-])(?P<hours>\d{1,2})$")


def offset_label(minutes: int) -> str:
    """`UTC+02:00`, `UTC-05:00`, `UTC+05:30`."""
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_label(name: str) -> str:
    """`Etc/GMT-2` -> `UTC+02:00`; `Etc/UTC`, `Etc/GMT` -> `UTC`; any other name as it is."""
    if name in ("Etc/UTC", "Etc/GMT", "Etc/GMT+0", "Etc/GMT-0", "Etc/Zulu", "Etc/UCT", "GMT", "UCT", "Zulu"):
        return "UTC"
    match = _ETC_OFFSET.match(name)
    if match is None:
        return name
    hours = int(match["hours"])
    return offset_label(-hours * 60 if match["sign"] == "+" else hours * 60)
