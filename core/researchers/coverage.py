"""What of a followed researcher's papers does not reach the digest, and what would bring it.

A followed person's papers come two ways: fresh arXiv papers recognised by name (backed by evidence), and
their journal and conference works fetched by id, from OpenAlex when an API key is set, else from Semantic
Scholar for people we know a Semantic Scholar id of. Whatever part is missing is said where people look:
the follow confirmation, `status`, and `radar ingest`. Nothing is silently half-done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.config import Settings
from core.model.channels import Subscription
from core.model.enums import SubscriptionKind
from core.model.researchers import ResearcherEvidence

__all__ = ["KEY_SETTING", "coverage_lines", "follow_notes", "works_gap"]

KEY_SETTING = "OPENALEX_API_KEY"


def works_gap(settings: Settings, openalex_id: str | None, s2_id: str | None) -> str | None:
    """Why this person's journal and conference works are not fetched, or None when they are."""
    if openalex_id and settings.openalex_api_key is not None:
        return None
    if s2_id:
        return None  # Semantic Scholar serves them without a key
    if openalex_id:
        return "key"
    return "no_id"


def _evidence_unknown(evidence: ResearcherEvidence | None) -> bool:
    return evidence is None or not evidence.known


def follow_notes(settings: Settings, openalex_id: str | None, s2_id: str | None,
                 evidence: ResearcherEvidence | None) -> list[str]:
    """What the follow confirmation adds about papers of this person that will not come, or come as guesses."""
    notes = []
    gap = works_gap(settings, openalex_id, s2_id)
    if gap == "key":
        notes.append("Their journal and conference papers are not fetched: this Paper Radar has no OpenAlex API "
                     f"key (the operator sets {KEY_SETTING}); new arXiv papers still come, recognised by name.")
    elif gap == "no_id":
        notes.append("Their journal and conference papers are not fetched: there is no OpenAlex or Semantic "
                     "Scholar id to ask by; new arXiv papers still come, recognised by name.")
    if _evidence_unknown(evidence):
        notes.append("Their works could not be read yet, so an arXiv paper with their name is shown as "
                     "\u201cpossibly by\u201d them until the next ingest learns more.")
    return notes


def _names(subs: Sequence[Subscription]) -> str:
    shown = ", ".join(f"#{s.number} {s.display_name or s.openalex_id or s.s2_id or s.orcid}" for s in subs[:5])
    return shown + (f" and {len(subs) - 5} more" if len(subs) > 5 else "")


def coverage_lines(settings: Settings, subscriptions: Iterable[Subscription], *, numbered: bool = True,
                   unread: bool = True) -> list[str]:
    """One line per kind of gap among followed researchers; `numbered` names them by the channel's numbers
    (for `status`), else counts people (for `radar ingest`, across channels). `unread` adds people whose works
    have not been read yet: a passing state the next ingest ends, worth a line in its report but not a
    standing warning in `status` (each such paper already says "possibly by")."""
    followed = [s for s in subscriptions if s.kind == SubscriptionKind.RESEARCHER]
    keyless = [s for s in followed if works_gap(settings, s.openalex_id, s.s2_id) == "key"]
    no_id = [s for s in followed if works_gap(settings, s.openalex_id, s.s2_id) == "no_id"]
    guessed = [s for s in followed if unread and _evidence_unknown(s.evidence)]

    def who(subs: list[Subscription]) -> str:
        if numbered:
            return f"followed researchers {_names(subs)}"
        people = {(s.openalex_id, s.s2_id, s.orcid) for s in subs}
        return f"{len(people)} followed researcher{'s' if len(people) != 1 else ''}"

    lines = []
    if keyless:
        lines.append(f"{who(keyless)}: journal and conference papers are not fetched (only new arXiv papers, "
                     f"by name): set {KEY_SETTING} to fetch them from OpenAlex")
    if no_id:
        lines.append(f"{who(no_id)}: journal and conference papers are not fetched, having no OpenAlex or "
                     "Semantic Scholar id (only new arXiv papers, by name): follow them again by name or "
                     "OpenAlex id")
    if guessed:
        lines.append(f"{who(guessed)}: their works have not been read yet, so arXiv papers with their name "
                     "are shown as \u201cpossibly by\u201d; the next ingest reads them")
    return lines
