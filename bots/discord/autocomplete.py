"""Suggestions while a person types an option: researchers, arXiv categories, time zones, subscriptions.

Discord asks again on nearly every keystroke and gives three seconds to answer, so everything here is
cheap: categories and zones are in memory, researcher names hit OpenAlex's autocomplete at most once per
text (then memory, then the database cache), and any failure answers with no suggestions rather than an
error the person would see as "loading options failed".
"""

from __future__ import annotations

import asyncio
import logging
import time
import zoneinfo
from collections import OrderedDict
from datetime import timedelta
from functools import lru_cache

from discord import app_commands
from sqlmodel import col, select

from bots.discord import limits
from bots.discord.limits import fit
from core.bootstrap import App
from core.model.context import Destination
from core.researchers.lookup import hashed_key
from core.sources.http import SourceError
from core.sources.openalex import OpenAlexSource
from core.storage import repos
from core.storage.models import ResearcherRow
from core.subscriptions.categories import ARCHIVES, CATEGORIES

log = logging.getLogger(__name__)

MIN_NAME = 3  # fewer letters match thousands of people; wait for more
LOOKUP_TIMEOUT_S = 2.0  # inside Discord's three seconds, with room for the answer to travel
MEMORY_TTL_S = 3600.0
MEMORY_SIZE = 2000
DB_TTL = timedelta(days=1)
SETTING_VALUES = {
    "time": ["07:00", "08:00", "08:30", "09:00", "12:00", "17:00"],
    "days": ["mon-fri", "daily", "mon,wed,fri", "sat,sun"],
    "max": ["5", "10", "15", "20", "30", "50"],
    "updates": ["on", "off"],
    "crosslists": ["on", "off"],
    "quiet-notice": ["on", "off"],
}
Choices = list[app_commands.Choice[str]]


def _choice(name: str, value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=fit(name, limits.CHOICE_NAME), value=value[: limits.CHOICE_VALUE])


# ---------------------------------------------------------------- categories and time zones


def category_choices(current: str) -> Choices:
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
    return [_choice(f"{code} — {name}", code) for _, code, name in ranked[: limits.CHOICES]]


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    # Legacy aliases (US/Pacific, Etc/GMT+3, posix/...) are valid but confusing in a short list.
    skip = ("Etc/", "posix", "right/", "SystemV", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/")
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(skip)))


COMMON_ZONES = ("UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
                "America/Los_Angeles", "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "Australia/Sydney")


def timezone_choices(current: str) -> Choices:
    text = current.strip().lower().replace(" ", "_")
    if not text:
        return [_choice(z, z) for z in COMMON_ZONES]
    ranked = []
    for zone in ("UTC", *_zones()):
        lowered = zone.lower()
        city = lowered.rsplit("/", 1)[-1]
        if lowered.startswith(text) or city.startswith(text):
            ranked.append((0, zone))
        elif text in lowered:
            ranked.append((1, zone))
    ranked.sort()
    return [_choice(zone.replace("_", " "), zone) for _, zone in ranked[: limits.CHOICES]]


def setting_value_choices(setting: str | None, current: str) -> Choices:
    if setting == "timezone":
        return timezone_choices(current)
    values = SETTING_VALUES.get(setting or "", [])
    text = current.strip().lower()
    suggestions = [value for value in values if value.startswith(text)] or values
    # What the person typed stays the first option, so they are never forced onto a suggestion.
    if current.strip() and current.strip() not in suggestions:
        suggestions = [current.strip(), *suggestions]
    return [_choice(value, value) for value in suggestions[: limits.CHOICES]]


# ---------------------------------------------------------------- the channel's own subscriptions


async def subscription_choices(app: App, where: Destination, current: str, *, kind: str | None = None
                               ) -> list[app_commands.Choice[str]]:
    """This channel's subscriptions as `#n kind: label`, filtered by number or words."""
    async with app.db.session() as session:
        destination = await repos.get_destination(session, where)
        records = await repos.list_subscriptions(session, destination.id) if destination and destination.id else []
    text = current.strip().lstrip("#").lower()
    found = []
    for record in records:
        if kind and record.kind != kind:
            continue
        label = (record.display_name if record.kind == "researcher" else record.query) or "?"
        if text and not (str(record.number).startswith(text) or text in label.lower()):
            continue
        found.append(_choice(f"#{record.number} {record.kind}: {label}", str(record.number)))
    return found[: limits.CHOICES]


# ---------------------------------------------------------------- researcher names


class ResearcherSuggestions:
    """OpenAlex name autocomplete, remembered in memory and in the database."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._memory: OrderedDict[str, tuple[float, list[tuple[str, str]]]] = OrderedDict()

    async def choices(self, current: str) -> Choices:
        text = " ".join(current.split())
        if len(text) < MIN_NAME or not any(ch.isalpha() for ch in text):
            return []
        pairs = await self._pairs(text.casefold())
        return [_choice(name, value) for name, value in pairs[: limits.CHOICES]]

    async def _pairs(self, text: str) -> list[tuple[str, str]]:
        cached = self._memory.get(text)
        if cached and time.monotonic() - cached[0] < MEMORY_TTL_S:
            self._memory.move_to_end(text)
            return cached[1]
        try:
            pairs = await asyncio.wait_for(self._lookup(text), LOOKUP_TIMEOUT_S)
        except (SourceError, TimeoutError) as error:
            log.info("researcher autocomplete for %r falls back to known names: %s", text, error)
            return await self._known(text)
        self._memory[text] = (time.monotonic(), pairs)
        while len(self._memory) > MEMORY_SIZE:
            self._memory.popitem(last=False)
        return pairs

    async def _lookup(self, text: str) -> list[tuple[str, str]]:
        key = hashed_key("discord-autocomplete-authors", text)
        async with self.app.db.session() as session:
            stored = await repos.cache_get(session, key, now=self.app.now())
        if isinstance(stored, list):
            return [(str(p[0]), str(p[1])) for p in stored if isinstance(p, list) and len(p) == 2]
        found = await OpenAlexSource(self.app.sources.openalex).autocomplete_authors(text, limit=limits.CHOICES)
        pairs = []
        for person in found:
            if not person.openalex_id:
                continue
            details = ", ".join(p for p in (person.institution or "",
                                            f"{person.works_count:,} works" if person.works_count else "") if p)
            pairs.append((person.display_name + (f" — {details}" if details else ""), person.openalex_id))
        async with self.app.db.session() as session:
            await repos.cache_put(session, key, [list(p) for p in pairs], DB_TTL, now=self.app.now())
            await session.commit()
        return pairs

    async def _known(self, text: str) -> list[tuple[str, str]]:
        """People this deployment has looked up before, when OpenAlex cannot answer in time."""
        async with self.app.db.session() as session:
            rows = (await session.exec(
                select(ResearcherRow).where(col(ResearcherRow.display_name).ilike(f"%{text}%"))
                .where(col(ResearcherRow.openalex_id).is_not(None)).limit(limits.CHOICES)
            )).all()
        return [(row.display_name, row.openalex_id) for row in rows if row.openalex_id]
