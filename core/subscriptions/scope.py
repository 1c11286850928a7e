"""What part of arXiv this deployment reads: all of it (the default), or the categories it is restricted to.

The daily ingest fetches the same papers whatever the channels follow, so a channel's digest depends only on
its own subscriptions and the day's announcements, never on what other channels subscribe to. By default
that is every archive, in one feed request: a topic without `cat:` searches all of arXiv and `cat:` narrows
it. A deployment may restrict ingest (`RADAR_INGEST_CATEGORIES=cs.*,stat.ML`) to save storage and time;
then every channel's topics are evaluated over that part alone, and the subscribe confirmations say so,
since nothing outside it would ever arrive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from core.config import ConfigError
from core.subscriptions.categories import (
    ARCHIVES,
    UnknownCategory,
    archive_of,
    expand_wildcard,
    is_category,
    is_wildcard,
    matching_category,
    normalize_category,
    normalize_wildcard,
)

__all__ = ["ALL_ARCHIVES", "SETTING", "ArxivScope", "ScopeCheck", "ScopeError", "check_categories", "describe_feeds",
           "ingest_scope", "parse_scope"]

SETTING = "RADAR_INGEST_CATEGORIES"
# arXiv's 20 archives in the order its own all-archives feed names them (rss.arxiv.org/rss/astro-ph+...+stat,
# one 1,504-item document on 2024-11-28). Joined with `+` they are one request for every announcement.
ALL_ARCHIVES: tuple[str, ...] = (
    "astro-ph", "cond-mat", "physics", "quant-ph", "math", "cs", "econ", "eess", "gr-qc", "hep-ex", "hep-lat",
    "hep-ph", "hep-th", "math-ph", "nlin", "nucl-ex", "nucl-th", "q-bio", "q-fin", "stat",
)


class ScopeError(ConfigError):
    """The setting names something that is not an arXiv category or archive."""


@dataclass(frozen=True)
class ArxivScope:
    """The categories ingest reads: `restricted_to` holds canonical codes and wildcards (`cs.*`), or is
    empty for all of arXiv."""

    restricted_to: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not self.restricted_to

    def describe(self) -> str:
        """`all of arXiv`, or the codes as a person reads them: `cs.*, stat.ML`."""
        return "all of arXiv" if self.everything else ", ".join(self.restricted_to)

    def feed_names(self) -> tuple[str, ...]:
        """The names one feed request joins with `+`: every archive, or the scope's archives and categories
        (a category inside a fetched archive adds nothing)."""
        if self.everything:
            return ALL_ARCHIVES
        archives = [c[:-2] for c in self.restricted_to if c.endswith(".*")]
        return (*archives, *(c for c in self.restricted_to if not c.endswith(".*") and archive_of(c) not in archives))

    def covers(self, category: str) -> bool:
        """Whether every paper of `category` (a canonical code or a wildcard) is ingested."""
        if self.everything:
            return True
        if category.endswith(".*"):
            return category in self.restricted_to
        return matching_category(self.restricted_to, (category,)) is not None

    def searched(self, categories: Iterable[str]) -> tuple[str, ...]:
        """The part of `categories` (codes or wildcards, as a `cat:` or a category subscription names them)
        that ingest reads: a covered one itself, a wildcard only partly covered as the scope's codes inside it,
        and nothing for one wholly outside. Empty `categories` means no restriction: the whole scope."""
        wanted = tuple(categories)
        if not wanted:
            return self.restricted_to
        found: dict[str, None] = {}
        for category in wanted:
            if self.covers(category):
                found[category] = None
            elif category.endswith(".*"):
                inside = set(expand_wildcard(category))
                found.update(dict.fromkeys(c for c in self.restricted_to if c in inside))
        return tuple(found)


def parse_scope(text: str) -> ArxivScope:
    """`all` (any case, or empty) or a comma list of categories, archives and wildcards; raise `ScopeError`."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or (len(parts) == 1 and parts[0].lower() == "all"):
        return ArxivScope()
    codes: dict[str, None] = {}
    for part in parts:
        try:
            # A bare archive name (`physics`) means all of it, as it does in a feed request.
            whole = not is_category(part) and part.lower().rstrip("*").rstrip(".") in ARCHIVES
            codes[normalize_wildcard(part) if is_wildcard(part) or whole else normalize_category(part)] = None
        except UnknownCategory as error:
            raise ScopeError(f"{SETTING}: {error}") from None
    if set(ALL_ARCHIVES) <= {c.removesuffix(".*") for c in codes}:
        return ArxivScope()
    # Codes inside a listed archive say nothing more.
    archives = {c[:-2] for c in codes if c.endswith(".*")}
    return ArxivScope(tuple(c for c in codes if c.endswith(".*") or archive_of(c) not in archives))


@lru_cache(maxsize=8)
def ingest_scope(text: str) -> ArxivScope:
    """`parse_scope`, remembered: every subscribe confirmation reads the same setting."""
    return parse_scope(text)


@dataclass(frozen=True)
class ScopeCheck:
    """What a subscription naming `categories` (none for a topic without cat:) searches on this server."""

    searched: tuple[str, ...]  # empty with categories named: every one is outside the scope, nothing would come
    outside: tuple[str, ...]  # named categories (or parts of a wildcard) that are never ingested here
    sentence: str  # what the subscribe confirmation says about it; "" when nothing needs saying

    @property
    def hopeless(self) -> bool:
        """Nothing it names is ingested: it could never bring a paper."""
        return bool(self.outside) and not self.searched


def check_categories(scope: ArxivScope, categories: Iterable[str]) -> ScopeCheck:
    """What is searched for a topic's cat: or a category subscription, and how a confirmation says it.

    With all of arXiv read, only a topic without cat: needs a word (it searches everything). A restricted
    server names its scope in every confirmation, since what lies outside would never arrive."""
    named = tuple(categories)
    if scope.everything:
        return ScopeCheck(named, (), "" if named else f"Searches {scope.describe()}.")
    searched = scope.searched(named)
    outside = tuple(c if not scope.searched((c,)) else f"the rest of {c}" for c in named
                    if not scope.covers(c))
    if not searched:
        return ScopeCheck((), outside, "")
    if searched == scope.restricted_to:
        sentence = f"Searches {scope.describe()} (this server's arXiv scope; {SETTING})."
    else:
        sentence = f"Searches {', '.join(searched)} (this server's arXiv scope is {scope.describe()}; {SETTING})."
    if outside:
        sentence += f" Never searched here: {', '.join(outside)}."
    return ScopeCheck(searched, outside, sentence)


def describe_feeds(names: Iterable[str]) -> str:
    """A feed request's names for an operator: `all 20 arXiv archives` rather than twenty names, else
    `cs+stat.ML` as arXiv's path spells them."""
    names = tuple(names)
    if set(names) == set(ALL_ARCHIVES):
        return f"all {len(ALL_ARCHIVES)} arXiv archives, in one request"
    return "+".join(names)
