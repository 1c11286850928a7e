"""Text from arXiv metadata: whitespace, DOIs, TeX-accented author lists, announcement dates.

Shared by the announcement-feed and query-API parsers. These run thousands of times per daily feed, so the
common case takes a cheap path and only unusual text pays for the careful one.
"""

from __future__ import annotations

import email.utils
import logging
import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from html import unescape
from zoneinfo import ZoneInfo

from core.ids import InvalidId, normalize_doi
from core.model.papers import AuthorRef

log = logging.getLogger(__name__)

# arXiv dates its announcements in US Eastern time; a UTC build time late in the evening is still "today".
EASTERN = ZoneInfo("America/New_York")


def clean_whitespace(text: str | None) -> str:
    # XML 1.0 cannot carry C0 control characters, so collapsing whitespace is all the cleaning text needs.
    if not text:
        return ""
    # Most abstracts are one clean line: four C-level scans are far cheaper than splitting and rejoining.
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text.strip()


def first_doi(text: str | None) -> str | None:
    """arXiv's DOI field sometimes lists several DOIs separated by spaces; the first names the paper."""
    if not text or not text.strip():
        return None
    try:
        return normalize_doi(text.split()[0])
    except InvalidId:
        log.debug("ignoring unreadable DOI %r", text[:80])
        return None


# ---------------------------------------------------------------- authors

_ACCENT_MARKS = {
    "`": "\u0300", "'": "\u0301", "^": "\u0302", "~": "\u0303", "=": "\u0304", "u": "\u0306", ".": "\u0307",
    '"': "\u0308", "r": "\u030a", "H": "\u030b", "v": "\u030c", "d": "\u0323", "c": "\u0327", "k": "\u0328",
    "b": "\u0331",
}  # fmt: skip
_TEX_LETTERS = {
    "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "l": "ł", "L": "Ł", "o": "ø",
    "O": "Ø", "i": "i", "j": "j", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ",
}  # fmt: skip
_BASE = r"(?:\\([ij])(?![A-Za-z])|([A-Za-z]))"
# Symbol accents take the next letter directly (\'e); letter accents need braces or a space (\v{z}, \v z),
# otherwise `\dot` would read as \d + "ot".
_TEX_ACCENT = re.compile(
    r"\\([`'^~=.\"])\s*(?:\{\s*" + _BASE + r"\s*\}|" + _BASE + r")"
    r"|\\([uvHcdkrb])(?:\s*\{\s*" + _BASE + r"\s*\}|\s+" + _BASE + r")"
)
# \dh and \th are taken even when glued to the next letter: `Gu\dhmundur` means Guðmundur, and no name
# contains a longer command starting with them.
_TEX_LETTER = re.compile(r"\\(?:(ss|aa|AA|ae|AE|oe|OE|[lLoOij])(?![A-Za-z])|(dh|DH|th|TH))\s?")


def _accent(match: re.Match[str]) -> str:
    groups = match.groups()
    command = groups[0] or groups[5]
    base = next((g for g in groups[1:5] + groups[6:] if g), "")
    return unicodedata.normalize("NFC", base + _ACCENT_MARKS[command])


def tex_to_unicode(name: str) -> str:
    """`Jos\\'e Zar\\'and Przemys{\\l}aw` -> `José Zaránd Przemysław`: arXiv author lists are often TeX."""
    if "\\" not in name:
        return name
    name = _TEX_ACCENT.sub(_accent, name)
    name = _TEX_LETTER.sub(lambda m: _TEX_LETTERS[m.group(1) or m.group(2)], name)
    return name.replace("{", "").replace("}", "")


def _top_level(text: str) -> list[str]:
    """Split on commas outside parentheses: affiliations such as `(MIT, Cambridge, MA)` carry commas."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for segment in text.split(","):
        current.append(segment)
        depth += segment.count("(") - segment.count(")")
        if depth <= 0:
            parts.append(",".join(current))
            current, depth = [], 0
    # An unclosed parenthesis must not swallow every later author.
    parts.extend(current)
    return parts


_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def _maybe_suffix(text: str) -> bool:
    if "r" in text and ("Jr" in text or "Sr" in text or "jr" in text or "JR" in text):
        return True
    return "I" in text and ("II" in text or "IV" in text)


def split_authors(text: str | None) -> tuple[AuthorRef, ...]:
    """`A. Doe (MIT), B. Roe and C. Poe` -> three authors, the first with an affiliation."""
    if not text:
        return ()
    if "&" in text:  # names arrive double-escaped now and then (`&amp;#233;`)
        text = unescape(text)
    if "\\" in text:
        text = tex_to_unicode(text)
    if "(" not in text and " and " not in text and "\n" not in text and "  " not in text and not _maybe_suffix(text):
        # The common shape, "A. Doe, B. Roe": thousands of names a day, so no per-name bookkeeping.
        return tuple([AuthorRef(name, None, None, None, None) for piece in text.split(",") if (name := piece.strip())])
    found: list[tuple[str, str | None]] = []
    if "(" not in text and " and " not in text:
        found = [(clean_whitespace(piece), None) for piece in text.split(",")]
    else:
        for piece in _top_level(text) if "(" in text else text.split(","):
            affiliation = None
            if "(" in piece:
                opened, closed = piece.find("("), piece.rfind(")")
                affiliation = clean_whitespace(piece[opened + 1 : closed if closed > opened else None]) or None
                piece = piece[:opened]
            names = piece.split(" and ")
            last = len(names) - 1
            for index, raw in enumerate(names):
                name = clean_whitespace(raw)
                if name.startswith("and "):  # the Oxford comma: "A, B, and C"
                    name = name[4:]
                found.append((name, affiliation if index == last else None))
    authors: list[AuthorRef] = []
    for name, affiliation in found:
        if not name:
            continue
        if len(name) < 5 and authors and name.lower() in _SUFFIXES:
            previous = authors[-1]
            authors[-1] = AuthorRef(name=f"{previous.name} {name}", affiliation=previous.affiliation)
        else:
            authors.append(AuthorRef(name, None, None, None, affiliation))  # positional: thousands per feed
    return tuple(authors)


# ---------------------------------------------------------------- dates


@lru_cache(maxsize=256)
def eastern_date(text: str | None) -> date | None:
    """The announcement day of an RFC 822 or ISO timestamp; every item of a feed shares one, hence the cache."""
    if not text or not text.strip():
        return None
    text = text.strip()
    moment: datetime | None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(EASTERN).date()
