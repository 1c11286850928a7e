"""The digest's sections after the matched papers: "Trending today" (Hugging Face's daily papers) and, later,
"New citations". A section paper goes through the ledger like any other: claimed with the run, unique per
(channel, paper, revision), so it is never sent twice and never sent when the channel already had it.

Its ledger reasons carry its section (the reason's kind) and what its line says, so a resumed run rebuilds
exactly the section it claimed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.model.papers import PaperRecord

if TYPE_CHECKING:
    from core.researchers.citations import CitedWork

TRENDING, CITATION = "trending", "citation"
SECTION_TITLES = {TRENDING: "Trending today", CITATION: "New citations"}
SECTION_KINDS = frozenset(SECTION_TITLES)


@dataclass(frozen=True)
class SectionItem:
    """One paper of a section, with the line saying why it is there."""

    paper: PaperRecord
    kind: str  # TRENDING | CITATION
    subscription: int  # the number of the subscription that asked for the section
    text: str  # "▲ 120 upvotes · 14 comments"; "cites *Datamodels* (2022)"
    code_url: str | None = None
    # A citation: the followed works it cites (to find the citing sentence), and that sentence where Semantic
    # Scholar has it, with why it cites (S2's intent: background, methodology, result).
    cited: tuple[CitedWork, ...] = field(default=(), compare=False)
    context: str = ""
    intent: str = ""

    @property
    def paper_id(self) -> str:
        return self.paper.canonical_id

    def reasons(self) -> list[dict[str, Any]]:
        reason: dict[str, Any] = {"kind": self.kind, "subscription": self.subscription, "text": self.text}
        if self.code_url:
            reason["code"] = self.code_url
        if self.context:
            reason["context"] = self.context
            if self.intent:
                reason["intent"] = self.intent
        return [reason]


def citing_sentence(reasons: Iterable[Any]) -> str:
    """A citation's sentence as its line quotes it: `“… as in [4].” (methodology)`; "" when there is none."""
    for reason in reasons:
        if isinstance(reason, dict) and isinstance(reason.get("context"), str) and reason["context"]:
            intent = reason.get("intent")
            return f"“{reason['context']}”" + (f" ({intent})" if isinstance(intent, str) and intent else "")
    return ""


def section_of(reasons: Iterable[Any]) -> tuple[str | None, str | None]:
    """(the section title, the code link) a ledger row's reasons give; (None, None) for a matched paper."""
    for reason in reasons:
        if isinstance(reason, dict) and reason.get("kind") in SECTION_KINDS:
            code = reason.get("code")
            return SECTION_TITLES[str(reason["kind"])], code if isinstance(code, str) else None
    return None, None


def fresh(candidates: Sequence[SectionItem], taken: set[str], top: int) -> list[SectionItem]:
    """The first `top` candidates not in `taken` (papers in the digest already, or delivered here before)."""
    chosen: list[SectionItem] = []
    for item in candidates:
        if len(chosen) >= top:
            break
        if item.paper_id not in taken:
            chosen.append(item)
            taken.add(item.paper_id)
    return chosen


def section_counts(items: Sequence[SectionItem]) -> list[dict[str, Any]]:
    """What a run records of its sections beside the per-subscription counts (`DigestRun.matched`): how many
    papers of its claims are a section's, so its header counts only the matched ones."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return [{"section": kind, "count": count} for kind, count in counts.items()]


def section_total(matched: Iterable[Any]) -> int:
    return sum(int(e["count"]) for e in matched
               if isinstance(e, dict) and e.get("section") in SECTION_KINDS and isinstance(e.get("count"), int))
