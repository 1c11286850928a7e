"""`follow citations <researcher | paper>`: a digest section of new works citing a followed paper, or a followed
researcher's most cited works (`core.digest.citations` fetches and bounds them).

What is stored is the OpenAlex id followed: `W…` for a paper, `A…` for a researcher, whose `TOP_CITED` most cited
works are asked of OpenAlex once a week (`WORKS_TTL`) and watched together in one `cites:` filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.app import App
from core.commands import FollowCitations
from core.ids import InvalidId, is_arxiv_id, is_doi
from core.model.channels import Subscription
from core.model.context import Actor, Destination
from core.model.papers import PaperRecord
from core.model.researchers import AuthorProfile
from core.researchers.lookup import Found, LookupProblem, ResearcherLookup, candidate_key, not_found_problem
from core.sources.http import NotFound, SourceError
from core.sources.openalex import OpenAlexSource
from core.storage import channels, repos
from core.subscriptions.handlers import limit_problem
from core.subscriptions.setup import open_channel, schedule_phrase
from core.views import Notice, Problem, Visibility, plural

CITATIONS = "citations"
MAX_CITATION_TARGETS = 10  # per channel: each costs one billed OpenAlex list call a day
CITING_PAGE = 25  # one OpenAlex page of citing works per target a day (`core.digest.citations`)
TOP_CITED = 5  # a followed researcher's most cited works whose new citations the digest watches
WORKS_TTL = timedelta(days=7)  # how long the list of those works is kept before it is asked again
_WORK_ID = re.compile(r"^(?:https?://(?:www\.)?openalex\.org/)?W\d+$", re.IGNORECASE)
NEEDS_KEY = Problem("Citations need OpenAlex", "New citations come from OpenAlex's citation lists, which this "
                    "server cannot read without an API key.", "Whoever runs Paper Radar can set OPENALEX_API_KEY.",
                    code="unavailable")


@dataclass(frozen=True)
class CitedWork:
    """One of the followed papers (a followed researcher has several): what a citation line says it cites, and
    what tells it apart in a citing paper's references (`core.digest.citing_sentences`)."""

    openalex_id: str
    title: str
    year: int | None = None
    doi: str | None = None
    arxiv_id: str | None = None

    @property
    def label(self) -> str:
        """`*Datamodels* (2022)`."""
        return f"*{self.title}*" + (f" ({self.year})" if self.year else "")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.openalex_id, "title": self.title, "year": self.year, "doi": self.doi,
                "arxiv": self.arxiv_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CitedWork:
        year = data.get("year")
        return cls(str(data["id"]), str(data.get("title") or data["id"]), year if isinstance(year, int) else None,
                   _text(data.get("doi")), _text(data.get("arxiv")))

    @classmethod
    def of(cls, paper: PaperRecord) -> CitedWork:
        return cls(paper.openalex_id or "", " ".join(paper.title.split())[:250],
                   paper.published.year if paper.published else None, paper.doi, paper.arxiv_id)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def is_researcher_target(query: str | None) -> bool:
    """A citations subscription stores the OpenAlex id it follows: `W…` for a paper, `A…` for a researcher."""
    return bool(query) and str(query).upper().startswith("A")


def paper_target(display_name: str | None, work_id: str) -> CitedWork:
    """A followed paper as its stored label (`Datamodels (2022)`) gives it."""
    name = display_name or work_id
    title, _, year = name.rpartition(" (")
    if title and year.endswith(")") and year[:-1].isdecimal():
        return CitedWork(work_id, title, int(year[:-1]))
    return CitedWork(work_id, name)




async def researcher_works(app: App, author_id: str, *, fresh: bool = False) -> list[CitedWork]:
    """A followed researcher's most cited works, asked of OpenAlex at most once a week (`fresh` asks now)."""
    key = f"cited-works:{author_id}"
    if not fresh:
        async with app.db.session() as session:
            cached = await repos.cache_get(session, key, now=app.now())
        if isinstance(cached, dict) and isinstance(cached.get("works"), list):
            return [CitedWork.from_json(w) for w in cached["works"] if isinstance(w, dict) and w.get("id")]
    papers = await OpenAlexSource(app.sources.openalex).most_cited_works(author_id, count=TOP_CITED)
    works = [CitedWork.of(p) for p in papers if p.openalex_id]
    async with app.db.session() as session:
        await repos.cache_put(session, key, {"works": [w.to_json() for w in works]}, WORKS_TTL, now=app.now())
        await session.commit()
    return works


def citation_cost(subscriptions: Iterable[Subscription]) -> str | None:
    """What following citations costs in OpenAlex's billed list calls (docs/scaling.md), as `status` says it."""
    targets = [s for s in subscriptions if s.kind == CITATIONS]
    if not targets:
        return None
    people = sum(is_researcher_target(s.query) for s in targets)
    papers = len(targets) - people
    what = " and ".join(p for p in (plural(papers, "followed paper") if papers else "",
                                    plural(people, "followed researcher") if people else "") if p)
    calls = len(targets)
    text = (f"New citations of {what} cost {calls} OpenAlex list call{'s' if calls > 1 else ''} a day (one page "
            f"of {CITING_PAGE} each; at most 10 shown per {'target' if people and papers else 'researcher' if people else 'paper'})")
    if people:
        text += (f", and {people} a week to renew {'each researcher' if people > 1 else 'the researcher'}'s "
                 f"{TOP_CITED} most cited papers, which their `cites:` filter joins")
    return text + "."


def is_paper_target(text: str) -> bool:
    """A paper id (OpenAlex work, DOI, arXiv id); anything else names a researcher."""
    text = text.strip()
    return bool(_WORK_ID.match(text)) or is_doi(text) or is_arxiv_id(text)


def citations_label(paper: PaperRecord) -> str:
    """`Datamodels (2022)`: what `list` shows and what each citation line says it cites."""
    title = " ".join(paper.title.split())[:250]
    return f"{title} ({paper.published.year})" if paper.published else title


async def follow_citations(app: App, command: FollowCitations, actor: Actor,
                           where: Destination) -> Notice | Problem:
    if app.settings.openalex_api_key is None:
        return NEEDS_KEY
    if is_paper_target(command.target):
        return await _follow_paper(app, command.target, actor, where)
    return await _follow_researcher(app, command.target, actor, where)


async def _follow_paper(app: App, target: str, actor: Actor, where: Destination) -> Notice | Problem:
    try:
        paper = await OpenAlexSource(app.sources.openalex).work(target)
    except (NotFound, InvalidId):
        return Problem("I can't find that paper", f"OpenAlex has no work `{target[:80]}`.",
                       "Use an OpenAlex work id (`W2741809807`), a DOI or an arXiv id.", code="not_found")
    except SourceError as error:
        return Problem("OpenAlex did not answer", str(error), "Try again in a few minutes.", code="unavailable")
    if not paper.openalex_id:
        return Problem("I can't follow that paper's citations", "OpenAlex gave it no work id.", code="not_found")
    label = citations_label(paper)
    added = await _add(app, actor, where, paper.openalex_id, label)
    if not isinstance(added, tuple):
        return added
    number, when = added
    cited = f" ({paper.citation_count:,} so far)" if paper.citation_count else ""
    return Notice(
        f"Subscribed this channel to the citations of {label}{cited} as #{number}: each digest gets a "
        "\"New citations\" section with the works published since the last one that cite it (at most 10, with a "
        f"count of the rest). {when}",
        title="Subscribed", actor_id=actor.user_id, visibility=Visibility.CHANNEL)


async def _researcher(app: App, target: str) -> AuthorProfile | Problem:
    """The researcher meant, by ORCID, OpenAlex id or a name only one person answers to; several namesakes are
    listed with the id that follows each (this command has no pick list of its own)."""
    try:
        found = await ResearcherLookup(app).resolve(target)
    except LookupProblem as error:
        return error.problem
    if isinstance(found, Found):
        return found.profile
    if not found.items:
        return not_found_problem(found.query, found.searched)
    named = [c for c in found.items if c.openalex_id][:5]
    choices = "; ".join(f"`follow citations {candidate_key(c)}` ({', '.join(p for p in (c.display_name, c.institution) if p)})"
                        for c in named)
    return Problem("Several people match", f"{len(found.items)} researchers match “{target[:120]}”.",
                   f"Follow one by id: {choices}." if choices else "Use their ORCID or OpenAlex id.", code="ambiguous")


async def _follow_researcher(app: App, target: str, actor: Actor, where: Destination) -> Notice | Problem:
    found = await _researcher(app, target)
    if isinstance(found, Problem):
        return found
    if not found.openalex_id:
        return Problem("I can't follow their citations", f"{found.display_name} has no OpenAlex record, and new "
                       "citations come from OpenAlex.", "Try their ORCID or OpenAlex id.", code="not_found")
    try:
        works = await researcher_works(app, found.openalex_id, fresh=True)
    except SourceError as error:
        return Problem("OpenAlex did not answer", str(error), "Try again in a few minutes.", code="unavailable")
    if not works:
        return Problem("Nothing of theirs is cited yet", f"OpenAlex lists no works by {found.display_name}.",
                       code="not_found")
    added = await _add(app, actor, where, found.openalex_id, found.display_name)
    if not isinstance(added, tuple):
        return added
    number, when = added
    titles = "; ".join(w.label for w in works[:3]) + (f" and {len(works) - 3} more" if len(works) > 3 else "")
    return Notice(
        f"Subscribed this channel to new citations of {found.display_name}'s work as #{number}: each digest gets a "
        f"\"New citations\" section with the works published since the last one that cite their {len(works)} most "
        f"cited papers ({titles}), at most 10, with a count of the rest, each saying which paper it cites. {when}",
        title="Subscribed", actor_id=actor.user_id, visibility=Visibility.CHANNEL)


async def _add(app: App, actor: Actor, where: Destination, openalex_id: str,
               label: str) -> tuple[int, str] | Notice | Problem:
    """Store the subscription; its number and when it starts, or why it was not added."""
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        known = await channels.list_subscriptions(session, channel.id)
        for existing in known:
            if existing.kind == CITATIONS and existing.query == openalex_id:
                return Notice(f"This channel already follows the citations of {existing.label} as "
                              f"#{existing.number}.")
        if sum(s.kind == CITATIONS for s in known) >= MAX_CITATION_TARGETS:
            return Problem("This channel follows enough citations", f"A channel can follow the citations of at "
                           f"most {MAX_CITATION_TARGETS} papers or researchers.",
                           "Remove one with `unsubscribe <number>`.", code="limit")
        if len(known) >= app.settings.max_subscriptions_per_channel:
            return limit_problem(app.settings.max_subscriptions_per_channel)
        record = await channels.add_subscription(session, channel.id, kind=CITATIONS, query=openalex_id,
                                                 display_name=label, created_by=actor.user_id)
        await session.commit()
    return record.number, schedule_phrase(channel.settings, actor, app.now(), first=not known)
