"""What a digest line shows of a paper's extras, by the channel's `settings summary` (tldr | abstract | off)."""

from __future__ import annotations

from typing import Any

from core.model.extras import SUMMARY_CHARS, cut_at_word, paper_extras
from core.model.papers import PaperRecord

SNIPPET = 280


def snippet_of(abstract: str) -> str:
    """The abstract's opening, cut at a word: enough to judge a paper by, short enough for a digest."""
    return abstract if len(abstract) <= SNIPPET else abstract[:SNIPPET].rsplit(" ", 1)[0] + "…"


def line_fields(paper: PaperRecord, summary_mode: str) -> dict[str, Any]:
    """The DigestItem fields for `paper`'s summary, code and venue: a one-line summary under `tldr`, the
    abstract's opening under `abstract`, neither under `off`; code and venue whatever the mode."""
    extras = paper_extras(paper)
    return {
        "snippet": snippet_of(paper.abstract or "") if summary_mode == "abstract" else "",
        "summary": cut_at_word(extras.summary, SUMMARY_CHARS) if summary_mode == "tldr" else "",
        "code_url": extras.code_url,
        "code_stars": extras.code_stars,
        "project_url": extras.project_url,
        "venue": extras.venue_phrase,
    }
