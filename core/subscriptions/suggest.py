"""Suggestions for a channel's options while a person types: arXiv categories, time zones, setting values,
and the channel's own subscriptions.

Everything but the subscriptions is in memory: a platform asks again on nearly every keystroke. Items come
best first; how many fit, and how long a label may be, is the adapter's business.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from core.app import App
from core.model.context import Destination
from core.model.zones import zone_label
from core.storage import suggestions as stored
from core.subscriptions.categories import ARCHIVES, CATEGORIES
from core.subscriptions.zones import ZoneTextError, read_abbreviation
from core.views import Suggestion

# Values people most often want for each setting; what they type stays first, so these never force a choice.
SETTING_VALUES = {
    "time": ["07:00", "08:00", "08:30", "09:00", "12:00", "17:00"],
    "days": ["mon-fri", "daily", "mon,wed,fri", "sat,sun"],
    "every": ["day", "week on monday", "week on friday"],
    "max": ["5", "10", "15", "20", "30", "50"],
    "updates": ["on", "off"],
    "crosslists": ["on", "off"],
    "quiet-notice": ["on", "off"],
    "learning": ["on", "off"],
    "summary": ["tldr", "abstract", "off"],
}
COMMON_ZONES = ("UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
                "America/Los_Angeles", "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "Australia/Sydney")


def category_suggestions(current: str, limit: int) -> list[Suggestion]:
    """Categories whose code starts with the text, then those whose code or name contains it, then archives."""
    text = current.strip().lower()
    ranked: list[tuple[int, str, str]] = []
    for code, name in CATEGORIES.items():
        if not text or code.lower().startswith(text):
            ranked.append((0, code, name))
        elif text in code.lower() or text in name.lower():
            ranked.append((1, code, name))
    for archive, name in ARCHIVES.items():
        wildcard = f"{archive}.*"
        if text and (wildcard.startswith(text) or text in name.lower()) and any(
                c.startswith(f"{archive}.") for c in CATEGORIES):
            ranked.append((2, wildcard, f"all of {name}"))
    ranked.sort(key=lambda r: (r[0], r[1].lower()))
    return [Suggestion(f"{code} — {name}", code) for _, code, name in ranked[:limit]]


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    # Legacy aliases (US/Pacific, Etc/GMT+3, posix/...) are valid but confusing in a short list.
    skip = ("Etc/", "posix", "right/", "SystemV", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/")
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(skip)))


def timezone_suggestions(current: str, limit: int) -> list[Suggestion]:
    """Zones whose name or city starts with the text, then those containing it; common zones for no text."""
    text = current.strip().lower().replace(" ", "_")
    if not text:
        return [Suggestion(zone, zone) for zone in COMMON_ZONES[:limit]]
    ranked: list[tuple[int, str]] = []
    # An abbreviation or offset being typed (`PST`, `UTC+2`) is offered as typed, with the zone it is taken as.
    try:
        typed = read_abbreviation(current)
    except ZoneTextError:
        typed = None
    abbreviated = ([Suggestion(f"{current.strip()} ({zone_label(typed.name)})", current.strip())]
                   if typed is not None and typed.rule else [])
    for zone in ("UTC", *_zones()):
        lowered = zone.lower()
        city = lowered.rsplit("/", 1)[-1]
        if lowered.startswith(text) or city.startswith(text):
            ranked.append((0, zone))
        elif text in lowered:
            ranked.append((1, zone))
    ranked.sort()
    return (abbreviated + [Suggestion(zone.replace("_", " "), zone) for _, zone in ranked])[:limit]


def setting_value_suggestions(setting: str, current: str, limit: int) -> list[Suggestion]:
    """Values for one setting (by its option name); none for a setting not chosen yet."""
    if setting == "timezone":
        return timezone_suggestions(current, limit)
    values = SETTING_VALUES.get(setting, [])
    text = current.strip().lower()
    found = [value for value in values if value.startswith(text)] or values
    # What the person typed stays the first option, so they are never forced onto a suggestion.
    if current.strip() and current.strip() not in found:
        found = [current.strip(), *found]
    return [Suggestion(value, value) for value in found[:limit]]


async def subscription_suggestions(app: App, where: Destination, current: str, limit: int, *,
                                   kind: str | None = None) -> list[Suggestion]:
    """This channel's subscriptions as `#n kind: label` (value: the number), filtered by number or words."""
    async with app.db.session() as session:
        records = await stored.channel_subscriptions(session, where, kind=kind)
    text = current.strip().lstrip("#").lower()
    found = []
    for record in records:
        label = (record.display_name if record.kind in ("researcher", "institution") else record.query) or "?"
        if text and not (str(record.number).startswith(text) or text in label.lower()):
            continue
        found.append(Suggestion(f"#{record.number} {record.kind}: {label}", str(record.number)))
    return found[:limit]
