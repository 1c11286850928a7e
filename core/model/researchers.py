"""Researchers as the sources describe them: candidates to pick from, and full profiles.

Both are plain frozen data with JSON helpers because they are cached in the database (lookup cache, the
`researchers.profile` column). `from_json` tolerates missing and unknown keys so that a cache row written by
an older or newer release still loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

YearCounts = tuple[int, int, int]  # (year, works, citations)


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str) and item)


def _counts(value: Any) -> tuple[YearCounts, ...]:
    rows: list[YearCounts] = []
    for row in value if isinstance(value, list | tuple) else ():
        if isinstance(row, list | tuple) and len(row) == 3 and all(_opt_int(v) is not None for v in row):
            rows.append((int(row[0]), int(row[1]), int(row[2])))
    return tuple(sorted(rows))


def _required_name(data: Any, kind: str) -> str:
    if not isinstance(data, dict):
        raise ValueError(f"a cached {kind} must be a JSON object")
    name = data.get("display_name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"a cached {kind} needs a display_name")
    return name


@dataclass(frozen=True, kw_only=True)
class AuthorCandidate:
    """One person a name might mean, with just enough to tell namesakes apart in a pick list."""

    display_name: str
    openalex_id: str | None = None
    orcid: str | None = None
    s2_id: str | None = None
    institution: str | None = None
    works_count: int | None = None
    cited_by_count: int | None = None
    main_topic: str | None = None
    source: str  # "openalex" | "semanticscholar"

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_json(cls, data: Any) -> AuthorCandidate:
        name = _required_name(data, "candidate")
        return cls(
            display_name=name,
            openalex_id=_opt_str(data.get("openalex_id")),
            orcid=_opt_str(data.get("orcid")),
            s2_id=_opt_str(data.get("s2_id")),
            institution=_opt_str(data.get("institution")),
            works_count=_opt_int(data.get("works_count")),
            cited_by_count=_opt_int(data.get("cited_by_count")),
            main_topic=_opt_str(data.get("main_topic")),
            source=_opt_str(data.get("source")) or "",
        )


@dataclass(frozen=True, kw_only=True)
class AuthorProfile:
    """A researcher's profile from one source.

    `merged_from` is set when the id we asked for had been merged into another profile: `openalex_id` is then
    the surviving id, and whoever stored the old one should store this one instead.
    """

    display_name: str
    openalex_id: str | None = None
    orcid: str | None = None
    s2_id: str | None = None
    alternative_names: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()  # current ones, most relevant first
    works_count: int | None = None
    cited_by_count: int | None = None
    h_index: int | None = None
    i10_index: int | None = None
    topics: tuple[str, ...] = ()  # top topic names, strongest first
    fields: tuple[str, ...] = ()  # broad fields of their topics ("Computer Science"), strongest first
    counts_by_year: tuple[YearCounts, ...] = ()  # (year, works, citations), oldest first
    profile_url: str | None = None
    homepage: str | None = None
    merged_from: str | None = None
    source: str

    @property
    def names(self) -> tuple[str, ...]:
        """Every spelling this person is known by, display name first (for matching author lists)."""
        seen: set[str] = set()
        ordered = []
        for name in (self.display_name, *self.alternative_names):
            if name.casefold() not in seen:
                seen.add(name.casefold())
                ordered.append(name)
        return tuple(ordered)

    def to_candidate(self) -> AuthorCandidate:
        return AuthorCandidate(
            display_name=self.display_name,
            openalex_id=self.openalex_id,
            orcid=self.orcid,
            s2_id=self.s2_id,
            institution=self.institutions[0] if self.institutions else None,
            works_count=self.works_count,
            cited_by_count=self.cited_by_count,
            main_topic=self.topics[0] if self.topics else None,
            source=self.source,
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == ():
                continue
            if f.name == "counts_by_year":
                value = [list(row) for row in value]
            elif isinstance(value, tuple):
                value = list(value)
            data[f.name] = value
        return data

    @classmethod
    def from_json(cls, data: Any) -> AuthorProfile:
        name = _required_name(data, "profile")
        return cls(
            display_name=name,
            openalex_id=_opt_str(data.get("openalex_id")),
            orcid=_opt_str(data.get("orcid")),
            s2_id=_opt_str(data.get("s2_id")),
            alternative_names=_str_tuple(data.get("alternative_names")),
            institutions=_str_tuple(data.get("institutions")),
            works_count=_opt_int(data.get("works_count")),
            cited_by_count=_opt_int(data.get("cited_by_count")),
            h_index=_opt_int(data.get("h_index")),
            i10_index=_opt_int(data.get("i10_index")),
            topics=_str_tuple(data.get("topics")),
            fields=_str_tuple(data.get("fields")),
            counts_by_year=_counts(data.get("counts_by_year")),
            profile_url=_opt_str(data.get("profile_url")),
            homepage=_opt_str(data.get("homepage")),
            merged_from=_opt_str(data.get("merged_from")),
            source=_opt_str(data.get("source")) or "",
        )


EVIDENCE_LIMITS = {"coauthors": 30, "institutions": 10, "categories": 12, "terms": 150}


@dataclass(frozen=True)
class ResearcherEvidence:
    """What, besides a name, tells a followed person's fresh arXiv papers from a namesake's.

    Captured from their works when a channel follows them and stored with the subscription: frequent
    co-authors, institutions, the arXiv categories (codes or archive wildcards such as `cs.*`) they publish
    in, and words frequent in their titles and abstracts (already `tokenize`d). Every part may be empty.
    """

    coauthors: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    # Digest matching keys its per-batch cache by the evidence: hashing 150 words per subscription per run
    # would show up at 100,000 subscriptions, so the hash is computed once.
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.coauthors, self.institutions, self.categories, self.terms)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def known(self) -> bool:
        """Whether enough is known to judge an arXiv paper (which shows names and words, rarely affiliations)."""
        return bool(self.coauthors or self.terms)

    def to_json(self) -> dict[str, Any]:
        return {name: list(getattr(self, name)) for name in EVIDENCE_LIMITS if getattr(self, name)}

    @classmethod
    def from_json(cls, data: Any) -> ResearcherEvidence:
        """Tolerant: anything unreadable counts as not known (rows stored before evidence existed hold None)."""
        data = data if isinstance(data, dict) else {}
        return cls(**{name: _str_tuple(data.get(name))[:limit] for name, limit in EVIDENCE_LIMITS.items()})


@dataclass(frozen=True, kw_only=True)
class ResearcherClaim:
    """`iam`: the researcher record a chat user says is them, in one workspace or server."""

    user_id: str
    display_name: str
    openalex_id: str | None = None
    orcid: str | None = None
    s2_id: str | None = None
    name_variants: tuple[str, ...] = ()
    institution: str | None = None

    def is_person(self, openalex_ids: set[str], orcid: str | None, s2_id: str | None) -> bool:
        """Whether this claim names the person with these ids (any one shared id is enough)."""
        return bool((self.openalex_id and self.openalex_id in openalex_ids)
                    or (self.orcid and self.orcid == orcid) or (self.s2_id and self.s2_id == s2_id))
