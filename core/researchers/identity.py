"""How sure Paper Radar is that a researcher record is that person, said the same way on cards and pick lists.

An ORCID is the person's own record (they keep it); an OpenAlex or Semantic Scholar author id is a profile the
database assembled from papers by name and affiliation, which can hold a namesake's works; a name alone is
only a guess.
"""

from __future__ import annotations

LEVELS = {
    "orcid": ("ORCID", "linked to ORCID {orcid}: the person's own record"),
    "openalex": ("OpenAlex id", "an OpenAlex author profile without ORCID: its works were grouped by name and "
                                "affiliation, and may include a namesake's"),
    "s2": ("Semantic Scholar id", "a Semantic Scholar author profile without ORCID: its works were grouped by "
                                  "name, and may include a namesake's"),
    "name": ("name only", "matched only by name: papers of namesakes may be mixed in"),
}


def identity_level(orcid: str | None, openalex_id: str | None, s2_id: str | None) -> str:
    if orcid:
        return "orcid"
    if openalex_id:
        return "openalex"
    return "s2" if s2_id else "name"


def identity_label(orcid: str | None, openalex_id: str | None, s2_id: str | None) -> str:
    """Two words for a pick list: `ORCID`, `OpenAlex id`, `Semantic Scholar id`, `name only`."""
    return LEVELS[identity_level(orcid, openalex_id, s2_id)][0]


def identity_note(orcid: str | None, openalex_id: str | None, s2_id: str | None) -> str:
    """The sentence on a card."""
    return LEVELS[identity_level(orcid, openalex_id, s2_id)][1].format(orcid=orcid or "")
