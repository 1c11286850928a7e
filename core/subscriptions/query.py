"""The topic query language: what a channel types after `subscribe topic`.

    graph neural networks          every word must appear (title or abstract, any case, plurals folded)
    "score matching"               the words must appear next to each other, in the title or in the abstract
    diffusion model OR "flow matching"   either alternative; OR (in capitals) splits the whole query
    -survey  -"medical imaging"    a paper with an excluded word or phrase never matches (NOT x means -x)
    cat:cs.LG cat:stat.ML cat:cs.* restrict to papers in any of these categories (also cat:cs.LG,stat.ML)
    has:code                       only papers whose code is out (a repository Hugging Face, the abstract or
                                   the arXiv comment names)
    venue:ICLR venue:"Phys. Rev. B"   only papers accepted or published there (any of them; venue:ICLR,NeurIPS)

A bare hyphenated word (self-supervised, GPT-4) is read as a phrase, since the tokenizer splits it. `AND`
in capitals is accepted and left out (every word must match already), and `query_notes.operator_notes` says
so to the person subscribing; a lowercase "or" is refused as a likely typo for OR. Two queries that
mean the same thing (order, case, plurals, quoting aside) compare equal and share one `canonical()` text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from core.model.venues import venue_matches, venue_words
from core.subscriptions.categories import (
    ARCHIVES,
    UnknownCategory,
    category_name,
    matching_category,
    normalize_category,
    normalize_wildcard,
    suggest_categories,
)
from core.subscriptions.text import tokenize

__all__ = ["MAX_QUERY_LENGTH", "MAX_TERMS", "Hit", "MatchResult", "QueryError", "QueryGroup", "TopicQuery",
           "find_phrase", "match", "parse_query", "required_tokens"]

MAX_QUERY_LENGTH = 500
MAX_TERMS = 30
_EXAMPLE = '"graph neural networks" -survey cat:cs.LG'

Phrase = tuple[str, ...]
_GroupKey = tuple[tuple[str, ...], tuple[Phrase, ...]]
_QueryKey = tuple[tuple[_GroupKey, ...], tuple[str, ...], tuple[Phrase, ...], tuple[str, ...], bool,
                  tuple[tuple[str, ...], ...]]


class QueryError(ValueError):
    """A topic query that cannot be understood: `message` says why, `example` shows a query that works."""

    def __init__(self, message: str, example: str = _EXAMPLE) -> None:
        super().__init__(message)
        self.message = message
        self.example = example


class _OrderFree:
    """Equality and hashing on `key()`, which sorts: the order things were typed in does not matter."""

    def key(self) -> object:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


@dataclass(frozen=True, eq=False)
class QueryGroup(_OrderFree):
    """One OR alternative: every term and every phrase must be present."""

    terms: tuple[str, ...] = ()
    phrases: tuple[Phrase, ...] = ()

    def key(self) -> _GroupKey:
        return tuple(sorted(self.terms)), tuple(sorted(self.phrases))


@dataclass(frozen=True, eq=False)
class TopicQuery(_OrderFree):
    """A parsed query: normalised tokens, deduplicated, in the order the user wrote them.

    Order only shows in `describe()`; equality, hashing and `canonical()` ignore it, so
    `model diffusion` and `diffusion models` are the same subscription.
    """

    groups: tuple[QueryGroup, ...]
    excluded_terms: tuple[str, ...] = ()
    excluded_phrases: tuple[Phrase, ...] = ()
    categories: tuple[str, ...] = ()  # canonical codes, or archive wildcards such as "cs.*"
    needs_code: bool = False  # has:code
    venues: tuple[str, ...] = ()  # venue: names as typed ("ICLR", "Phys. Rev. B"); any of them

    def key(self) -> _QueryKey:
        return (tuple(sorted(g.key() for g in self.groups)), tuple(sorted(self.excluded_terms)),
                tuple(sorted(self.excluded_phrases)), tuple(sorted(self.categories)), self.needs_code,
                tuple(sorted(venue_words(v) for v in self.venues)))

    def canonical(self) -> str:
        """Query text that parses back to an equal query; equal queries give the same text."""
        groups, excluded_terms, excluded_phrases, categories, needs_code, venues = self.key()
        parts = [" OR ".join(" ".join([*map(_term_text, terms), *map(_phrase_text, phrases)])
                             for terms, phrases in groups)]
        parts += [f"-{_term_text(t)}" for t in excluded_terms]
        parts += [f"-{_phrase_text(p)}" for p in excluded_phrases]
        parts += [f"cat:{c}" for c in categories]
        parts += ["has:code"] if needs_code else []
        parts += [f"venue:{' '.join(words)}" if len(words) == 1 else f'venue:"{" ".join(words)}"' for words in venues]
        return " ".join(parts)

    def describe(self) -> str:
        """A short reading for people: `diffusion AND model, or "score matching"; not: medical; in cs.CV`."""
        text = ", or ".join(" AND ".join([*g.terms, *map(_phrase_text, g.phrases)]) for g in self.groups)
        excluded = [*self.excluded_terms, *map(_phrase_text, self.excluded_phrases)]
        if excluded:
            text += "; not: " + ", ".join(excluded)
        if self.categories:
            text += "; in " + " or ".join(self.categories)
        if self.needs_code:
            text += "; with code"
        if self.venues:
            text += "; at " + " or ".join(self.venues)
        return text

    def __str__(self) -> str:
        return self.canonical()


def required_tokens(group: QueryGroup) -> frozenset[str]:
    """Tokens a paper must contain to match `group`: what an inverted index can intersect on."""
    return frozenset(group.terms).union(*group.phrases)


def _term_text(term: str) -> str:
    # A bare lowercase "or" is refused as a likely mistake for OR, so a quoted "or" must stay quoted.
    return '"or"' if term == "or" else term


def _phrase_text(phrase: Phrase) -> str:
    return '"' + " ".join(phrase) + '"'


# --------------------------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Hit:
    """A term or phrase of the query found in the paper, and where."""

    text: str  # the term, or the phrase's tokens joined by spaces
    is_phrase: bool
    in_title: bool
    in_abstract: bool


@dataclass(frozen=True)
class MatchResult:
    """Why a paper matched: the hits of every OR alternative it satisfied."""

    hits: tuple[Hit, ...]
    groups: tuple[int, ...]  # indexes into TopicQuery.groups
    category: str | None = None  # the paper category that satisfied cat:, if the query has any

    @property
    def title_hits(self) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if h.in_title)

    @property
    def abstract_only_hits(self) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if not h.in_title)

    def why(self) -> str:
        """One line for the digest: `matched "diffusion", "model" in title; "score matching" in abstract`."""
        parts = []
        for hits, where in ((self.title_hits, "title"), (self.abstract_only_hits, "abstract")):
            if hits:
                parts.append(", ".join(f'"{h.text}"' for h in hits) + f" in {where}")
        return "matched " + "; ".join(parts)


def find_phrase(phrase: Phrase, tokens: Sequence[str]) -> bool:
    """Whether the tokens of `phrase` occur consecutively in `tokens`."""
    first, rest, size = phrase[0], list(phrase[1:]), len(phrase)
    last_start = len(tokens) - size
    start = 0
    while start <= last_start:
        try:
            start = tokens.index(first, start, last_start + 1)
        except ValueError:
            return False
        if list(tokens[start + 1:start + size]) == rest:
            return True
        start += 1
    return False


def _group_hits(group: QueryGroup, title_tokens: Sequence[str], abstract_tokens: Sequence[str],
                title_set: set[str], abstract_set: set[str]) -> list[Hit] | None:
    found = []
    for term in group.terms:
        in_title, in_abstract = term in title_set, term in abstract_set
        if not (in_title or in_abstract):
            return None
        found.append(Hit(term, False, in_title, in_abstract))
    for phrase in group.phrases:
        # Cheap set checks first: most candidate papers fail on a missing token, not on adjacency.
        if not all(t in title_set or t in abstract_set for t in phrase):
            return None
        in_title, in_abstract = find_phrase(phrase, title_tokens), find_phrase(phrase, abstract_tokens)
        if not (in_title or in_abstract):
            return None
        found.append(Hit(" ".join(phrase), True, in_title, in_abstract))
    return found


def match(query: TopicQuery, title_tokens: Sequence[str], abstract_tokens: Sequence[str],
          categories: Iterable[str] = (), *, has_code: bool = False, venue: str | None = None) -> MatchResult | None:
    """Match a paper, given as `tokenize`d title and abstract plus its arXiv categories, whether its code is out
    and its venue (`core.model.extras`); None if no match."""
    if query.needs_code and not has_code:
        return None
    if query.venues and not venue_matches(query.venues, venue):
        return None
    category = None
    if query.categories:
        category = matching_category(query.categories, categories)
        if category is None:
            return None
    title_set, abstract_set = set(title_tokens), set(abstract_tokens)
    if any(t in title_set or t in abstract_set for t in query.excluded_terms):
        return None
    if any(find_phrase(p, title_tokens) or find_phrase(p, abstract_tokens) for p in query.excluded_phrases):
        return None
    hits: dict[str, Hit] = {}
    matched_groups = []
    for index, group in enumerate(query.groups):
        found = _group_hits(group, title_tokens, abstract_tokens, title_set, abstract_set)
        if found is not None:
            matched_groups.append(index)
            hits.update((hit.text, hit) for hit in found)
    if not matched_groups:
        return None
    return MatchResult(tuple(hits.values()), tuple(matched_groups), category)


# ---------------------------------------------------------------------------------------------- parsing


class _Lexeme(NamedTuple):
    text: str
    quoted: bool
    glued: bool  # no space between this and the previous lexeme
    negated: bool = False  # a -"phrase"; a negated word keeps its "-" in text


_SMART = str.maketrans({
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"', "＂": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-", "﹣": "-", "－": "-",
})
# Fields of arXiv's own search syntax, which people paste; each gets a pointer to what to do instead.
_FIELD_HINTS = {
    **dict.fromkeys(("au", "author"), "To follow a researcher, use `follow` instead of a topic."),
    **dict.fromkeys(("ti", "title", "abs", "abstract", "all"),
                    "Words already match the title and the abstract, so no prefix is needed."),
    **dict.fromkeys(("arxiv", "doi", "id"), "To look up one paper, use `paper` with its arXiv id or DOI."),
}
_CATEGORY_FIELDS = ("cat", "category")
_HAS_VALUES = ("code",)


def _clean(text: str) -> str:
    # A spaced dash is punctuation, not an exclusion sign.
    text = text.replace(" — ", " ").replace(" – ", " ").translate(_SMART)
    if not text.isprintable():
        # Control characters arrive from copy-paste; they are dropped, and line breaks become spaces.
        text = "".join(" " if ch.isspace() else ch for ch in text
                       if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return text.strip()


def _lex(text: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    i, n, previous_end = 0, len(text), -1
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text.startswith('-"', i)
        if negated or text[i] == '"':
            start = i + 1 if negated else i
            end = text.find('"', start + 1)
            if end < 0:
                snippet = text[start:start + 25] + ("…" if n - start > 25 else "")
                raise QueryError(f"The phrase {snippet} has no closing quote. Put a \" at the end of the phrase.",
                                 '"score matching" diffusion')
            lexemes.append(_Lexeme(text[start + 1:end], True, i == previous_end, negated))
            i = end + 1
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] != '"':
                end += 1
            lexemes.append(_Lexeme(text[i:end], False, i == previous_end))
            i = end
        previous_end = i
    return lexemes


class _Builder:
    def __init__(self) -> None:
        # dicts as insertion-ordered sets: the user's order is kept for describe()
        self.groups: dict[QueryGroup, None] = {}
        self.terms: dict[str, None] = {}
        self.phrases: dict[Phrase, None] = {}
        self.segment_has_filters = False  # exclusions or cat: seen since the last OR
        self.excluded_terms: dict[str, None] = {}
        self.excluded_phrases: dict[Phrase, None] = {}
        self.categories: dict[str, None] = {}
        self.needs_code = False
        self.venues: dict[str, None] = {}
        self.last_was_or = False

    def add(self, tokens: list[str], negated: bool) -> None:
        if tokens:
            terms, phrases = (self.excluded_terms, self.excluded_phrases) if negated else (self.terms, self.phrases)
            if len(tokens) == 1:
                terms[tokens[0]] = None
            else:
                phrases[tuple(tokens)] = None
            self.segment_has_filters |= negated
            self.last_was_or = False

    def close_group(self, at_or: bool) -> None:
        if self.terms or self.phrases:
            self.groups.setdefault(QueryGroup(tuple(self.terms), tuple(self.phrases)))
        elif at_or or self.last_was_or:
            raise _dangling_or(first=not self.groups, last=not at_or, double=self.last_was_or and at_or,
                               filters=self.segment_has_filters)
        self.terms, self.phrases, self.segment_has_filters = {}, {}, False
        self.last_was_or = at_or


def _dangling_or(first: bool, last: bool, double: bool, filters: bool) -> QueryError:
    where = ("There are two ORs in a row" if double else "There is nothing after the last OR" if last
             else "There is nothing to look for before the first OR" if first
             else "One of the OR alternatives has nothing to look for")
    note = " (exclusions and cat: apply to the whole query, so they cannot be an alternative alone)"
    return QueryError(f"{where}{note if filters else ''}. OR needs words or a phrase on both sides.",
                      'diffusion model OR "score matching"')


def _add_categories(builder: _Builder, value: str) -> None:
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if part.endswith("*") or part.lower() in ARCHIVES:
                code = normalize_wildcard(part)
            else:
                code = normalize_category(part)
        except UnknownCategory as error:
            if part.endswith("*"):
                hint = f" Did you mean {' or '.join(error.suggestions)}?" if error.suggestions else ""
                raise QueryError(f"{part!r} is not an arXiv archive.{hint} A wildcard looks like cat:cs.*.",
                                 "diffusion cat:cs.*") from None
            named = [f"{code} ({category_name(code)})" for code in suggest_categories(part)]
            hint = f"Did you mean {' or '.join(named)}?" if named else "Category codes look like cs.LG or hep-th."
            example = f"diffusion cat:{named[0].split()[0]}" if named else "diffusion cat:cs.LG"
            raise QueryError(f"{part!r} is not an arXiv category. {hint}", example) from None
        builder.categories[code] = None
        builder.segment_has_filters = True
        builder.last_was_or = False


def _extras_filter(builder: _Builder, lexemes: list[_Lexeme], index: int, key: str, value: str,
                   negated: bool) -> int:
    """`has:code` and `venue:<name>` (a quoted name glued on, several with commas): like cat:, they narrow the
    whole query. Read here so that a word like "venue" alone stays a word."""
    if negated:
        raise QueryError(f"Excluding with {key}: is not supported; it can only narrow a topic.",
                         "diffusion has:code" if key == "has" else "diffusion venue:ICLR")
    if not value and index + 1 < len(lexemes) and lexemes[index + 1].glued and lexemes[index + 1].quoted:
        value, index = lexemes[index + 1].text, index + 1
    if key == "has":
        if value.lower() not in _HAS_VALUES:
            raise QueryError("has: takes code (papers whose code is out), like has:code.", "diffusion has:code")
        builder.needs_code = True
    else:
        names = [" ".join(part.split()) for part in value.split(",") if venue_words(part)]
        if not names:
            raise QueryError('venue: needs a venue right after it, with no space: venue:ICLR or venue:"Phys. Rev. B".',
                             "diffusion venue:ICLR")
        builder.venues.update(dict.fromkeys(name[:80] for name in names))
    builder.segment_has_filters = True
    builder.last_was_or = False
    return index + 1


def _word(builder: _Builder, lexemes: list[_Lexeme], index: int, negated: bool) -> int:
    """Handle the unquoted lexeme at `index`; return the index of the next lexeme to read."""
    word = lexemes[index].text
    if word.startswith("-"):
        if not word.strip("-"):
            raise QueryError("A lone - excludes nothing: write it against the word, like -survey.",
                             "diffusion -medical")
        word, negated = word[1:], True
    field, colon, value = word.partition(":")
    if colon and field.isalpha():
        key = field.lower()
        if key in _CATEGORY_FIELDS:
            if negated:
                raise QueryError("Excluding a category is not supported; cat: can only restrict a topic to "
                                 "categories.", "diffusion cat:cs.CV")
            if not value and index + 1 < len(lexemes) and lexemes[index + 1].glued and lexemes[index + 1].quoted:
                value, index = lexemes[index + 1].text, index + 1
            if not value.strip(" ,"):
                raise QueryError("cat: needs a category right after it, with no space.", "diffusion cat:cs.LG")
            _add_categories(builder, value)
            return index + 1
        if key in ("has", "venue"):
            return _extras_filter(builder, lexemes, index, key, value, negated)
        if value or key in _FIELD_HINTS:
            hint = _FIELD_HINTS.get(key, "The fields are cat: (arXiv categories), has:code and venue:.")
            raise QueryError(f"I don't know the field {field}:. {hint}", "diffusion cat:cs.LG")
    if "*" in word:
        raise QueryError("Wildcards only work in categories (cat:cs.*). Plurals are matched automatically, "
                         "so transformer also finds transformers.", "transformer cat:cs.*")
    if word.lower() == "or" and not negated:
        raise QueryError('Write OR in capitals to give alternatives; a lowercase "or" would be searched as a '
                         "word.", 'diffusion OR "flow matching"')
    builder.add(tokenize(word), negated)
    return index + 1


def parse_query(text: str, max_length: int = MAX_QUERY_LENGTH) -> TopicQuery:
    """Parse a topic query, or raise `QueryError` saying what is wrong and showing one that works."""
    text = _clean(text)
    if len(text) > max_length:
        raise QueryError(f"That query is {len(text):,} characters long; the limit is {max_length}. "
                         "Split it into a few subscriptions, one per idea.", _EXAMPLE)
    lexemes = _lex(text)
    builder = _Builder()
    has_or = any(not lx.quoted and lx.text == "OR" for lx in lexemes)
    if has_or and any(not lx.quoted and ("(" in lx.text or ")" in lx.text) for lx in lexemes):
        raise QueryError("Parentheses are not supported: OR always splits the whole query into alternatives. "
                         "Write each alternative in full.", "diffusion model OR flow model")
    index, negate_next = 0, False
    while index < len(lexemes):
        lexeme = lexemes[index]
        if not lexeme.quoted and lexeme.text in ("OR", "AND", "NOT"):
            if negate_next or (lexeme.text == "NOT" and index + 1 == len(lexemes)):
                raise QueryError("NOT must be followed by the word or phrase to exclude.", "diffusion NOT medical")
            if lexeme.text == "OR":
                builder.close_group(at_or=True)
            negate_next = lexeme.text == "NOT"
            index += 1
            continue
        if lexeme.quoted:
            tokens = tokenize(lexeme.text)
            if not tokens:
                raise QueryError(f'The phrase "{lexeme.text}" has no words in it. Put words between the quotes, '
                                 "or remove them.", '"score matching" diffusion')
            builder.add(tokens, negate_next or lexeme.negated)
            index += 1
        else:
            index = _word(builder, lexemes, index, negate_next)
        negate_next = False
    builder.close_group(at_or=False)
    return _finish(builder, max_length)


def _finish(builder: _Builder, max_length: int) -> TopicQuery:
    if not builder.groups:
        if builder.excluded_terms or builder.excluded_phrases:
            raise QueryError("A topic can't be only exclusions: they say what to leave out, but I also need "
                             "words to look for.", "diffusion -medical")
        if builder.categories:
            raise QueryError("A topic needs at least one word or phrase; cat: only narrows it. To get every "
                             "new paper in a category, subscribe to the category itself.", "diffusion cat:cs.CV")
        if builder.needs_code or builder.venues:
            raise QueryError("A topic needs at least one word or phrase; has:code and venue: only narrow it.",
                             "diffusion has:code venue:ICLR")
        raise QueryError('Tell me what to look for: a few words, a "quoted phrase", or alternatives joined '
                         "by OR.", _EXAMPLE)
    # A wildcard already covers its archive's categories.
    wildcards = {c[:-2] for c in builder.categories if c.endswith(".*")}
    categories = [c for c in builder.categories if c.endswith(".*") or c.split(".")[0] not in wildcards]
    query = TopicQuery(tuple(builder.groups), tuple(builder.excluded_terms), tuple(builder.excluded_phrases),
                       tuple(categories), builder.needs_code, tuple(builder.venues))
    _check_conflicts(query)
    count = (sum(len(g.terms) + len(g.phrases) for g in query.groups) + len(query.excluded_terms)
             + len(query.excluded_phrases) + len(query.categories) + query.needs_code + len(query.venues))
    if count > MAX_TERMS:
        raise QueryError(f"That query has {count} terms; the limit is {MAX_TERMS}. Split it into a few "
                         "subscriptions, one per idea.", _EXAMPLE)
    if len(query.canonical()) > max_length:
        raise QueryError(f"That query is too long once normalised; the limit is {max_length} characters.",
                         _EXAMPLE)
    return query


def _check_conflicts(query: TopicQuery) -> None:
    excluded_terms = set(query.excluded_terms)
    for group in query.groups:
        clash = [f'"{t}"' for t in required_tokens(group) if t in excluded_terms]
        clash += [_phrase_text(p) for p in group.phrases if p in query.excluded_phrases]
        if clash:
            raise QueryError(f"{sorted(clash)[0]} is both asked for and excluded, so that part of the query "
                             "could never match. Remove one of them.", "diffusion -medical")

