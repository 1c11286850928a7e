"""Researcher names while a person types: OpenAlex's author autocomplete, remembered in memory and in the
database, within a chat platform's three seconds.

A platform asks again on nearly every keystroke, so OpenAlex is asked at most once per text (then memory for
an hour, then the database cache for a day, which survives a restart). When OpenAlex cannot answer in time,
the people this deployment has looked up before stand in.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from datetime import timedelta

from core.app import App
from core.researchers.lookup import hashed_key
from core.sources.http import SourceError
from core.sources.openalex import OpenAlexSource
from core.storage import repos
from core.storage import suggestions as stored

log = logging.getLogger(__name__)

MIN_NAME = 3  # fewer letters match thousands of people; wait for more
LOOKUP_TIMEOUT_S = 2.0  # inside the platform's three seconds, with room for the answer to travel
FETCH = 25  # names asked of OpenAlex per text, whatever one adapter shows: the cache serves every adapter
MEMORY_TTL_S = 3600.0
MEMORY_SIZE = 2000
DB_TTL = timedelta(days=1)
CACHE_PREFIX = "autocomplete-authors"

Pairs = list[tuple[str, str]]  # (label, OpenAlex id)


class NameMemory:
    """Recent answers by text, oldest dropped first; one per App, so Apps (and tests) never share one."""

    def __init__(self) -> None:
        self._answers: OrderedDict[str, tuple[float, Pairs]] = OrderedDict()

    def get(self, text: str) -> Pairs | None:
        found = self._answers.get(text)
        if found is None or time.monotonic() - found[0] >= MEMORY_TTL_S:
            return None
        self._answers.move_to_end(text)
        return found[1]

    def put(self, text: str, pairs: Pairs) -> None:
        self._answers[text] = (time.monotonic(), pairs)
        self._answers.move_to_end(text)
        while len(self._answers) > MEMORY_SIZE:
            self._answers.popitem(last=False)


# Keyed by the App's id, not the App (a dataclass, so unhashable); an entry goes when its App is collected.
_memories: dict[int, NameMemory] = {}


def memory_of(app: App) -> NameMemory:
    memory = _memories.get(id(app))
    if memory is None:
        memory = _memories[id(app)] = NameMemory()
        weakref.finalize(app, _memories.pop, id(app), None)
    return memory


def forget(app: App) -> None:
    """Drop what this App remembers (as a restart would); the database cache stays."""
    _memories.pop(id(app), None)


async def researcher_suggestions(app: App, current: str, limit: int) -> Pairs:
    """(label, OpenAlex id) for the people a name may mean, best first; nothing for too short a text."""
    text = " ".join(current.split())
    if len(text) < MIN_NAME or not any(ch.isalpha() for ch in text):
        return []
    text = text.casefold()
    memory = memory_of(app)
    pairs = memory.get(text)
    if pairs is None:
        try:
            pairs = await asyncio.wait_for(_lookup(app, text), LOOKUP_TIMEOUT_S)
        except (SourceError, TimeoutError) as error:
            log.info("researcher suggestions for %r fall back to known names: %s", text, error)
            async with app.db.session() as session:
                return (await stored.known_researchers(session, text, limit=min(limit, FETCH)))[:limit]
        memory.put(text, pairs)
    return pairs[:limit]


async def _lookup(app: App, text: str) -> Pairs:
    key = hashed_key(CACHE_PREFIX, text)
    async with app.db.session() as session:
        cached = await repos.cache_get(session, key, now=app.now())
    if isinstance(cached, list):
        return [(str(p[0]), str(p[1])) for p in cached if isinstance(p, list) and len(p) == 2]
    found = await OpenAlexSource(app.sources.openalex).autocomplete_authors(text, limit=FETCH)
    pairs = []
    for person in found:
        if not person.openalex_id:
            continue
        details = ", ".join(p for p in (person.institution or "",
                                        f"{person.works_count:,} works" if person.works_count else "") if p)
        pairs.append((person.display_name + (f" — {details}" if details else ""), person.openalex_id))
    async with app.db.session() as session:
        await repos.cache_put(session, key, [list(p) for p in pairs], DB_TTL, now=app.now())
        await session.commit()
    return pairs


INSTITUTION_PREFIX = "autocomplete-institutions"
MIN_INSTITUTION = 2  # "MIT", "UCL", "KTH": institutions go by short acronyms


async def institution_suggestions(app: App, current: str, limit: int) -> Pairs:
    """(label, OpenAlex id) for the institutions a text may mean, from OpenAlex's autocomplete (cached a day).

    Nothing on failure or timeout: unlike people, there is no list of looked-up institutions to stand in.
    """
    text = " ".join(current.split()).casefold()
    if len(text) < MIN_INSTITUTION or not any(ch.isalnum() for ch in text):
        return []
    key = hashed_key(INSTITUTION_PREFIX, text)
    async with app.db.session() as session:
        cached = await repos.cache_get(session, key, now=app.now())
    if isinstance(cached, list):
        return [(str(p[0]), str(p[1])) for p in cached if isinstance(p, list) and len(p) == 2][:limit]
    try:
        found = await asyncio.wait_for(
            OpenAlexSource(app.sources.openalex).autocomplete_institutions(text, limit=FETCH), LOOKUP_TIMEOUT_S)
    except (SourceError, TimeoutError) as error:
        log.info("institution suggestions for %r unavailable: %s", text, error)
        return []
    pairs = [(c.display_name + (f" — {c.hint}" if c.hint else ""), c.openalex_id) for c in found]
    async with app.db.session() as session:
        await repos.cache_put(session, key, [list(p) for p in pairs], DB_TTL, now=app.now())
        await session.commit()
    return pairs[:limit]
