"""Whether a name on a fresh arXiv paper is the followed person, read from what else the paper shows.

A paper just announced on arXiv carries names only, and a common name ("Wei Wang") is carried by hundreds of
researchers. A name match is kept as the followed person's paper only when something besides the name points
to them (`ResearcherEvidence`, captured from their works when the channel followed them), checked in order of
how telling it is:

1. a co-author: another author of the paper has a name compatible with one of their frequent co-authors;
2. an institution: an affiliation on the paper (where the source gives one; arXiv feeds do not) holds every
   distinctive word of one of their institutions ("Illinois Urbana Champaign", not "University of");
3. closeness: the paper is in a category they publish in, *and* its title and abstract share at least
   `MIN_SHARED_TERMS` of their frequent words that are distinctive in the day's batch (used by at most
   `DISTINCTIVE_SHARE` of its papers). Words every paper uses ("model", "results") say nothing about a
   person, and a category alone says little: cs.LG holds many people of every name.

The answer is the phrase the why line shows ("co-author Jiawei Han"), or None.
"""

from __future__ import annotations

from functools import lru_cache

from core.digest.index import PaperBatch
from core.digest.names import NameKey, ParsedName, name_key, name_words, names_compatible, parse_name
from core.model.researchers import ResearcherEvidence
from core.subscriptions.categories import matching_category
from core.subscriptions.text import tokenize

__all__ = ["DISTINCTIVE_SHARE", "MIN_SHARED_TERMS", "EvidenceReader", "institution_words"]

MIN_SHARED_TERMS = 3
DISTINCTIVE_SHARE = 0.02  # of the batch's papers; at least MIN_DISTINCTIVE_PAPERS, so small batches work
MIN_DISTINCTIVE_PAPERS = 3
SHOWN_TERMS = 3

# Words that name a kind of institution rather than which one: "University of X" is told apart by X.
_GENERIC_INSTITUTION_WORDS = frozenset("""
    of the and for at in de la le les du des der die das von und di del della y e et
    university universite universitat universita universidad universidade universiteit uniwersytet
    institute institut instituto istituto college school faculty department dept centre center
    laboratory laboratories lab
""".split())


def institution_words(name: str) -> frozenset[str]:
    """The words that tell this institution from others (`tokenize`d, generic words dropped)."""
    return frozenset(word for word in tokenize(name) if word not in _GENERIC_INSTITUTION_WORDS and len(word) > 1)


@lru_cache(maxsize=65536)
def _parsed(name: str) -> ParsedName:
    # Co-author names recur across subscriptions and across the day's digest runs: parse each once.
    return parse_name(name)


class EvidenceReader:
    """Reads evidence against one batch, with what every person's check shares prepared once.

    A large run checks evidence for thousands of people, most of whose co-authors are not in the day's
    papers at all: a co-author is parsed only when a word of their name is a surname in the batch, and a
    paper's words are compared with a person's from the paper's side (a hundred set lookups).
    """

    def __init__(self, batch: PaperBatch) -> None:
        self.batch = batch
        self.surnames = frozenset(name[-1] for names in batch.author_names for name in names if name)
        self.limit = max(MIN_DISTINCTIVE_PAPERS, int(batch.size * DISTINCTIVE_SHARE))
        self._checks: dict[ResearcherEvidence, EvidenceCheck] = {}
        self._tokens: dict[int, frozenset[str]] = {}
        self._keys: dict[int, tuple[NameKey | None, ...]] = {}

    def check(self, evidence: ResearcherEvidence) -> EvidenceCheck:
        """The person's check; `check(evidence).why(pos, index)` says what, besides the name of author
        `index`, says paper `pos` is theirs (None when nothing does)."""
        found = self._checks.get(evidence)
        if found is None:
            found = self._checks[evidence] = EvidenceCheck(self, evidence)
        return found

    def author_keys(self, pos: int) -> tuple[NameKey | None, ...]:
        found = self._keys.get(pos)
        if found is None:
            found = self._keys[pos] = tuple(map(name_key, self.batch.author_names[pos]))
        return found

    def tokens(self, pos: int) -> frozenset[str]:
        found = self._tokens.get(pos)
        if found is None:
            batch = self.batch
            found = self._tokens[pos] = frozenset(batch.title_tokens[pos]).union(batch.abstract_tokens[pos])
        return found


class EvidenceCheck:
    """One followed person's evidence, prepared against one batch as far as it is asked."""

    def __init__(self, reader: EvidenceReader, evidence: ResearcherEvidence) -> None:
        self.reader = reader
        self.batch = reader.batch
        self.evidence = evidence
        self._coauthors: dict[NameKey, list[tuple[ParsedName, str]]] | None = None
        self._institutions = [(words, name) for name in evidence.institutions if (words := institution_words(name))]
        self._terms: dict[str, int] | None = None  # term -> its place in the evidence (most used first)
        self._term_set: frozenset[str] = frozenset()

    def why(self, pos: int, index: int) -> str | None:
        return self._coauthor(pos, index) or self._institution(pos, index) or self._closeness(pos)

    def _coauthor_index(self) -> dict[NameKey, list[tuple[ParsedName, str]]]:
        found: dict[NameKey, list[tuple[ParsedName, str]]] = {}
        surnames = self.reader.surnames
        for shown in self.evidence.coauthors:
            if surnames.isdisjoint(name_words(shown)):
                continue  # nobody of that surname is in the day's papers
            parsed = _parsed(shown)
            key = name_key(parsed)
            if key is not None:
                found.setdefault(key, []).append((parsed, shown))
        return found

    def _coauthor(self, pos: int, index: int) -> str | None:
        if self._coauthors is None:
            self._coauthors = self._coauthor_index()
        coauthors = self._coauthors
        if not coauthors:
            return None
        names = self.batch.author_names[pos]
        for other, key in enumerate(self.reader.author_keys(pos)):
            if other == index or key not in coauthors:
                continue
            for parsed, shown in coauthors[key]:
                if names_compatible(parsed, names[other]):
                    return f"co-author {shown}"
        return None

    def _institution(self, pos: int, index: int) -> str | None:
        if not self._institutions:
            return None
        authors = self.batch.papers[pos].authors
        own = authors[index].affiliation if index < len(authors) else None
        # The person's own affiliation when the source gives it; else any on the paper (a shared lab).
        affiliations = [own] if own else [a.affiliation for a in authors if a.affiliation]
        for affiliation in affiliations:
            words = set(tokenize(affiliation or ""))
            for wanted, name in self._institutions:
                if wanted <= words:
                    return f"at {name}"
        return None

    def _closeness(self, pos: int) -> str | None:
        evidence = self.evidence
        if not evidence.terms:
            return None
        if self._terms is None:
            self._terms = {term: rank for rank, term in enumerate(evidence.terms)}
            self._term_set = frozenset(self._terms)
        # The words first: a set intersection in C rules out most papers before any category is looked at.
        shared = self.reader.tokens(pos) & self._term_set
        if len(shared) < MIN_SHARED_TERMS:
            return None
        papers_with, limit = self.batch.papers_with, self.reader.limit
        distinctive = sorted((t for t in shared if len(papers_with(t)) <= limit), key=self._terms.__getitem__)
        if len(distinctive) < MIN_SHARED_TERMS:
            return None
        where = ""
        if evidence.categories:
            paper = self.batch.papers[pos]
            primary = (paper.primary_category,) if paper.primary_category else ()
            found = (matching_category(evidence.categories, primary)
                     or matching_category(evidence.categories, paper.categories))
            if found is None:
                return None
            where = f" in {found}"
        return f"close to their work{where}: {', '.join(distinctive[:SHOWN_TERMS])}"
