"""One day's papers, indexed once so that every subscription of every channel is a few set operations.

A digest run matches tens of thousands of subscriptions against the same ~1,500 papers. Tokenising each
abstract per subscription, or scanning every paper per query, would redo the same work 10^4 times; instead
`PaperBatch` tokenises every title and abstract once and keeps:

* inverted indexes token → {paper position: term frequency}, one for titles and one for abstracts (the
  frequencies feed BM25F in `core.digest.rank`), and token → positions over both fields for matching;
* category → positions, author id → positions, and author name key → (position, author) pairs.

Anything derived per query element (the papers containing a phrase, the papers in `cs.*`) is computed on
first use and cached on the batch, because popular elements recur across many subscriptions.
Positions are plain ints into `papers`; sets of ints keep the hot loops free of object comparisons.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from datetime import date

from core.digest.names import NameKey, ParsedName, name_key, parse_name
from core.ids import InvalidId, normalize_openalex_id, normalize_orcid
from core.model.extras import has_code, venue_of
from core.model.papers import PaperRecord, merge_all
from core.model.venues import venue_matches
from core.subscriptions.categories import matching_category
from core.subscriptions.query import find_phrase
from core.subscriptions.text import tokenize

__all__ = ["CROSS_TYPES", "UPDATE_TYPES", "AuthorIds", "PaperBatch", "Positions", "author_id_keys"]

Phrase = tuple[str, ...]
Positions = frozenset[int]
AuthorIds = tuple[str | None, str | None, str | None]  # (openalex, orcid, s2), normalised

UPDATE_TYPES = frozenset({"replace", "replace-cross"})
CROSS_TYPES = frozenset({"cross", "replace-cross"})
_EMPTY: Positions = frozenset()


def _clean_id(kind: str, value: str | None) -> str | None:
    if not value:
        return None
    try:
        if kind == "openalex":
            return normalize_openalex_id(value, "A")
        if kind == "orcid":
            return normalize_orcid(value)
    except InvalidId:
        return None
    return value.strip() or None


def author_id_keys(openalex_id: str | None, orcid: str | None, s2_id: str | None) -> AuthorIds:
    """Normalised (openalex, orcid, s2) ids, so ids spelled as URLs or bare codes compare equal."""
    return _clean_id("openalex", openalex_id), _clean_id("orcid", orcid), _clean_id("s2", s2_id)


class PaperBatch:
    """The papers of one digest run, deduplicated by canonical id and indexed for matching.

    Records sharing an arXiv id (a paper seen in two feeds) are merged into one; records without a valid
    arXiv id or DOI cannot be delivered exactly once and are left out (`dropped` counts them).
    """

    def __init__(self, papers: Iterable[PaperRecord]) -> None:
        records: list[PaperRecord] = []
        self.dropped = 0
        for record in papers:
            try:
                record.canonical_id  # noqa: B018 - raises for a record no ledger could key
            except InvalidId:
                self.dropped += 1
            else:
                records.append(record)
        merged = merge_all(records)
        self.ids: tuple[str, ...] = tuple(merged)
        self.papers: tuple[PaperRecord, ...] = tuple(merged.values())
        self.size = len(self.papers)
        self.title_tokens: list[list[str]] = []
        self.abstract_tokens: list[list[str]] = []
        self.title_postings: dict[str, dict[int, int]] = {}
        self.abstract_postings: dict[str, dict[int, int]] = {}
        self.title_lengths: list[int] = []
        self.abstract_lengths: list[int] = []
        self.updates: Positions = frozenset(
            pos for pos, paper in enumerate(self.papers) if paper.announce_type in UPDATE_TYPES)
        # Papers no arXiv announcement listed: a followed researcher's journal work, a paper someone looked up.
        # They arrive because of one channel's follows or lookups, so only researcher subscriptions may bring
        # them; topics and categories search the day's announcements, the same for every channel.
        self.unannounced: Positions = frozenset(
            pos for pos, paper in enumerate(self.papers) if paper.announced is None and paper.announce_type is None)
        self._categories: dict[str, set[int]] = {}
        self._author_ids: dict[tuple[int, str], set[int]] = {}
        # Per paper, per author: normalised ids (None when the author carries none) and the parsed name.
        self.author_ids: list[tuple[AuthorIds | None, ...]] = []
        self.author_names: list[tuple[ParsedName, ...]] = []
        self._names: dict[NameKey, list[tuple[int, int]]] = {}
        self._index()
        # Newest announcement first, then id: the tie-break of every ranking, as one int per paper.
        order = sorted(range(self.size), key=lambda p: (-_ordinal(self.papers[p].announced), self.ids[p]))
        self.order: list[int] = [0] * self.size
        for rank, pos in enumerate(order):
            self.order[pos] = rank
        self._any: dict[str, Positions] = {}
        self._titles: dict[str, Positions] = {}
        self._phrases: dict[Phrase, tuple[Positions, Positions]] = {}
        # Adjacent token pairs per paper and field, built for the papers a phrase query looks at: a phrase
        # is then a few set lookups instead of a scan of the abstract.
        self._title_bigrams: list[set[tuple[str, str]] | None] = [None] * self.size
        self._abstract_bigrams: list[set[tuple[str, str]] | None] = [None] * self.size
        self._category_sets: dict[str, Positions] = {}
        self._with_code: Positions | None = None
        self._venues: list[str | None] | None = None
        self._at_venues: dict[tuple[str, ...], Positions] = {}

    def _index(self) -> None:
        title_postings, abstract_postings = self.title_postings, self.abstract_postings
        for pos, paper in enumerate(self.papers):
            title, abstract = tokenize(paper.title), tokenize(paper.abstract)
            self.title_tokens.append(title)
            self.abstract_tokens.append(abstract)
            self.title_lengths.append(len(title))
            self.abstract_lengths.append(len(abstract))
            for token, count in Counter(title).items():
                posting = title_postings.get(token)
                if posting is None:
                    title_postings[token] = {pos: count}
                else:
                    posting[pos] = count
            for token, count in Counter(abstract).items():
                posting = abstract_postings.get(token)
                if posting is None:
                    abstract_postings[token] = {pos: count}
                else:
                    posting[pos] = count
            for category in paper.categories:
                self._categories.setdefault(category, set()).add(pos)
            self._index_authors(pos, paper)

    def _index_authors(self, pos: int, paper: PaperRecord) -> None:
        ids: list[AuthorIds | None] = []
        names: list[ParsedName] = []
        for index, author in enumerate(paper.authors):
            if author.openalex_id or author.orcid or author.s2_id:
                keys = author_id_keys(author.openalex_id, author.orcid, author.s2_id)
                for scheme, value in enumerate(keys):
                    if value:
                        self._author_ids.setdefault((scheme, value), set()).add(pos)
                ids.append(keys)
            else:
                ids.append(None)
            parsed = parse_name(author.name)
            names.append(parsed)
            key = name_key(parsed)
            if key is not None:
                self._names.setdefault(key, []).append((pos, index))
        self.author_ids.append(tuple(ids))
        self.author_names.append(tuple(names))

    # ------------------------------------------------------------------ lookups used by the matcher

    def papers_with(self, token: str) -> Positions:
        """Papers whose title or abstract contains `token` (a `tokenize`d word)."""
        found = self._any.get(token)
        if found is None:
            title, abstract = self.title_postings.get(token), self.abstract_postings.get(token)
            if title is None and abstract is None:
                found = _EMPTY
            else:
                found = frozenset((title or {}).keys() | (abstract or {}).keys())
            self._any[token] = found
        return found

    def title_papers(self, token: str) -> Positions:
        """Papers whose title contains `token`."""
        found = self._titles.get(token)
        if found is None:
            found = self._titles[token] = frozenset(self.title_postings.get(token, ()))
        return found

    def phrase_papers(self, phrase: Phrase) -> tuple[Positions, Positions]:
        """(papers with the phrase in the title, papers with it in the abstract); adjacency checked."""
        found = self._phrases.get(phrase)
        if found is None:
            candidates: Positions | None = None
            for token in sorted(set(phrase), key=lambda t: len(self.papers_with(t))):
                here = self.papers_with(token)
                candidates = here if candidates is None else candidates & here
                if not candidates:
                    break
            pairs = list(itertools.pairwise(phrase))
            exact = len(phrase) == 2  # a two-word phrase is present exactly when its one bigram is
            title_hits: list[int] = []
            abstract_hits: list[int] = []
            for pos in candidates or ():
                for tokens, bigrams, hits in ((self.title_tokens, self._title_bigrams, title_hits),
                                              (self.abstract_tokens, self._abstract_bigrams, abstract_hits)):
                    present = bigrams[pos]
                    if present is None:
                        field = tokens[pos]
                        present = bigrams[pos] = set(itertools.pairwise(field))
                    if all(pair in present for pair in pairs) and (exact or find_phrase(phrase, tokens[pos])):
                        hits.append(pos)
            found = frozenset(title_hits), frozenset(abstract_hits)
            self._phrases[phrase] = found
        return found

    def category_papers(self, wanted: str) -> Positions:
        """Papers in a category (canonical code or `cs.*`), aliases counted both ways as in topic queries."""
        found = self._category_sets.get(wanted)
        if found is None:
            members: set[int] = set()
            for category, positions in self._categories.items():
                if matching_category((wanted,), (category,)) is not None:
                    members |= positions
            found = frozenset(members)
            self._category_sets[wanted] = found
        return found

    def with_extras(self, code: bool, venues: tuple[str, ...], within: Positions | None) -> Positions:
        """Papers (of `within`, when given) whose code is out (`code`) and that were accepted at one of
        `venues`; each paper's extras are read once per batch, on the first query that asks."""
        found = frozenset(range(self.size)) if within is None else within
        if code:
            if self._with_code is None:
                self._with_code = frozenset(pos for pos, paper in enumerate(self.papers) if has_code(paper))
            found = found & self._with_code
        if venues:
            at = self._at_venues.get(venues)
            if at is None:
                if self._venues is None:
                    self._venues = [venue_of(paper)[0] for paper in self.papers]
                at = self._at_venues[venues] = frozenset(
                    pos for pos, venue in enumerate(self._venues) if venue_matches(venues, venue))
            found = found & at
        return found

    def papers_by_author_id(self, scheme: int, value: str) -> Positions:
        """Papers with an author carrying this id; scheme 0 = OpenAlex, 1 = ORCID, 2 = Semantic Scholar."""
        return frozenset(self._author_ids.get((scheme, value), ()))

    def authors_named(self, key: NameKey) -> list[tuple[int, int]]:
        """(paper position, author index) of every author whose name has this surname and first initial."""
        return self._names.get(key, [])


def _ordinal(day: date | None) -> int:
    return day.toordinal() if day else 0
