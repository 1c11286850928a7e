"""The neutral paper record every source parses into, and the merge that makes one record per paper.

A record is keyed by the arXiv id without version, else the DOI (`canonical_paper_id`). Merging keeps every
version seen and every source that contributed, and prefers the richer value field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from core.ids import canonical_paper_id


@dataclass(frozen=True)
class AuthorRef:
    """An author as a source names them, with whatever stable ids that source knows."""

    name: str
    openalex_id: str | None = None
    orcid: str | None = None
    s2_id: str | None = None
    affiliation: str | None = None

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> AuthorRef:
        return cls(**{k: data.get(k) for k in ("name", "openalex_id", "orcid", "s2_id", "affiliation")})  # type: ignore[arg-type]


@dataclass(frozen=True)
class PaperRecord:
    """One paper as known from one or more sources."""

    title: str
    arxiv_id: str | None = None  # without version
    doi: str | None = None
    versions: tuple[int, ...] = ()
    abstract: str = ""
    authors: tuple[AuthorRef, ...] = ()
    categories: tuple[str, ...] = ()
    primary_category: str | None = None
    announce_type: str | None = None  # new / cross / replace / replace-cross
    announced: date | None = None
    published: datetime | None = None
    updated: datetime | None = None
    journal_ref: str | None = None
    venue: str | None = None
    citation_count: int | None = None
    openalex_id: str | None = None
    s2_id: str | None = None
    sources: tuple[str, ...] = ()
    links: dict[str, str] = field(default_factory=dict)  # abs, pdf, landing, and "code" / "project" when known
    # What a paper's line shows besides its abstract (`core.model.extras`): arXiv's comment (pages, figures,
    # often "accepted at ..." and a repository link), Hugging Face's one-line summary, Semantic Scholar's
    # TL;DR, and the code repository's stars as Hugging Face counted them.
    comment: str | None = None
    ai_summary: str | None = None
    tldr: str | None = None
    code_stars: int | None = None

    @property
    def canonical_id(self) -> str:
        return canonical_paper_id(self.arxiv_id, self.doi)

    @property
    def latest_version(self) -> int | None:
        return max(self.versions) if self.versions else None

    @property
    def is_new_announcement(self) -> bool:
        """New submissions and cross-lists are new papers; replacements are new versions."""
        return self.announce_type in (None, "new", "cross")

    @property
    def abs_url(self) -> str | None:
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        return self.links.get("landing") or (f"https://doi.org/{self.doi}" if self.doi else None)

    @property
    def pdf_url(self) -> str | None:
        if self.arxiv_id:
            return f"https://arxiv.org/pdf/{self.arxiv_id}"
        return self.links.get("pdf")


def record_to_json(record: PaperRecord) -> dict[str, Any]:
    """A JSON-ready dict (for the lookup cache); `record_from_json` reads it back."""
    data: dict[str, Any] = {}
    for name, value in record.__dict__.items():
        if value is None or value == () or value == {}:
            continue
        if name == "authors":
            value = [a.to_json() for a in value]
        elif isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        data[name] = value
    return data


def record_from_json(data: dict[str, Any]) -> PaperRecord:
    values: dict[str, Any] = {k: v for k, v in data.items() if k in PaperRecord.__dataclass_fields__}
    values["authors"] = tuple(AuthorRef.from_json(a) for a in values.get("authors", ()))
    for name in ("versions", "categories", "sources"):
        values[name] = tuple(values.get(name, ()))
    if values.get("announced"):
        values["announced"] = date.fromisoformat(values["announced"])
    for name in ("published", "updated"):
        if values.get(name):
            values[name] = datetime.fromisoformat(values[name])
    values["links"] = dict(values.get("links", {}))
    return PaperRecord(**values)


def _longer(a: str, b: str) -> str:
    return b if len(b or "") > len(a or "") else a


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*a, *b)))


def _merge_authors(a: tuple[AuthorRef, ...], b: tuple[AuthorRef, ...]) -> tuple[AuthorRef, ...]:
    """Keep the longer author list; fill ids from the other where names line up by position."""
    base, other = (a, b) if len(a) >= len(b) else (b, a)
    if not other:
        return base
    merged = []
    for i, author in enumerate(base):
        twin = other[i] if i < len(other) else None
        if twin is not None and _same_surname(author.name, twin.name):
            author = AuthorRef(
                name=author.name,
                openalex_id=author.openalex_id or twin.openalex_id,
                orcid=author.orcid or twin.orcid,
                s2_id=author.s2_id or twin.s2_id,
                affiliation=author.affiliation or twin.affiliation,
            )
        merged.append(author)
    return tuple(merged)


def _same_surname(x: str, y: str) -> bool:
    def last(n: str) -> str:
        parts = n.replace(",", " ").split()
        return parts[-1].lower() if parts else ""

    return last(x) == last(y)


def merge_records(old: PaperRecord, new: PaperRecord) -> PaperRecord:
    """Combine two records of the same paper; the result remembers every version and source."""
    # The first announcement dates the paper; a later replace item only adds a version.
    first = new if new.announced and (not old.announced or new.announced < old.announced) else old
    return replace(
        old,
        title=old.title or new.title,
        arxiv_id=old.arxiv_id or new.arxiv_id,
        doi=old.doi or new.doi,
        versions=tuple(sorted(set(old.versions) | set(new.versions))),
        abstract=_longer(old.abstract, new.abstract),
        authors=_merge_authors(old.authors, new.authors),
        categories=_union(old.categories, new.categories),
        primary_category=old.primary_category or new.primary_category,
        announce_type=first.announce_type or old.announce_type or new.announce_type,
        announced=first.announced or old.announced or new.announced,
        published=old.published or new.published,
        updated=max(filter(None, (old.updated, new.updated)), default=None),
        journal_ref=old.journal_ref or new.journal_ref,
        venue=old.venue or new.venue,
        citation_count=max((c for c in (old.citation_count, new.citation_count) if c is not None), default=None),
        openalex_id=old.openalex_id or new.openalex_id,
        s2_id=old.s2_id or new.s2_id,
        sources=_union(old.sources, new.sources),
        links={**new.links, **old.links},
        comment=old.comment or new.comment,
        # Summaries and stars are refreshed by each enrichment: the newer answer is the better one.
        ai_summary=new.ai_summary or old.ai_summary,
        tldr=new.tldr or old.tldr,
        code_stars=new.code_stars if new.code_stars is not None else old.code_stars,
    )


def merge_all(records: list[PaperRecord]) -> dict[str, PaperRecord]:
    """Fold many records into one per canonical id, in first-seen order.

    A record known by DOI alone is folded into the arXiv record carrying the same DOI when there is one.
    """
    by_id: dict[str, PaperRecord] = {}
    doi_to_id: dict[str, str] = {}
    for record in records:
        key = record.canonical_id
        if not record.arxiv_id and record.doi and record.doi in doi_to_id:
            key = doi_to_id[record.doi]
        current = by_id.get(key)
        merged = record if current is None else merge_records(current, record)
        by_id[key] = merged
        if merged.doi:
            doi_to_id.setdefault(merged.doi, key)
    return by_id
