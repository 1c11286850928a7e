"""A researcher's card: the profile plus what their recent works say (collaborators, latest papers, activity).

Recent works cost a list call (OpenAlex bills those), so what the card needs from them is distilled into a
small `WorkSummary` and kept in the lookup cache for the lookup TTL, next to the profile in `researchers`.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from core.app import App
from core.model.extras import venue_of
from core.model.papers import PaperRecord
from core.model.researchers import EVIDENCE_LIMITS, AuthorProfile, ResearcherEvidence, YearCounts
from core.researchers.evidence import evidence_from_works
from core.sources.http import SourceError
from core.sources.openalex import OpenAlexSource
from core.sources.semanticscholar import SemanticScholarSource
from core.storage import repos
from core.views import PaperLine, ResearcherCard, YearCount

log = logging.getLogger(__name__)

BARS = "▁▂▃▄▅▆▇█"
RECENT_YEARS = 3
RECENT_PAPERS = 5
TOP_COLLABORATORS = 5
GRAPH_COLLABORATORS = 10  # people in the collaboration graph: more than the card lists, few enough to read
YEARS_SHOWN = 10
MAX_WORKS = 200  # two OpenAlex pages: enough for the last three years of all but the most prolific
MAX_S2_PAPERS = 100  # one Semantic Scholar page
# Consortium papers with hundreds of authors say nothing about whom someone actually works with.
MAX_AUTHORS_FOR_COLLABORATORS = 50
SOURCE_NAMES = {"openalex": "OpenAlex", "semanticscholar": "Semantic Scholar"}
MAX_NAME_VARIANTS = 20
_TOKEN_SPLIT = re.compile(r"[^\w]+")


def _name_parts(name: str) -> set[str]:
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    return {part for part in _TOKEN_SPLIT.split(folded.casefold()) if len(part) > 1}


def plausible_names(profile: AuthorProfile) -> list[str]:
    """The display name and the alternatives that share a name part with it.

    OpenAlex's alternatives sometimes carry a co-author's name by mistake; matching author lists by that name
    would bring in a stranger's papers, and would hide that co-author from the collaborators.
    """
    own = _name_parts(profile.display_name)
    kept = [profile.display_name[:300]]
    for name in profile.names[1:]:
        if own & _name_parts(name) and len(kept) < MAX_NAME_VARIANTS:
            kept.append(name[:300])
    return kept


def sparkline(values: Iterable[float]) -> str:
    """One bar per value, scaled to the largest; zero is the lowest bar and any positive value is above it."""
    numbers = [max(0.0, float(v)) for v in values]
    top = max(numbers, default=0.0)
    if top <= 0:
        return BARS[0] * len(numbers)
    steps = len(BARS) - 1
    # Ceiling, less a hair for float error: counts 0..7 against a top of 7 land on their own bar.
    return "".join(BARS[0] if v == 0 else BARS[max(1, math.ceil(v / top * steps - 1e-9))] for v in numbers)


def works_per_year(counts: Sequence[YearCounts], current_year: int, span: int = YEARS_SHOWN) -> tuple[YearCount, ...]:
    """The last `span` years up to `current_year`, years without a row counting as zero."""
    by_year = {year: (works, cited) for year, works, cited in counts}
    if not by_year:
        return ()
    return tuple(YearCount(year, *by_year.get(year, (0, 0))) for year in range(current_year - span + 1, current_year + 1))


def paper_line(record: PaperRecord) -> PaperLine:
    if record.arxiv_id:
        url: str | None = f"https://arxiv.org/abs/{record.arxiv_id}"
    elif record.doi:
        url = f"https://doi.org/{record.doi}"
    else:
        url = record.links.get("landing") or record.links.get("openalex") or record.links.get("semanticscholar")
    names = [a.name for a in record.authors]
    authors = ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")
    return PaperLine(title=record.title, url=url, year=record.published.year if record.published else None,
                     authors=authors, venue=venue_of(record)[0])


def _title_key(title: str) -> str:
    return " ".join(title.casefold().split())


def _newest_first(works: Iterable[PaperRecord]) -> list[PaperRecord]:
    floor = datetime.min
    return sorted(works, key=lambda w: w.published.replace(tzinfo=None) if w.published else floor, reverse=True)


def recent_papers(works: Iterable[PaperRecord], count: int = RECENT_PAPERS) -> tuple[PaperLine, ...]:
    """The newest works, one per title (a preprint and its published version often share one)."""
    seen: set[str] = set()
    lines: list[PaperLine] = []
    for work in _newest_first(w for w in works if w.title):
        key = _title_key(work.title)
        if key not in seen:
            seen.add(key)
            lines.append(paper_line(work))
        if len(lines) == count:
            break
    return tuple(lines)


def _coauthors(profile: AuthorProfile, works: Iterable[PaperRecord], since: date
               ) -> tuple[dict[str, str], list[set[str]]]:
    """Each co-author's shown name by key, and the co-authors of each work published since `since`.

    Works are counted once per title: a preprint and its journal version are one collaboration.
    """
    own_ids = {i for i in (profile.openalex_id, profile.merged_from, profile.s2_id, profile.orcid) if i}
    own_names = {name.casefold() for name in plausible_names(profile)}
    shown: dict[str, str] = {}
    per_work: list[set[str]] = []
    titles: set[str] = set()
    for work in works:
        if work.published is None or work.published.date() < since:
            continue
        if len(work.authors) > MAX_AUTHORS_FOR_COLLABORATORS or _title_key(work.title) in titles:
            continue
        titles.add(_title_key(work.title))
        in_this_work: set[str] = set()
        for author in work.authors:
            ids = {i for i in (author.openalex_id, author.s2_id, author.orcid) if i}
            # By name too: a split profile of the same person would otherwise count as their collaborator.
            if ids & own_ids or author.name.casefold() in own_names:
                continue
            key = author.openalex_id or author.s2_id or f"name:{author.name.casefold()}"
            shown.setdefault(key, author.name)
            in_this_work.add(key)
        per_work.append(in_this_work)
    return shown, per_work


def _ranked(shown: dict[str, str], per_work: list[set[str]], top: int) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for people in per_work:
        counts.update(people)
    return sorted(counts.items(), key=lambda item: (-item[1], shown[item[0]].casefold()))[:top]


def frequent_collaborators(
    profile: AuthorProfile, works: Iterable[PaperRecord], since: date, top: int = TOP_COLLABORATORS
) -> tuple[tuple[str, int], ...]:
    """Co-authors on the person's works published since `since`, with how many works they share."""
    shown, per_work = _coauthors(profile, works, since)
    return tuple((shown[key], n) for key, n in _ranked(shown, per_work, top))


def collaboration_graph(
    profile: AuthorProfile, works: Iterable[PaperRecord], since: date, top: int = GRAPH_COLLABORATORS
) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[int, int, int], ...]]:
    """The frequent co-authors (name, works shared with the person) and, between them, (i, j, works the two
    share) for every pair that wrote together: the edges of the card's collaboration graph."""
    shown, per_work = _coauthors(profile, works, since)
    ranked = _ranked(shown, per_work, top)
    index = {key: i for i, (key, _) in enumerate(ranked)}
    pairs: Counter[tuple[int, int]] = Counter()
    for people in per_work:
        present = sorted(index[key] for key in people if key in index)
        pairs.update((a, b) for n, a in enumerate(present) for b in present[n + 1:])
    return (tuple((shown[key], n) for key, n in ranked),
            tuple((a, b, n) for (a, b), n in sorted(pairs.items())))


@dataclass(frozen=True)
class WorkSummary:
    """What the card shows from a researcher's recent works, and what following them keeps; cached as JSON."""

    papers: tuple[PaperLine, ...] = ()
    collaborators: tuple[tuple[str, int], ...] = ()
    per_year: tuple[tuple[int, int], ...] = ()  # only when every paper was seen (Semantic Scholar has no yearly counts)
    evidence: ResearcherEvidence | None = None  # None in summaries cached before evidence was kept
    graph_people: tuple[tuple[str, int], ...] = ()  # the collaboration graph's co-authors (name, shared works)
    graph_pairs: tuple[tuple[int, int, int], ...] = ()  # (i, j, works two of them share), indexes into graph_people

    def to_json(self) -> dict[str, Any]:
        return {
            "papers": [{"title": p.title, "url": p.url, "year": p.year, "authors": p.authors, "venue": p.venue}
                       for p in self.papers],
            "collaborators": [[name, n] for name, n in self.collaborators],
            "per_year": [[year, n] for year, n in self.per_year],
            **({"evidence": self.evidence.to_json()} if self.evidence is not None else {}),
            "graph_people": [[name, n] for name, n in self.graph_people],
            "graph_pairs": [list(pair) for pair in self.graph_pairs],
        }

    @classmethod
    def from_json(cls, data: Any) -> WorkSummary:
        data = data if isinstance(data, dict) else {}
        papers = []
        for p in data.get("papers") or ():
            if isinstance(p, dict) and isinstance(p.get("title"), str):
                year = p.get("year")
                papers.append(PaperLine(title=p["title"], url=_opt_str(p.get("url")),
                                        year=year if isinstance(year, int) else None,
                                        authors=_opt_str(p.get("authors")) or "", venue=_opt_str(p.get("venue"))))
        return cls(
            papers=tuple(papers),
            collaborators=tuple((str(row[0]), int(row[1])) for row in data.get("collaborators") or ()
                                if isinstance(row, list) and len(row) == 2 and isinstance(row[1], int)),
            per_year=tuple((int(row[0]), int(row[1])) for row in data.get("per_year") or ()
                           if isinstance(row, list) and len(row) == 2 and all(isinstance(v, int) for v in row)),
            evidence=ResearcherEvidence.from_json(data["evidence"]) if "evidence" in data else None,
            graph_people=tuple((str(row[0]), int(row[1])) for row in data.get("graph_people") or ()
                               if isinstance(row, list) and len(row) == 2 and isinstance(row[1], int)),
            graph_pairs=tuple((int(row[0]), int(row[1]), int(row[2])) for row in data.get("graph_pairs") or ()
                              if isinstance(row, list) and len(row) == 3 and all(isinstance(v, int) for v in row)),
        )


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def summarize_works(
    profile: AuthorProfile, works: Sequence[PaperRecord], since: date, *, complete: bool = False
) -> WorkSummary:
    per_year: tuple[tuple[int, int], ...] = ()
    if complete and not profile.counts_by_year:
        years = Counter(w.published.year for w in works if w.published)
        per_year = tuple(sorted(years.items()))
    # One count serves both: the card shows the first few, the evidence keeps more.
    collaborators = frequent_collaborators(profile, works, since, top=EVIDENCE_LIMITS["coauthors"])
    evidence = evidence_from_works(profile, works, [name for name, _ in collaborators])
    people, pairs = collaboration_graph(profile, works, since)
    return WorkSummary(recent_papers(works), collaborators[:TOP_COLLABORATORS], per_year, evidence=evidence,
                       graph_people=people, graph_pairs=pairs)


def recent_since(now: datetime) -> date:
    return (now - timedelta(days=365 * RECENT_YEARS)).date()


async def work_summary(app: App, profile: AuthorProfile, *, with_evidence: bool = False) -> WorkSummary | None:
    """Recent papers and collaborators from the cache or the profile's source; None when the source fails.

    A failure here only thins the card: the profile itself is already in hand. `with_evidence` passes over
    a cached summary that predates evidence (following needs it; the card does not).
    """
    if profile.openalex_id:
        key = f"researcher-works:openalex:{profile.openalex_id}"
    elif profile.s2_id:
        key = f"researcher-works:s2:{profile.s2_id}"
    else:
        return None
    async with app.db.session() as session:
        cached = await repos.cache_get(session, key, now=app.now())
    if cached is not None:
        summary = WorkSummary.from_json(cached)
        if summary.evidence is not None or not with_evidence:
            return summary
    since = recent_since(app.now())
    try:
        if profile.openalex_id:
            listing = await OpenAlexSource(app.sources.openalex).works_by_author(
                profile.openalex_id, since, max_results=MAX_WORKS)
            complete = False
        else:
            assert profile.s2_id is not None
            listing = await SemanticScholarSource(app.sources.semantic_scholar).author_papers(
                profile.s2_id, page_size=MAX_S2_PAPERS, max_papers=MAX_S2_PAPERS)
            complete = listing.complete
    except SourceError as error:
        log.info("recent works of %s unavailable: %s", key, error)
        return None
    summary = summarize_works(profile, listing.items, since, complete=complete)
    if listing.error is None:
        async with app.db.session() as session:
            await repos.cache_put(session, key, summary.to_json(), timedelta(hours=app.settings.lookup_ttl_hours),
                                  now=app.now())
            await session.commit()
    return summary


def build_card(
    profile: AuthorProfile,
    summary: WorkSummary | None,
    *,
    now: datetime,
    followed: bool = False,
    stale_since: datetime | None = None,
) -> ResearcherCard:
    summary = summary or WorkSummary()
    counts = profile.counts_by_year or tuple((year, n, 0) for year, n in summary.per_year)
    per_year = works_per_year(counts, now.year)
    source = SOURCE_NAMES.get(profile.source, profile.source)
    if stale_since is not None:
        source = f"{source} (saved copy from {stale_since:%Y-%m-%d}; {source} is not answering right now)"
    return ResearcherCard(
        name=profile.display_name,
        openalex_id=profile.openalex_id,
        orcid=profile.orcid,
        s2_id=profile.s2_id,
        institutions=profile.institutions,
        works_count=profile.works_count,
        cited_by_count=profile.cited_by_count,
        h_index=profile.h_index,
        i10_index=profile.i10_index,
        topics=profile.topics,
        collaborators=summary.collaborators,
        recent_papers=summary.papers,
        works_per_year=per_year,
        sparkline=sparkline(y.works for y in per_year),
        source=source,
        profile_url=profile.profile_url,
        followed=followed,
    )
