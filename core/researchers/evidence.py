"""What a followed person's works say about them, kept so their fresh arXiv papers can be told from a namesake's.

arXiv announces a paper days before any database links it to an author id, and then it shows only names.
When a channel follows someone, their recent works (the list the card is made from) give what else their
papers tend to show: frequent co-authors, their institutions, the arXiv categories they publish in, and the
words of their titles and abstracts. `core.digest.evidence` reads it against each day's papers.

Categories: works from arXiv carry their own; works from OpenAlex and Semantic Scholar do not, so the
person's broad fields ("Computer Science", from their OpenAlex topics) are mapped to the arXiv archives that
cover them (`FIELD_CATEGORIES`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from core.model.papers import AuthorRef, PaperRecord
from core.model.researchers import EVIDENCE_LIMITS, AuthorProfile, ResearcherEvidence
from core.subscriptions.categories import UnknownCategory, is_wildcard, normalize_category, normalize_wildcard
from core.subscriptions.text import tokenize

__all__ = ["FIELD_CATEGORIES", "evidence_from_works", "frequent_terms"]

_PHYSICS = ("physics.*", "astro-ph.*", "cond-mat.*", "hep-th", "hep-ph", "hep-ex", "hep-lat", "quant-ph", "gr-qc",
            "nucl-th", "nucl-ex", "math-ph", "nlin.*")
_LIFE = ("q-bio.*",)
# OpenAlex's fields (from their topics) and Semantic Scholar's fields of study, lower-cased, to the arXiv
# archives and categories where such work is posted. Fields with no arXiv home (arts, law) map to nothing.
FIELD_CATEGORIES: dict[str, tuple[str, ...]] = {
    "computer science": ("cs.*",),
    "mathematics": ("math.*", "stat.*"),
    "decision sciences": ("stat.*", "math.OC", "econ.*"),
    "physics and astronomy": _PHYSICS,
    "physics": _PHYSICS,
    "engineering": ("eess.*", "physics.app-ph", "cs.RO"),
    "energy": ("eess.SY", "physics.app-ph"),
    "chemistry": ("physics.chem-ph", "cond-mat.*"),
    "chemical engineering": ("physics.chem-ph", "cond-mat.*"),
    "materials science": ("cond-mat.*", "physics.app-ph"),
    "earth and planetary sciences": ("physics.geo-ph", "physics.ao-ph", "astro-ph.EP"),
    "geology": ("physics.geo-ph",),
    "environmental science": ("physics.ao-ph", "q-bio.PE"),
    "economics, econometrics and finance": ("econ.*", "q-fin.*"),
    "economics": ("econ.*", "q-fin.*"),
    "business, management and accounting": ("econ.*", "q-fin.*"),
    "business": ("econ.*", "q-fin.*"),
    "biochemistry, genetics and molecular biology": _LIFE,
    "agricultural and biological sciences": _LIFE,
    "immunology and microbiology": _LIFE,
    "biology": _LIFE,
    "neuroscience": ("q-bio.NC",),
    "psychology": ("q-bio.NC", "cs.HC"),
    "medicine": ("q-bio.*", "physics.med-ph", "eess.IV"),
    "health professions": ("physics.med-ph",),
    "social sciences": ("physics.soc-ph", "cs.CY"),
    "sociology": ("physics.soc-ph", "cs.CY"),
    "linguistics": ("cs.CL",),
}
MIN_TERM_LENGTH = 3
# Words of any field's titles and abstracts: they would only take the places of the person's own words.
_COMMON = frozenset("""
    the and for with from that this these those than then there their them they which while where when what
    into onto over under upon about across among between through within without via using used use uses
    based towards toward also both each other such more most many much some any all can could may might
    will would should must has have had are was were been being not our its new two three one first second
    paper papers study studies work works result results show shows shown present presents presented propose
    proposes proposed approach approaches method methods model models problem problems analysis data
    performance effect effects different various several large small high low however further here well
    non via due per very only how why who whose case cases give gives given make makes made provide provides
    provided obtain obtained find found develop developed introduce introduced demonstrate demonstrates
    application applications framework technique techniques experiment experiments experimental existing
""".split())
_DIGIT = re.compile(r"\d")  # years, sizes, version numbers: nothing a person is known by


def _normalised(codes: Iterable[str]) -> list[str]:
    found: list[str] = []
    for code in codes:
        try:
            found.append(normalize_wildcard(code) if is_wildcard(code) else normalize_category(code))
        except UnknownCategory:
            continue
    return found


def _is_self(author: AuthorRef, own_ids: set[str], own_names: set[str]) -> bool:
    ids = {i for i in (author.openalex_id, author.s2_id, author.orcid) if i}
    return bool(ids & own_ids) or author.name.casefold() in own_names


def _unique_titles(works: Iterable[PaperRecord]) -> list[PaperRecord]:
    """One work per title: a preprint and its journal version are one piece of work."""
    seen: set[str] = set()
    kept = []
    for work in works:
        key = " ".join(work.title.casefold().split())
        if key and key not in seen:
            seen.add(key)
            kept.append(work)
    return kept


def frequent_terms(works: Sequence[PaperRecord], limit: int = EVIDENCE_LIMITS["terms"]) -> tuple[str, ...]:
    """The `tokenize`d words used by the most of these works (in at least two once there are four works)."""
    counts: Counter[str] = Counter()
    for work in works:
        counts.update({word for word in tokenize(f"{work.title} {work.abstract}")
                       if len(word) >= MIN_TERM_LENGTH and word not in _COMMON and not _DIGIT.search(word)})
    floor = 2 if len(works) >= 4 else 1
    ranked = sorted((word for word, n in counts.items() if n >= floor), key=lambda word: (-counts[word], word))
    return tuple(ranked[:limit])


def evidence_from_works(profile: AuthorProfile, works: Sequence[PaperRecord],
                        coauthors: Sequence[str]) -> ResearcherEvidence:
    """The evidence for `profile` from their recent `works`; `coauthors` are their frequent ones, most first."""
    distinct = _unique_titles(works)
    own_ids = {i for i in (profile.openalex_id, profile.merged_from, profile.s2_id, profile.orcid) if i}
    own_names = {name.casefold() for name in profile.names}
    institutions: list[str] = list(profile.institutions)
    categories: Counter[str] = Counter()
    for work in distinct:
        categories.update(_normalised(work.categories))
        institutions.extend(a.affiliation for a in work.authors
                            if a.affiliation and _is_self(a, own_ids, own_names))
    ranked = [code for code, _ in sorted(categories.items(), key=lambda item: (-item[1], item[0]))]
    for name in profile.fields:
        ranked.extend(_normalised(FIELD_CATEGORIES.get(name.casefold(), ())))
    limits = EVIDENCE_LIMITS
    return ResearcherEvidence(
        coauthors=tuple(dict.fromkeys(coauthors))[: limits["coauthors"]],
        institutions=tuple(dict.fromkeys(i[:300] for i in institutions))[: limits["institutions"]],
        categories=tuple(dict.fromkeys(ranked))[: limits["categories"]],
        terms=frequent_terms(distinct),
    )
