"""Author names as arXiv prints them, reduced to something two spellings of one person agree on.

arXiv feeds carry bare name strings, so a followed researcher is recognised there by name only. The same
person appears as "Yoshua Bengio", "Y. Bengio", "Bengio, Yoshua", "BENGIO Y", with or without accents and
with hyphens or spaces in compound names. `parse_name` turns each of these into one tuple of folded words in
natural order (given names first, surname last); `names_compatible` then decides whether two parsed names
can be the same person.

The rule is deliberately strict, because a namesake in a digest is what users complain about: the surname
must be equal and the first given name must agree (equal words, or an initial of the other). Middle names
may be missing on one side but may not contradict. A name with no given name (a mononym) only matches the
same mononym.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["NameKey", "ParsedName", "name_key", "name_words", "names_compatible", "parse_name", "same_person"]

ParsedName = tuple[str, ...]
NameKey = tuple[str, str]  # (surname, first initial or "")

# A word is a run of letters; hyphens, dots and apostrophes separate ("Jean-Pierre" = "Jean Pierre",
# "J.-P." = "J P"), which is how the same name is written either way in practice.
_WORD = re.compile(r"[^\W\d_]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_LETTERS = str.maketrans({
    "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ß": "ss",
    "'": None, "’": None, "ʼ": None, "`": None,
})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower().translate(_LETTERS)
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold().translate(_LETTERS)


def _raw_words(text: str) -> list[str]:
    # Apostrophes join ("O'Brien" = "OBrien"); everything else that is not a letter separates.
    return _WORD.findall(text.replace("'", "").replace("’", ""))


def _given(raw: list[str], shouting: bool = False) -> list[str]:
    # "JP Serre": two or three capitals in a row in a given-name position are initials, unless the whole
    # name is in capitals ("BOB SMITH").
    out: list[str] = []
    for word in raw:
        if not shouting and 2 <= len(word) <= 3 and word.isupper():
            out.extend(_fold(word))
        else:
            out.append(_fold(word))
    return out


def _trailing_initials(word: str) -> bool:
    # "Bengio Y", "Serre JP": citation style. Capitals with a vowel ("Wei LI") are more likely a surname.
    return len(word) == 1 or (len(word) <= 3 and word.isupper() and not any(c in "AEIOU" for c in word))


def parse_name(text: str) -> ParsedName:
    """Folded name words in natural order, surname last: "Bengio, Yoshua" → ("yoshua", "bengio").

    Returns () when the text holds no letters.
    """
    if "," in text:
        surname_part, _, given_part = text.partition(",")
        surname_raw = _raw_words(surname_part)
        given_raw = [w for w in _raw_words(given_part) if _fold(w) not in _SUFFIXES]
        if surname_raw and given_raw:
            return (*_given(given_raw, text.isupper()), *map(_fold, surname_raw))
        # "Kenneth M. Merz, Jr.": the comma only set off a suffix.
        text = surname_part if surname_raw else given_part
    raw = _raw_words(text)
    if len(raw) > 2 and _fold(raw[-1]) in _SUFFIXES:
        raw = raw[:-1]
    if not raw:
        return ()
    if len(raw) >= 2 and len(raw[0]) > 1 and _trailing_initials(raw[-1]) and not _trailing_initials(raw[0]):
        return (*_given([raw[-1]]), *map(_fold, raw[1:-1]), _fold(raw[0]))
    return (*_given(raw[:-1], text.isupper()), _fold(raw[-1]))


def name_words(text: str) -> frozenset[str]:
    """Every folded word of a name, in no order: a cheap superset of its parsed surname."""
    return frozenset(map(_fold, _raw_words(text)))


def name_key(name: ParsedName) -> NameKey | None:
    """What an index groups names under: the surname and the first initial (None for an empty name)."""
    if not name:
        return None
    return (name[-1], name[0][0] if len(name) > 1 else "")


def _word_compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    return (len(a) == 1 and b[0] == a) or (len(b) == 1 and a[0] == b)


def _subsequence(short: ParsedName, long: ParsedName) -> bool:
    position = 0
    for word in short:
        while position < len(long) and not _word_compatible(word, long[position]):
            position += 1
        if position == len(long):
            return False
        position += 1
    return True


def names_compatible(a: ParsedName, b: ParsedName) -> bool:
    """Whether two parsed names can belong to one person (see the module docstring for the rule)."""
    if not a or not b or a[-1] != b[-1]:
        return False
    if len(a) == 1 or len(b) == 1:
        return len(a) == len(b)
    given_a, given_b = a[:-1], b[:-1]
    if given_a == given_b or "".join(given_a) == "".join(given_b):
        # "Xiao-Ping" and "Xiaoping" are one given name written two ways.
        return True
    if not _word_compatible(given_a[0], given_b[0]):
        return False
    middle_a, middle_b = given_a[1:], given_b[1:]
    if len(middle_a) > len(middle_b):
        middle_a, middle_b = middle_b, middle_a
    return _subsequence(middle_a, middle_b)


def same_person(a: str, b: str) -> bool:
    """`names_compatible` on two raw name strings."""
    return names_compatible(parse_name(a), parse_name(b))
