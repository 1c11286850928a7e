"""A digest's lines as people read them: the paper, why it is there, and for a revision when it first came out.

Both the digest a run posts and `digest preview` build their lines here, so the two read alike; so does the day
they are dated with, which is the channel's own (a channel in Auckland reads Tuesday's digest on Tuesday).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.digest.item_extras import line_fields
from core.digest.sections import citing_sentence, section_of
from core.model.papers import PaperRecord
from core.storage.ledger import LedgerItem
from core.views import DigestItem, DigestReason

SHOWN_AUTHORS = 3
TITLE = "Paper Radar digest"
# A weekly channel's digest is the week's, not a catch-up: its title says so, whatever its window.
WEEKLY_TITLE = "Paper Radar: this week's digest"


def digest_title(cadence: str) -> str:
    return WEEKLY_TITLE if cadence == "weekly" else TITLE


# The yymm an arXiv id starts with (2410.01234, hep-th/9901001): the month the paper was first submitted.
_ID_MONTH = re.compile(r"^(?:[a-z-]+(?:\.[A-Za-z]{2})?/)?(?P<yy>\d{2})(?P<mm>\d{2})")
# A first announcement can fall a few days into the month after the id's (submitted on the 31st).
_ANNOUNCE_LAG = timedelta(days=7)


def local_day(moment: datetime | None, timezone: str) -> date:
    """The channel's date at `moment` (now when None); UTC's for a zone this machine cannot load."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    try:
        return moment.astimezone(ZoneInfo(timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(UTC).date()


def shown_authors(names: list[str]) -> str:
    """The first few authors, as a digest line has room for them."""
    return ", ".join(names[:SHOWN_AUTHORS]) + (" et al." if len(names) > SHOWN_AUTHORS else "")


def _id_month(arxiv_id: str | None) -> date | None:
    match = _ID_MONTH.match(arxiv_id or "")
    if match is None or not 1 <= int(match["mm"]) <= 12:
        return None
    year = int(match["yy"]) + (1900 if int(match["yy"]) >= 91 else 2000)  # arXiv began in August 1991
    return date(year, int(match["mm"]), 1)


def first_posted(paper: PaperRecord) -> str | None:
    """When a paper first came out, as a digest line says it: "3 Oct 2024", or "Oct 2024" from the arXiv id alone.

    A source's date is taken only if it fits the id's month: OpenAlex's publication date may be a journal's,
    months later, and the first announcement we stored may be of a replacement (then the id's month is all
    we know). For a paper without an arXiv id, the earliest date any source gave."""
    known = [d for d in (paper.published.date() if paper.published else None,
                         paper.announced if paper.announce_type in ("new", "cross") else None) if d]
    if not paper.arxiv_id:
        return _day(min(known)) if known else None
    month = _id_month(paper.arxiv_id)
    if month is None:
        return None
    following = (month + timedelta(days=32)).replace(day=1)
    fitting = [d for d in known if month <= d < following + _ANNOUNCE_LAG]
    return _day(min(fitting)) if fitting else f"{month:%b %Y}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"  # "3 Oct 2024": no leading zero, the same on every platform


def digest_item(item: LedgerItem, summary_mode: str = "tldr") -> DigestItem:
    """A digest line from a ledger row and its paper, with the reasons recorded when it was claimed; what it says
    under the title follows the channel's `settings summary` (`core.digest.item_extras`)."""
    paper = item.paper
    reasons = tuple(
        DigestReason(kind=str(r.get("kind", "")), text=str(r.get("text", "")), by_name=bool(r.get("by_name")),
                     possible=bool(r.get("possible")))
        for r in item.reasons if isinstance(r, dict)
    )
    revised = item.revision > 0
    section, code = section_of(item.reasons)
    fields = line_fields(paper, summary_mode)
    if code:  # a trending paper's code link, as Hugging Face gave it when the section was claimed
        fields["code_url"] = code
    return DigestItem(
        paper_id=item.paper_id, title=paper.title, url=paper.abs_url or "",
        authors=shown_authors([a.name or "" for a in paper.authors]), why=reasons,
        categories=paper.categories, version=item.version, is_update=revised, pdf_url=paper.pdf_url,
        first_posted=first_posted(paper) if revised else None, section=section,
        quote=citing_sentence(item.reasons), **fields,
    )
