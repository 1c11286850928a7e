"""Research institutions as OpenAlex describes them: candidates to pick from, full records, and their works.

Frozen data with JSON helpers, because candidates are kept for a pick list and records in the lookup cache;
`from_json` tolerates missing and unknown keys so that a row written by another release still loads. An
institution's `type` is OpenAlex's word, shown as given: 2025 data calls some universities "funder", so no rule
here may depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from core.model.papers import PaperRecord
from core.model.researchers import ResearcherEvidence, YearCounts


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str) and v) if isinstance(value, list | tuple) else ()


def _required(data: Any, kind: str) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise ValueError(f"a cached {kind} must be a JSON object")
    name, ident = data.get("display_name"), data.get("openalex_id")
    if not isinstance(name, str) or not name or not isinstance(ident, str) or not ident:
        raise ValueError(f"a cached {kind} needs a display_name and an openalex_id")
    return name, ident


@dataclass(frozen=True, kw_only=True)
class InstitutionCandidate:
    """One institution a name might mean, with enough to tell "MIT" in Cambridge from "MIT" in Pune."""

    display_name: str
    openalex_id: str
    hint: str | None = None  # where it is ("Cambridge, USA"), as OpenAlex's autocomplete says it
    ror: str | None = None
    works_count: int | None = None
    cited_by_count: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_json(cls, data: Any) -> InstitutionCandidate:
        name, ident = _required(data, "institution")
        return cls(display_name=name, openalex_id=ident, hint=_opt_str(data.get("hint")),
                   ror=_opt_str(data.get("ror")), works_count=_opt_int(data.get("works_count")),
                   cited_by_count=_opt_int(data.get("cited_by_count")))


@dataclass(frozen=True, kw_only=True)
class RelatedInstitution:
    """A parent, child or related institution, as the record lists it."""

    display_name: str
    openalex_id: str | None = None
    relationship: str = "related"  # parent | child | related
    type: str | None = None
    country_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class InstitutionProfile:
    display_name: str
    openalex_id: str
    ror: str | None = None
    type: str | None = None  # OpenAlex's word, never relied on (universities can be "funder")
    country: str | None = None
    country_code: str | None = None
    city: str | None = None
    acronyms: tuple[str, ...] = ()
    homepage: str | None = None
    works_count: int | None = None
    cited_by_count: int | None = None
    h_index: int | None = None
    topics: tuple[str, ...] = ()
    related: tuple[RelatedInstitution, ...] = ()
    lineage: tuple[str, ...] = ()  # its own id and every parent's, as OpenAlex ids
    counts_by_year: tuple[YearCounts, ...] = ()

    @property
    def parents(self) -> tuple[RelatedInstitution, ...]:
        return tuple(r for r in self.related if r.relationship == "parent")

    @property
    def children(self) -> tuple[RelatedInstitution, ...]:
        return tuple(r for r in self.related if r.relationship == "child")

    @property
    def profile_url(self) -> str:
        return f"https://openalex.org/{self.openalex_id}"

    def to_candidate(self) -> InstitutionCandidate:
        hint = ", ".join(p for p in (self.city, self.country) if p) or None
        return InstitutionCandidate(display_name=self.display_name, openalex_id=self.openalex_id, hint=hint,
                                    ror=self.ror, works_count=self.works_count, cited_by_count=self.cited_by_count)


@dataclass(frozen=True, kw_only=True)
class InstitutionWork:
    """A work listed under an institution, with the authors who wrote it there (by lineage: labs count)."""

    paper: PaperRecord
    members: tuple[str, ...] = ()  # display names of the authors affiliated with the institution or a lab of it
    member_ids: tuple[str, ...] = ()  # their OpenAlex author ids, where known


def profile_to_json(profile: InstitutionProfile) -> dict[str, Any]:
    """For the lookup cache: plain JSON of the record."""
    data = {f.name: getattr(profile, f.name) for f in fields(profile)}
    data["related"] = [{f.name: getattr(r, f.name) for f in fields(r)} for r in profile.related]
    data["counts_by_year"] = [list(row) for row in profile.counts_by_year]
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items() if v is not None}


def profile_from_json(data: Any) -> InstitutionProfile:
    """A cached record back; raises `ValueError` for one without a name or id."""
    name, ident = _required(data, "institution")
    related = []
    for entry in data.get("related") or ():
        if isinstance(entry, dict) and _opt_str(entry.get("display_name")):
            related.append(RelatedInstitution(
                display_name=entry["display_name"], openalex_id=_opt_str(entry.get("openalex_id")),
                relationship=_opt_str(entry.get("relationship")) or "related", type=_opt_str(entry.get("type")),
                country_code=_opt_str(entry.get("country_code"))))
    counts = tuple(
        (int(row[0]), int(row[1]), int(row[2])) for row in data.get("counts_by_year") or ()
        if isinstance(row, list | tuple) and len(row) == 3 and all(_opt_int(v) is not None for v in row)
    )
    return InstitutionProfile(
        display_name=name, openalex_id=ident, ror=_opt_str(data.get("ror")), type=_opt_str(data.get("type")),
        country=_opt_str(data.get("country")), country_code=_opt_str(data.get("country_code")),
        city=_opt_str(data.get("city")), acronyms=_strs(data.get("acronyms")),
        homepage=_opt_str(data.get("homepage")), works_count=_opt_int(data.get("works_count")),
        cited_by_count=_opt_int(data.get("cited_by_count")), h_index=_opt_int(data.get("h_index")),
        topics=_strs(data.get("topics")), related=tuple(related), lineage=_strs(data.get("lineage")),
        counts_by_year=counts,
    )


@dataclass(frozen=True)
class RosterMember:
    """An active researcher of a followed institution: their id, their name, and what tells their arXiv papers
    from a namesake's (a name alone is not enough, as for a followed researcher)."""

    openalex_id: str
    name: str
    evidence: ResearcherEvidence | None = None


@dataclass(frozen=True)
class InstitutionRoster:
    """Who a followed institution's papers come from, stored with the subscription and refreshed weekly.

    `refreshed` is when the roster was rebuilt from the institution's recent works; `checked` when ingest last
    listed its new works (the next listing starts there). Both are ISO timestamps; empty means never.
    """

    members: tuple[RosterMember, ...] = ()
    refreshed: str = ""
    checked: str = ""

    def to_json(self) -> dict[str, Any]:
        members = [{"id": m.openalex_id, "name": m.name,
                    **({"evidence": m.evidence.to_json()} if m.evidence is not None else {})} for m in self.members]
        return {"members": members, "refreshed": self.refreshed, "checked": self.checked}

    @classmethod
    def from_json(cls, data: Any) -> InstitutionRoster:
        """Tolerant: what cannot be read is left out (an unreadable roster is an empty one, rebuilt at ingest)."""
        data = data if isinstance(data, dict) else {}
        members = []
        for entry in data.get("members") or ():
            if isinstance(entry, dict) and _opt_str(entry.get("id")) and _opt_str(entry.get("name")):
                evidence = entry.get("evidence")
                members.append(RosterMember(entry["id"], entry["name"],
                                            ResearcherEvidence.from_json(evidence) if evidence is not None else None))
        return cls(tuple(members), _opt_str(data.get("refreshed")) or "", _opt_str(data.get("checked")) or "")
