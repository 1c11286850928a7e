"""What core answers with: neutral views that each adapter renders its own way.

Views hold plain data (user text stays raw here; every renderer escapes it for its platform). `visibility`
tells an adapter whether the answer is for the person who asked or for the whole channel.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pylatexenc.latex2text import LatexNodes2Text


def local_time(value: datetime, timezone: str = "UTC") -> str:
    """`value` as the channel reads it, in its own zone ("Fri 04 Dec 2026 08:30 CET"); renderers share it so
    the console and Slack's fallback text agree. An unusable zone name falls back to the value's own zone."""
    try:
        local = value.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        local = value
    return local.strftime("%a %d %b %Y %H:%M %Z")


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 paper`, `2 papers`: every renderer counts the same way, never `paper(s)`."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


# One spelling of each source's name wherever a person reads it (records keep their short keys).
SOURCE_NAMES = {"arxiv": "arXiv", "openalex": "OpenAlex", "semanticscholar": "Semantic Scholar",
                "semantic_scholar": "Semantic Scholar", "huggingface": "Hugging Face"}


def source_name(key: str) -> str:
    return SOURCE_NAMES.get(key.strip().lower(), key)


_LATEX = LatexNodes2Text(math_mode="text")
_UNESCAPED = re.compile(r"(?<!\\)([%&#])")
_DOLLAR = re.compile(r"(?<!\\)\$")


@functools.lru_cache(maxsize=8192)
def readable_latex(text: str) -> str:
    """Abstract text with its LaTeX as a person reads it (`$\\Lambda_b$` -> Λ_b), by pylatexenc's converter.

    Plain text passes untouched. A bare % (a comment in LaTeX), & or # is prose in an abstract, so it is
    kept; an odd number of $ means a dollar amount, not math, and those stay too. Anything the converter
    cannot read leaves the text as it was rather than losing words. Cached: the clock renders the same day's
    papers for thousands of channels."""
    if not text or ("\\" not in text and "$" not in text):
        return text
    source = _UNESCAPED.sub(r"\\\1", text)
    if len(_DOLLAR.findall(source)) % 2:
        source = _DOLLAR.sub(r"\\$", source)
    try:
        converted = _LATEX.latex_to_text(source)
    except Exception:  # the converter is lenient, but a failure must cost the reader nothing
        return text
    return " ".join(converted.split()) if converted.strip() else text


class Visibility(StrEnum):
    EPHEMERAL = "ephemeral"  # only the person who asked sees it
    CHANNEL = "channel"  # posted for everyone


@dataclass(frozen=True)
class View:
    visibility: Visibility = field(default=Visibility.EPHEMERAL, kw_only=True)

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class Notice(View):
    """A short confirmation or message."""

    text: str
    title: str | None = None
    actor_id: str | None = None  # who did it, for a channel-visible confirmation ("<@U1> subscribed ...")


@dataclass(frozen=True)
class Problem(View):
    """Something went wrong in a way the user can understand; never a traceback."""

    title: str
    detail: str
    hint: str | None = None
    code: str = "error"  # usage | not_found | permission | limit | source_down | rate_limited | invalid


@dataclass(frozen=True)
class HelpEntry:
    command: str
    usage: str
    summary: str
    examples: tuple[str, ...] = ()
    manage: bool = False  # changes the channel: needs the manage permission


@dataclass(frozen=True)
class HelpView(View):
    entries: tuple[HelpEntry, ...]
    topic: str | None = None
    intro: str = ""


@dataclass(frozen=True)
class YearCount:
    year: int
    works: int
    citations: int = 0


@dataclass(frozen=True)
class PaperLine:
    """A paper as a line in a list (recent works on a card, trending, a digest item)."""

    title: str
    url: str | None = None
    year: int | None = None
    authors: str = ""
    venue: str | None = None


@dataclass(frozen=True)
class CardImage:
    """A picture that goes with a card (a PNG): Slack uploads it into the conversation, Discord attaches it to the
    embed, the console writes it to a file. `alt` describes it for screen readers and in place of the image."""

    filename: str  # researcher-A5100000002-collaborators.png
    title: str
    alt: str
    png: bytes = field(repr=False)


@dataclass(frozen=True)
class ResearcherCard(View):
    name: str
    openalex_id: str | None = None
    orcid: str | None = None
    s2_id: str | None = None
    institutions: tuple[str, ...] = ()
    works_count: int | None = None
    cited_by_count: int | None = None
    h_index: int | None = None
    i10_index: int | None = None
    topics: tuple[str, ...] = ()
    collaborators: tuple[tuple[str, int], ...] = ()  # (name, shared recent works)
    recent_papers: tuple[PaperLine, ...] = ()
    works_per_year: tuple[YearCount, ...] = ()
    sparkline: str = ""
    source: str = ""
    profile_url: str | None = None
    followed: bool = False
    identity: str = ""  # how sure we are the record is this person: "ORCID", "OpenAlex id", ... (core/researchers/identity.py)
    identity_note: str = ""  # the same as a sentence
    followers: int | None = None  # channels of this workspace or server that follow them (None in a direct message)
    claimed_by: tuple[str, ...] = ()  # chat user ids who said `iam` this person here
    images: tuple[CardImage, ...] = ()  # collaboration graph, works and citations per year

    @property
    def orcid_url(self) -> str | None:
        return f"https://orcid.org/{self.orcid}" if self.orcid else None

    @property
    def sparkline_text(self) -> str:
        """The sparkline with its scale, the same in every adapter: `2017 ▁▃▇ 2026, max 12 a year`."""
        if not self.works_per_year or not self.sparkline:
            return ""
        first, last = self.works_per_year[0].year, self.works_per_year[-1].year
        most = max(y.works for y in self.works_per_year)
        return f"{first} {self.sparkline} {last}, max {most:,} a year"


@dataclass(frozen=True)
class MemberPaper:
    """A recent paper of an institution: its authors with the institution's members marked."""

    title: str
    url: str | None = None
    year: int | None = None
    authors: tuple[tuple[str, bool], ...] = ()  # (name, is a member of the institution or a lab under it)
    more_authors: int = 0
    abstract: str = ""  # its first line


@dataclass(frozen=True)
class InstitutionCard(View):
    name: str
    openalex_id: str
    ror: str | None = None
    type: str | None = None  # OpenAlex's word, shown as given (2025 data calls some universities "funder")
    place: str = ""
    acronyms: tuple[str, ...] = ()
    homepage: str | None = None
    parents: tuple[str, ...] = ()
    children: tuple[str, ...] = ()
    more_children: int = 0
    works_count: int | None = None
    cited_by_count: int | None = None
    h_index: int | None = None
    topics: tuple[str, ...] = ()
    active_researchers: tuple[tuple[str, int], ...] = ()  # (name, works in the window)
    active_since: int | None = None  # the first year of that window
    recent_papers: tuple[MemberPaper, ...] = ()
    note: str = ""  # what is missing from the card and why
    source: str = ""
    followed: bool = False

    @property
    def profile_url(self) -> str:
        return f"https://openalex.org/{self.openalex_id}"

    @property
    def ror_url(self) -> str | None:
        return f"https://ror.org/{self.ror}" if self.ror else None


@dataclass(frozen=True)
class Candidate:
    number: int
    name: str
    institution: str | None
    works_count: int | None
    main_topic: str | None
    key: str  # what `researcher <key>` or `follow <key>` takes to choose this one (an id)
    identity: str = ""  # "ORCID", "OpenAlex id", "Semantic Scholar id" or "name only"


@dataclass(frozen=True)
class PickList(View):
    """Several people match a name: the channel picks one by number or id."""

    query: str
    action: str  # "researcher", "follow" or "iam": what picking does
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class PaperCard(View):
    title: str
    canonical_id: str
    authors: tuple[str, ...] = ()
    more_authors: int = 0
    date: date | None = None
    categories: tuple[str, ...] = ()
    abstract: str = ""
    abs_url: str | None = None
    pdf_url: str | None = None
    doi: str | None = None
    venue: str | None = None
    citation_count: int | None = None
    code_url: str | None = None
    sources: tuple[str, ...] = ()
    first_author_key: str | None = None  # an id `follow` accepts, when a source knows it
    note: str | None = None  # shown above the card: a version that does not exist, a source that did not answer
    summary: str = ""  # one line: Hugging Face's summary, Semantic Scholar's TL;DR or the abstract's first sentence
    summary_source: str = ""  # "Hugging Face", "Semantic Scholar" or "abstract"
    code_stars: int | None = None
    project_url: str | None = None

    @property
    def code_text(self) -> str:
        return f"Code ({self.code_stars:,}★)" if self.code_stars else "Code"


@dataclass(frozen=True)
class TrendingItem:
    rank: int
    title: str
    url: str
    upvotes: int
    authors: str = ""
    code_url: str | None = None
    project_url: str | None = None
    summary: str = ""


@dataclass(frozen=True)
class TrendingView(View):
    day: date
    items: tuple[TrendingItem, ...]
    note: str | None = None  # why this day: "the latest day with papers" when none was asked for


@dataclass(frozen=True)
class SubscriptionItem:
    number: int
    kind: str  # topic | category | researcher
    label: str  # the query, category or researcher name as the user gave it
    description: str = ""
    matched_this_week: int = 0  # papers it matched in this week's digests, shown or not
    shown_this_week: int = 0  # of those, how many went out in a message
    created_by: str = ""
    before_first_digest: bool = False  # the channel has had no digest yet: there is no week to count


def week_summary(item: SubscriptionItem) -> str:
    """`41 matched this week, 6 shown`: a noisy subscription is visible, and so is one that brings nothing."""
    if not item.matched_this_week and item.before_first_digest:
        return "no digest yet"
    if not item.matched_this_week:
        return "nothing matched this week"
    return f"{item.matched_this_week:,} matched this week, {item.shown_this_week:,} shown"


@dataclass(frozen=True)
class SubscriptionList(View):
    items: tuple[SubscriptionItem, ...]
    limit: int = 50


@dataclass(frozen=True)
class SettingsView(View):
    timezone: str
    digest_time: str
    weekdays: str
    max_items: int
    paused: bool
    paused_reason: str | None
    include_updates: bool
    include_crosslists: bool
    quiet_notice: bool
    next_digest: datetime | None = None
    learning: bool = True
    changed: str | None = None  # what the last command changed, as a sentence ("Changed the digest time to 08:30")
    note: str | None = None  # how a value was read ("PST is taken as America/Los_Angeles (...)")
    summary_mode: str = "tldr"  # tldr | abstract | off: what each paper's line says under its title


@dataclass(frozen=True)
class StatusView(View):
    last_run: datetime | None
    last_run_state: str | None
    last_run_items: int
    next_run: datetime | None
    papers_today: int
    subscriptions: int
    paused: bool
    paused_reason: str | None
    # Problems: something is wrong, each saying what to do. Notes: worth knowing, nothing to do. Each is one line.
    problems: tuple[str, ...] = ()
    timezone: str = "UTC"
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestReason:
    kind: str  # researcher | topic | category
    text: str  # "follows Yoshua Bengio", 'matched "diffusion" in title', "new in cs.LG"
    by_name: bool = False  # a researcher matched by name only (no database had indexed the paper)
    possible: bool = False  # ... and nothing else pointed to them: "possibly by <name>"


@dataclass(frozen=True)
class DigestItem:
    paper_id: str
    title: str
    url: str
    authors: str
    why: tuple[DigestReason, ...]
    snippet: str = ""
    categories: tuple[str, ...] = ()
    version: int | None = None
    is_update: bool = False  # a revised version of a paper first posted earlier (arXiv's replace)
    pdf_url: str | None = None
    first_posted: str | None = None  # "3 Oct 2024", or "Oct 2024" when only the arXiv id's month is known
    # A section after the matched papers ("Trending today", "New citations"); None for a matched paper. Section
    # papers come last in a digest's `items`, each section's together, and are not numbered: `digest more`
    # numbers on from the matched ones.
    section: str | None = None
    # A citation's citing sentence, as Semantic Scholar gives it: `“… as in [4].” (methodology)`.
    quote: str = ""

    @property
    def update_label(self) -> str | None:
        """"revised to v2, first posted 3 Oct 2024": the same words in every renderer; None for a new paper."""
        if not self.is_update:
            return None
        label = f"revised to v{self.version}" if self.version else "revised"
        return label + (f", first posted {self.first_posted}" if self.first_posted else "")
    # The paper's extras (core/model/extras.py): a one-line summary (in place of `snippet`, as the channel's
    # `settings summary` says), its code with stars and project page, and where it was accepted.
    summary: str = ""
    code_url: str | None = None
    code_stars: int | None = None
    project_url: str | None = None
    venue: str = ""  # "accepted at ICLR 2025", "published in Phys. Rev. B"

    @property
    def code_text(self) -> str:
        """`code (1,204★)`: what a link to the code reads in every adapter."""
        return f"code ({self.code_stars:,}★)" if self.code_stars else "code"


def digest_lines(items: Sequence[DigestItem], first_number: int) -> list[tuple[str, DigestItem, str | None]]:
    """Each digest paper with its label (`3.` for a matched paper, counting on from `first_number`; `•` in a
    section) and, on the first paper of a section, the section's title: the same in every renderer."""
    lines: list[tuple[str, DigestItem, str | None]] = []
    number, section = first_number, None
    for item in items:
        heading = item.section if item.section is not None and item.section != section else None
        section = item.section
        if item.section is None:
            lines.append((f"{number}.", item, None))
            number += 1
        else:
            lines.append(("•", item, heading))
    return lines


@dataclass(frozen=True)
class DigestPage:
    """One message of a digest run: its place among the run's messages (0: the first) and the papers it carries."""

    index: int
    paper_ids: tuple[str, ...]


@dataclass(frozen=True)
class MatchCount:
    """How many new papers one subscription matched for this digest (its header line lists them)."""

    number: int
    kind: str
    label: str
    matched: int


def matched_summary(counts: tuple[MatchCount, ...], label_chars: int = 60) -> str:
    """`diffusion 41 · "large language model" 118 · cs.CV 152`: the digest header's count per subscription, so a
    noisy subscription shows, and so does one that matched little."""
    def short(label: str) -> str:
        return label if len(label) <= label_chars else label[: label_chars - 1].rstrip() + "…"
    return " · ".join(f"{short(c.label)} {c.matched:,}" for c in counts)


@dataclass(frozen=True)
class DigestView(View):
    day: date
    title: str
    items: tuple[DigestItem, ...]
    more_count: int = 0
    total_matched: int = 0
    subscriptions: int = 0
    matched_by: tuple[MatchCount, ...] = ()
    first_number: int = 1  # the number of the first item: `digest more` counts on from the digest it continues
    note: str | None = None  # partial or delayed: what was missing
    run_id: int | None = None
    preview: bool = False
    # A resumed run (after a crash or a failed attempt): a message may have reached the platform without being
    # marked sent, so a sink that can look should check before posting it again.
    resumed: bool = False
    # A run's digest is cut into messages once, when the run claims its papers: `pages` are the messages still
    # to send (each exactly these papers of `items`, in order), `page_count` how many the run has in all. A sink
    # posts one message per page, so that a resumed run sends what the first try would have, and a message
    # found already posted accounts for exactly its papers. Empty for previews and `digest more`.
    pages: tuple[DigestPage, ...] = ()
    page_count: int = 0

    @property
    def matched_items(self) -> tuple[DigestItem, ...]:
        """The papers that matched the channel's subscriptions (not those of a section after them)."""
        return tuple(item for item in self.items if item.section is None)


@dataclass(frozen=True)
class FeedbackView(View):
    """What a channel's ratings taught its digest (`feedback`), or that they were forgotten (`feedback reset`)."""

    ratings: int
    raters: int
    liked: int
    disliked: int
    learning: bool  # `settings learning`: off means ratings are kept but the digest ignores them
    terms_for: tuple[str, ...] = ()  # the terms weighing most towards a paper, heaviest first
    terms_against: tuple[str, ...] = ()
    liked_examples: tuple[PaperLine, ...] = ()  # the rated papers closest to the profile, each way
    disliked_examples: tuple[PaperLine, ...] = ()
    weight: float = 0.0  # how much the profile counts against the subscriptions' own order, 0 to 1
    reset: bool = False  # the answer to `feedback reset`: `ratings` is how many were forgotten


@dataclass(frozen=True)
class SimilarItem:
    title: str
    url: str | None
    authors: str = ""
    similarity: float | None = None  # cosine with the paper asked about, for stored papers
    source: str = "stored"  # stored | recommended (Semantic Scholar's recommendations)
    paper_id: str = ""


@dataclass(frozen=True)
class SimilarView(View):
    """`similar <paper>`: the closest stored recent papers, then Semantic Scholar's recommendations."""

    paper: PaperLine
    items: tuple[SimilarItem, ...] = ()
    recommended: tuple[SimilarItem, ...] = ()
    note: str | None = None  # what was not available (a source down, nothing stored yet)


def typed_id(paper_id: str) -> str:
    """A stored paper id as people type it after `like` or `paper` (`2411.18562`; a DOI keeps its `doi:`)."""
    return paper_id[len("arXiv:"):] if paper_id.startswith("arXiv:") else paper_id


def feedback_sentences(view: FeedbackView) -> list[str]:
    """What a channel's ratings amount to, in the words every renderer shows (each escapes them its own way;
    commands are in `code spans`, typed as the console types them)."""
    if view.reset:
        if not view.ratings:
            return ["This channel had no ratings to forget."]
        return [f"Forgot this channel's {plural(view.ratings, 'rating')}: the digest is back to its subscriptions' "
                "own order."]
    if not view.ratings:
        return ["No ratings in this channel yet. Click 👍 or 👎 under a paper in the digest, or type `like <paper>` "
                "or `dislike <paper>`: the digest learns what this channel reads."]
    lines = [f"{plural(view.ratings, 'rating')} by {plural(view.raters, 'person', 'people')}: "
             f"{plural(view.liked, 'paper')} liked, {view.disliked:,} disliked."]
    if not view.learning:
        lines.append("Learning is off here: the ratings are kept, but the digest ignores them "
                     "(`settings learning on` uses them).")
    elif view.weight <= 0:
        lines.append("So far every rated paper has as many 👍 as 👎, so the digest keeps its subscriptions' order.")
    else:
        lines.append(f"The digest blends them into each subscription's own order at {view.weight:.0%}; the more "
                     "ratings, the more they count.")
    return lines


@dataclass(frozen=True)
class ExportView(View):
    payload: str  # JSON text
    subscriptions: int = 0


@dataclass(frozen=True)
class ImportReport(View):
    added: tuple[str, ...]
    skipped: tuple[str, ...]
    settings_changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    label: str  # what the person reads ("cs.LG — Machine Learning")
    value: str  # what the option is set to when they choose it ("cs.LG")


@dataclass(frozen=True)
class Suggestions(View):
    """What a person may mean while typing an option, best first; empty when nothing fits or a lookup failed."""

    items: tuple[Suggestion, ...] = ()


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):  # an image: its size says enough in JSON
        return f"{len(value):,} bytes"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def view_to_dict(view: View) -> dict[str, Any]:
    """A JSON-ready dict with the view's type under "view" (what `radar ask --json` prints)."""
    body = {f.name: _plain(getattr(view, f.name)) for f in dataclasses.fields(view)}

    def expand(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: expand(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, tuple | list):
            return [expand(v) for v in value]
        return _plain(value)

    return {"view": view.kind, **{k: expand(getattr(view, k)) for k in body}}


def view_to_json(view: View) -> str:
    return json.dumps(view_to_dict(view), ensure_ascii=False, indent=2)
