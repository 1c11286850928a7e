"""Small, forgiving readers for the JSON the scholarly APIs send back.

Real responses drift over the years (fields renamed, nulls where a list used to be, control characters in
venue names), so parsers read through these helpers and never index blindly. One broken item in a list is
skipped and logged; the rest of the list still reaches the user.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import httpx

from core.ids import InvalidId
from core.sources.http import SourceError, Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

_SPACES = re.compile(r"\s+")


class MalformedItem(ValueError):
    """One item of a response lacks what we need to show it; the caller skips it."""


def clean_text(value: Any) -> str:
    """One line without control characters (some venue names carry stray C1 bytes; abstracts carry newlines
    that chat renderers would turn into ragged paragraphs)."""
    if not isinstance(value, str):
        return ""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in value)
    return _SPACES.sub(" ", kept).strip()


def read_json(response: httpx.Response, source: str) -> Any:
    """The body as JSON, or `Unavailable` (an HTML error page or a login wall where JSON was due)."""
    try:
        return response.json()
    except ValueError as exc:
        log.warning("%s: unreadable JSON from %s", source, response.request.url.path)
        raise Unavailable(source, "answered with something that is not JSON") from exc


def normalized(normalize: Callable[[str], str], value: Any) -> str | None:
    """`normalize(value)` for an id a source sent, or None when it is absent or not valid."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return normalize(value)
    except InvalidId:
        return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        return int(value.strip())
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_day(value: Any) -> date | None:
    """`2018-02-13` (or a timestamp starting with one) as a date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO timestamp or bare date as an aware UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if len(text) == 10:
        day = parse_day(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, first occurrence wins, compared case-insensitively."""
    seen: set[str] = set()
    kept = []
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            kept.append(value)
    return tuple(kept)


def parse_items(items: Any, parser: Callable[[dict[str, Any]], T], *, source: str, what: str) -> tuple[list[T], int]:
    """Parse each item of a list, skipping (and logging) the ones that cannot be read. Returns (parsed, skipped)."""
    parsed: list[T] = []
    skipped = 0
    for index, item in enumerate(as_list(items)):
        try:
            if not isinstance(item, dict):
                raise MalformedItem(f"expected an object, got {type(item).__name__}")
            parsed.append(parser(item))
        except (MalformedItem, ValueError, TypeError, KeyError) as exc:
            skipped += 1
            log.warning("%s: skipped %s #%d: %s", source, what, index, exc)
    return parsed, skipped


@dataclass
class Listing(Generic[T]):
    """Items gathered over one or more pages.

    `complete` is False when paging stopped early: at the cap (`truncated`) or because a later page failed
    (`error`). Items read before a failure are kept, so a flaky page costs the tail, not the whole answer.
    """

    items: list[T] = field(default_factory=list)
    total: int | None = None  # what the source says exists, when it says
    pages: int = 0
    skipped: int = 0
    truncated: bool = False
    error: SourceError | None = None

    @property
    def complete(self) -> bool:
        return not self.truncated and self.error is None

    def __len__(self) -> int:
        return len(self.items)

    async def page(self, fetch: Awaitable[dict[str, Any]], source: str) -> dict[str, Any] | None:
        """The next page's body, or None once paging has to stop. A failing first page raises (there is
        nothing to show); a failing later page ends the listing with `error` set and keeps what came."""
        try:
            data = await fetch
        except SourceError as exc:
            if self.pages == 0:
                raise
            log.warning("%s: paging stopped after %d pages: %s", source, self.pages, exc)
            self.error = exc
            return None
        self.pages += 1
        return data

    def add(self, raw: Any, parser: Callable[[dict[str, Any]], T], *, source: str, what: str) -> None:
        """Parse one page's items into the listing; unreadable ones are counted in `skipped`."""
        items, skipped = parse_items(raw, parser, source=source, what=what)
        self.items.extend(items)
        self.skipped += skipped
