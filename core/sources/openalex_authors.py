"""OpenAlex author records: profiles and name candidates, of either schema, and the records that are gone.

Parsers accept both the current schema (`last_known_institutions`, `topics`, `summary_stats`) and the 2022 one
(`last_known_institution`, `x_concepts`), because cached and recorded data of both ages exist. OpenAlex keeps
a deleted author's id answering with a placeholder named "Deleted Author", without works; a merged one
redirects to the id it kept (`OpenAlexSource.author` follows it).
"""

from __future__ import annotations

from typing import Any

from core.ids import normalize_openalex_id, normalize_orcid
from core.model.researchers import AuthorCandidate, AuthorProfile, YearCounts
from core.sources.http import NotFound
from core.sources.parsing import (
    MalformedItem,
    as_dict,
    as_float,
    as_int,
    as_list,
    clean_text,
    normalized,
    unique,
)

SOURCE = "openalex"
TOP_TOPICS = 5
DELETED_NAME = "deleted author"


class AuthorDeleted(NotFound):
    """OpenAlex still answers for the id, but with a placeholder: the record was deleted."""

    def __init__(self, source: str, author_id: str) -> None:
        super().__init__(source, f"author {author_id} was deleted", status=200)
        self.author_id = author_id


def is_deleted_author(name: str | None) -> bool:
    """OpenAlex keeps a deleted author's id answering, named "Deleted Author" and without works."""
    return (name or "").strip().casefold() == DELETED_NAME


def parse_author(data: dict[str, Any]) -> AuthorProfile:
    """An author object of either schema; raises `MalformedItem` without an id or a name."""
    openalex_id = entity_id(data.get("id"), "A")
    name = clean_text(data.get("display_name"))
    if not name:
        raise MalformedItem(f"author {openalex_id} has no name")
    stats = as_dict(data.get("summary_stats"))
    alternatives = (clean_text(alt) for alt in as_list(data.get("display_name_alternatives")))
    return AuthorProfile(
        display_name=name,
        openalex_id=openalex_id,
        orcid=normalized(normalize_orcid, data.get("orcid") or as_dict(data.get("ids")).get("orcid")),
        alternative_names=tuple(alt for alt in unique(alternatives) if alt.casefold() != name.casefold()),
        institutions=_current_institutions(data),
        works_count=as_int(data.get("works_count")),
        cited_by_count=as_int(data.get("cited_by_count")),
        h_index=as_int(stats.get("h_index")),
        i10_index=as_int(stats.get("i10_index")),
        topics=_topics(data),
        fields=_fields(data),
        counts_by_year=_counts_by_year(data.get("counts_by_year")),
        profile_url=f"https://openalex.org/{openalex_id}",
        source=SOURCE,
    )


def parse_autocomplete_author(data: dict[str, Any]) -> AuthorCandidate:
    openalex_id = entity_id(data.get("id"), "A")
    name = clean_text(data.get("display_name"))
    if not name:
        raise MalformedItem(f"author {openalex_id} has no name")
    return AuthorCandidate(
        display_name=name,
        openalex_id=openalex_id,
        orcid=normalized(normalize_orcid, data.get("external_id")),
        institution=clean_text(data.get("hint")) or None,
        works_count=as_int(data.get("works_count")),
        cited_by_count=as_int(data.get("cited_by_count")),
        source=SOURCE,
    )


def followable(person: AuthorCandidate | AuthorProfile) -> bool:
    """Not a deleted record: a pick list offering one would only lead to a refusal."""
    return not is_deleted_author(person.display_name) and person.works_count != 0


def entity_id(value: Any, kind: str) -> str:
    found = normalized(lambda text: normalize_openalex_id(text, kind), value)
    if found is None:
        raise MalformedItem(f"no valid OpenAlex id ({value!r})")
    return found


def _current_institutions(data: dict[str, Any]) -> tuple[str, ...]:
    current = as_list(data.get("last_known_institutions")) or [data.get("last_known_institution")]
    names = [clean_text(as_dict(inst).get("display_name")) for inst in current]
    if any(names):
        return unique(names)
    # Some current-schema profiles have no last known institution but dated affiliations: take the latest year's.
    dated = []
    for affiliation in as_list(data.get("affiliations")):
        years = [y for y in as_list(as_dict(affiliation).get("years")) if isinstance(y, int)]
        name = clean_text(as_dict(as_dict(affiliation).get("institution")).get("display_name"))
        if years and name:
            dated.append((max(years), name))
    latest = max((year for year, _ in dated), default=None)
    return unique(name for year, name in dated if year == latest)


def _topics(data: dict[str, Any]) -> tuple[str, ...]:
    topics = [clean_text(as_dict(t).get("display_name")) for t in as_list(data.get("topics"))]
    if any(topics):
        return unique(topics)[:TOP_TOPICS]
    concepts = [as_dict(c) for c in as_list(data.get("x_concepts"))]
    concepts.sort(key=lambda c: as_float(c.get("score")) or 0.0, reverse=True)
    # Level-0 concepts ("Biology", "Computer science") say little about a person; use them only to fill up.
    specific = [clean_text(c.get("display_name")) for c in concepts if c.get("level") != 0]
    broad = [clean_text(c.get("display_name")) for c in concepts if c.get("level") == 0]
    return unique([*specific, *broad])[:TOP_TOPICS]


def _fields(data: dict[str, Any]) -> tuple[str, ...]:
    """The broad fields of a person's topics ("Computer Science"), most works first; in the 2022 schema, the
    level-0 concepts, which are the same kind of thing ("Computer science")."""
    weight: dict[str, float] = {}
    for topic in map(as_dict, as_list(data.get("topics"))):
        name = clean_text(as_dict(topic.get("field")).get("display_name"))
        if name:
            weight[name] = weight.get(name, 0.0) + (as_float(topic.get("count")) or 1.0)
    if not weight:
        for concept in map(as_dict, as_list(data.get("x_concepts"))):
            name = clean_text(concept.get("display_name"))
            if name and concept.get("level") == 0:
                weight[name] = max(weight.get(name, 0.0), as_float(concept.get("score")) or 0.0)
    return tuple(sorted(weight, key=lambda name: (-weight[name], name)))[:TOP_TOPICS]


def _counts_by_year(rows: Any) -> tuple[YearCounts, ...]:
    counts = {}
    for row in map(as_dict, as_list(rows)):
        year = as_int(row.get("year"))
        if year is not None:
            counts[year] = (year, as_int(row.get("works_count")) or 0, as_int(row.get("cited_by_count")) or 0)
    return tuple(counts[year] for year in sorted(counts))
