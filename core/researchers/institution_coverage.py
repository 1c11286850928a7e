"""What following institutions costs in OpenAlex list calls a day, and what does not come without a key.

Each distinct followed institution (across every channel: channels following the same one share its calls)
costs one billed list call a day, whose answer brings its new works and, once a week, rebuilds its roster of
active researchers. Ingest lists at most `INSTITUTIONS_PER_RUN` a day, so the daily cost is bounded whatever
channels follow. Following one costs one more call (its roster, at once); a card, one per lookup TTL.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.config import Settings
from core.model.channels import Subscription
from core.model.enums import SubscriptionKind
from core.researchers.coverage import KEY_SETTING

__all__ = ["INSTITUTIONS_PER_RUN", "daily_list_calls", "institution_lines"]

INSTITUTIONS_PER_RUN = 100  # distinct institutions whose works are listed per daily ingest


def daily_list_calls(institutions: int) -> int:
    """OpenAlex list calls a day for this many distinct followed institutions (within the cap)."""
    return min(institutions, INSTITUTIONS_PER_RUN)


def _ids(subscriptions: Iterable[Subscription]) -> list[str]:
    return sorted({s.openalex_id for s in subscriptions if s.kind == SubscriptionKind.INSTITUTION and s.openalex_id})


def institution_lines(settings: Settings, channel: Iterable[Subscription],
                      everywhere: Iterable[Subscription]) -> tuple[list[str], list[str]]:
    """(notes, problems) for `status`: this channel's followed institutions, what they cost, what is missing."""
    mine = [s for s in channel if s.kind == SubscriptionKind.INSTITUTION]
    if not mine:
        return [], []
    names = ", ".join(f"#{s.number} {s.display_name or s.openalex_id}" for s in mine[:5])
    if settings.openalex_api_key is None:
        return [], [f"followed institutions {names}: nothing comes without OpenAlex, and this Paper Radar has no "
                    f"OpenAlex API key: set {KEY_SETTING} to fetch their papers and their researchers"]
    total = len(_ids(everywhere))
    calls = daily_list_calls(total)
    capped = (f"; only {INSTITUTIONS_PER_RUN} are listed a day, the rest wait their turn"
              if total > INSTITUTIONS_PER_RUN else "")
    notes = [f"Followed institutions {names}: each costs one OpenAlex list call a day (which also refreshes "
             f"its researchers weekly); this server follows {total} institution{'s' if total != 1 else ''}: "
             f"{calls} list call{'s' if calls != 1 else ''} a day{capped}."]
    unlisted = [s for s in mine if s.roster is None or not s.roster.members]
    problems = []
    if unlisted:
        shown = ", ".join(f"#{s.number} {s.display_name or s.openalex_id}" for s in unlisted[:5])
        problems.append(f"followed institutions {shown}: their researchers are not listed yet, so only papers "
                        "OpenAlex lists under them come; the next ingest lists them")
    return notes, problems
