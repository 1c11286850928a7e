"""What a followed institution brings from a batch: the papers of the people on its roster.

Each member is evaluated as a followed researcher would be (`Evaluator.researcher`, shared with every channel
following them or the institution): papers carrying their OpenAlex id (the institution's works listed by
lineage at ingest carry them), and fresh arXiv papers with their name when their evidence backs it. A name
match without evidence is not kept: a roster holds dozens of people, and "possibly by" guesses for each would
bury the digest. The why line names the members: `from Mila (Yoshua Bengio, Aaron Courville)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from core.digest.rank import TIER_NAMED, TIER_POSSIBLE, TIER_RESEARCHER, RankKeys
from core.model.institutions import RosterMember

_Hit = tuple[int, str, float, bool, int]  # `core.digest.evaluate.ContentHit` (which imports this module)

__all__ = ["InstitutionContent", "institution_hits"]

NAMES_SHOWN = 3
_NAME_MATCH = "(name match; "


class InstitutionContent(NamedTuple):
    openalex_id: str
    name: str
    members: tuple[RosterMember, ...]


def institution_hits(keys: RankKeys, content: InstitutionContent,
                     member_hits: Callable[[RosterMember], list[_Hit]]) -> list[_Hit]:
    """`member_hits` is what the evaluator finds for one member followed as a researcher."""
    possible_from = TIER_POSSIBLE << keys.tier_shift
    by_id: dict[int, list[str]] = {}
    by_name: dict[int, list[str]] = {}
    for member in content.members:
        for pos, why, _, named, rank in member_hits(member):
            if rank >= possible_from:
                continue  # a name without evidence: not kept for an institution (see the module's note)
            if named:
                detail = why.partition(_NAME_MATCH)[2].rstrip(")")
                by_name.setdefault(pos, []).append(f"{member.name}: name match; {detail}" if detail else member.name)
            else:
                by_id.setdefault(pos, []).append(member.name)
    hits: list[_Hit] = []
    for pos, names in by_id.items():
        hits.append((pos, _why(content.name, names), 0.0, False, keys.key(TIER_RESEARCHER, 0.0, pos)))
    for pos, names in by_name.items():
        if pos not in by_id:
            hits.append((pos, _why(content.name, names), 0.0, True, keys.key(TIER_NAMED, 0.0, pos)))
    return hits


def _why(institution: str, names: list[str]) -> str:
    shown = ", ".join(dict.fromkeys(names[:NAMES_SHOWN]))
    more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
    return f"from {institution} ({shown}{more})"
