"""OpenAlex institution records, institution name candidates, and works read for one institution.

A ROR id is resolved to OpenAlex's `I...` id before anything else: filtering works by a ROR URL answers 200 with
no works at all (recorded), which would look like an institute that publishes nothing. Works are filtered by
`authorships.institutions.lineage`, so a lab's papers count for the university it belongs to.
"""

from __future__ import annotations

import re
from typing import Any

from core.ids import InvalidId, normalize_openalex_id
from core.model.institutions import (
    InstitutionCandidate,
    InstitutionProfile,
    InstitutionWork,
    RelatedInstitution,
)
from core.sources.openalex_authors import SOURCE, _counts_by_year, entity_id
from core.sources.parsing import MalformedItem, as_dict, as_int, as_list, clean_text, normalized, unique

TOP_TOPICS = 5
RELATIONSHIPS = ("parent", "child", "related")
# ROR ids are 9 characters: a leading 0, six of Crockford base32 (no i, l, o, u) and two check digits.
_ROR = re.compile(r"^(?:https?://)?(?:www\.)?(?:ror\.org/|ror:\s*)?(0[0-9a-hjkmnp-tv-z]{6}[0-9]{2})/?$", re.I)

__all__ = ["SOURCE", "institution_path", "is_ror", "normalize_ror", "parse_autocomplete_institution",
           "parse_institution", "parse_institution_work"]


def is_ror(text: str) -> bool:
    return bool(_ROR.match(text.strip())) if isinstance(text, str) and len(text) < 100 else False


def normalize_ror(text: str) -> str:
    """`02y3ad647` from a bare ROR id, `ror:` prefix or ror.org URL; raises `InvalidId` otherwise."""
    match = _ROR.match(text.strip()) if isinstance(text, str) and len(text) < 100 else None
    if match is None:
        raise InvalidId(f"{str(text)[:80]!r} is not a ROR id (example: 02y3ad647)")
    return match.group(1).lower()


def institution_path(identifier: str) -> str:
    """The singleton route for an OpenAlex `I` id (or its URL) or a ROR id; raises `InvalidId` otherwise."""
    text = identifier.strip()
    if is_ror(text):
        return f"institutions/ror:{normalize_ror(text)}"
    return f"institutions/{normalize_openalex_id(text, 'I')}"


def _related(entry: Any) -> RelatedInstitution | None:
    data = as_dict(entry)
    name = clean_text(data.get("display_name"))
    if not name:
        return None
    relationship = str(data.get("relationship") or "related").lower()
    return RelatedInstitution(
        display_name=name,
        openalex_id=normalized(lambda t: normalize_openalex_id(t, "I"), data.get("id")),
        relationship=relationship if relationship in RELATIONSHIPS else "related",
        type=clean_text(data.get("type")) or None,
        country_code=clean_text(data.get("country_code")) or None,
    )


def parse_institution(data: dict[str, Any]) -> InstitutionProfile:
    """An institution record; raises `MalformedItem` without an id or a name."""
    openalex_id = entity_id(data.get("id"), "I")
    name = clean_text(data.get("display_name"))
    if not name:
        raise MalformedItem(f"institution {openalex_id} has no name")
    geo = as_dict(data.get("geo"))
    lineage = [normalized(lambda t: normalize_openalex_id(t, "I"), i) for i in as_list(data.get("lineage"))]
    topics = [clean_text(as_dict(t).get("display_name")) for t in as_list(data.get("topics"))]
    ror = normalized(normalize_ror, data.get("ror") or as_dict(data.get("ids")).get("ror"))
    homepage = data.get("homepage_url")
    return InstitutionProfile(
        display_name=name,
        openalex_id=openalex_id,
        ror=ror,
        type=clean_text(data.get("type")) or None,
        country=clean_text(geo.get("country")) or None,
        country_code=clean_text(data.get("country_code") or geo.get("country_code")) or None,
        city=clean_text(geo.get("city")) or None,
        acronyms=unique(clean_text(a) for a in as_list(data.get("display_name_acronyms"))),
        homepage=homepage if isinstance(homepage, str) and homepage.startswith(("http://", "https://")) else None,
        works_count=as_int(data.get("works_count")),
        cited_by_count=as_int(data.get("cited_by_count")),
        h_index=as_int(as_dict(data.get("summary_stats")).get("h_index")),
        topics=unique(topics)[:TOP_TOPICS],
        related=tuple(r for r in map(_related, as_list(data.get("associated_institutions"))) if r is not None),
        lineage=unique(i for i in [openalex_id, *lineage] if i),
        counts_by_year=_counts_by_year(data.get("counts_by_year")),
    )


def parse_autocomplete_institution(data: dict[str, Any]) -> InstitutionCandidate:
    """One `/autocomplete/institutions` result (or an institution among `/autocomplete` results)."""
    openalex_id = entity_id(data.get("id"), "I")
    name = clean_text(data.get("display_name"))
    if not name:
        raise MalformedItem(f"institution {openalex_id} has no name")
    return InstitutionCandidate(
        display_name=name,
        openalex_id=openalex_id,
        hint=clean_text(data.get("hint")) or None,
        ror=normalized(normalize_ror, data.get("external_id")),
        works_count=as_int(data.get("works_count")),
        cited_by_count=as_int(data.get("cited_by_count")),
    )


def is_institution_entry(data: Any) -> bool:
    """An `/autocomplete` result of the institution kind (the all-entities route mixes kinds)."""
    entry = as_dict(data)
    kind = entry.get("entity_type")
    return kind == "institution" or (kind is None and str(entry.get("id", "")).rsplit("/", 1)[-1][:1].upper() == "I")


def members_of(data: dict[str, Any], institution_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names and ids of a work's authors affiliated with the institution, or with a lab under it."""
    names: list[str] = []
    ids: list[str] = []
    for authorship in map(as_dict, as_list(data.get("authorships"))):
        lineages = set()
        for inst in map(as_dict, as_list(authorship.get("institutions"))):
            lineages.add(str(inst.get("id", "")).rsplit("/", 1)[-1].upper())
            lineages.update(str(i).rsplit("/", 1)[-1].upper() for i in as_list(inst.get("lineage")))
        if institution_id.upper() not in lineages:
            continue
        author = as_dict(authorship.get("author"))
        name = clean_text(author.get("display_name")) or clean_text(authorship.get("raw_author_name"))
        if name:
            names.append(name)
            author_id = normalized(lambda t: normalize_openalex_id(t, "A"), author.get("id"))
            if author_id:
                ids.append(author_id)
    return unique(names), unique(ids)


def parse_institution_work(data: dict[str, Any], institution_id: str, parse_work: Any) -> InstitutionWork:
    """A work with its members marked; `parse_work` is `core.sources.openalex.parse_work` (passed in, to keep
    this module below that one)."""
    names, ids = members_of(data, institution_id)
    return InstitutionWork(paper=parse_work(data), members=names, member_ids=ids)
