"""Papers by example: `subscribe similar <paper> ...` and `similar <paper>`.

Both compare papers in the content model (`core.digest.content`), so a paper can be close to an example with
no keyword in common with any query the channel typed. `similar` also asks Semantic Scholar's recommendations
where it answers (marked as theirs); when it does not, the stored papers still answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np

from core.app import App
from core.commands import FindSimilar, SubscribeSimilar
from core.digest.content import ContentSpace
from core.digest.learning import learning_space
from core.digest.plan import shared_matcher
from core.model.context import Actor, Destination
from core.model.papers import PaperRecord
from core.papers.lookup import resolve_paper
from core.sources.http import SourceError
from core.sources.semanticscholar import SemanticScholarSource
from core.sources.timing import deadline
from core.storage import channels
from core.subscriptions.handlers import next_digest_phrase, room_for_one_more
from core.subscriptions.setup import open_channel
from core.views import Notice, PaperLine, Problem, SimilarItem, SimilarView, Visibility

log = logging.getLogger(__name__)
EXAMPLE_TERMS = 200  # strongest terms kept of each example: the rest barely moves a cosine
RECENT = timedelta(days=7)  # `similar` looks among the papers that arrived this week
SHOWN = 8
RECOMMENDATIONS_SHARE = 0.5  # of the lookup deadline


def _title(paper: PaperRecord) -> str:
    return " ".join(paper.title.split())


def example_vectors(space: ContentSpace, papers: Sequence[PaperRecord]) -> list[list[list[Any]]]:
    """Each paper's strongest terms in `space`, as a subscription row stores them."""
    vectors = space.vectors(list(papers))
    kept: list[list[list[Any]]] = []
    for row in range(vectors.shape[0]):
        start, end = vectors.indptr[row], vectors.indptr[row + 1]
        indices, weights = vectors.indices[start:end], vectors.data[start:end]
        strongest = np.argsort(-weights, kind="stable")[:EXAMPLE_TERMS]
        kept.append([[int(i) for i in indices[strongest]], [float(w) for w in weights[strongest]]])
    return kept


async def _resolve_all(app: App, queries: Sequence[str]) -> list[PaperRecord] | Problem:
    found: list[PaperRecord] = []
    for query in queries:
        paper = await resolve_paper(app, query)
        if isinstance(paper, Problem):
            return Problem(paper.title, f"{paper.detail} (example `{query[:60]}`)", paper.hint, code=paper.code)
        if paper.canonical_id not in {p.canonical_id for p in found}:
            found.append(paper)
    return found


async def subscribe_similar(app: App, command: SubscribeSimilar, actor: Actor,
                            where: Destination) -> Notice | Problem:
    examples = await _resolve_all(app, command.papers)
    if isinstance(examples, Problem):
        return examples
    key = " ".join(sorted(p.canonical_id for p in examples))
    first = _title(examples[0])
    label = f"similar to “{first[:120]}”" + (f" and {len(examples) - 1} more" if len(examples) > 1 else "")
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        known = await channels.list_subscriptions(session, channel.id)
        for existing in known:
            if existing.kind == "similar" and existing.query == key:
                return Notice(f"This channel already follows papers like these as #{existing.number}.")
        if problem := room_for_one_more(app, len(known)):
            return problem
        space = await learning_space(app, session, examples)
        stored = {"vectors": example_vectors(space, examples), "titles": [_title(p)[:300] for p in examples]}
        record = await channels.add_subscription(session, channel.id, kind="similar", query=key,
                                                 display_name=label[:300], examples=stored,
                                                 created_by=actor.user_id)
        await session.commit()
    return Notice(
        f"Subscribed this channel to new papers {label} as #{record.number}: from all of arXiv, by what they are "
        f"about, even with no word in common. " + next_digest_phrase(app, channel.settings, actor, first=not known),
        title="Subscribed", actor_id=actor.user_id, visibility=Visibility.CHANNEL)


def _line(paper: PaperRecord) -> PaperLine:
    names = [a.name for a in paper.authors[:3] if a.name]
    return PaperLine(title=_title(paper), url=paper.abs_url or (f"https://doi.org/{paper.doi}" if paper.doi else None),
                     year=paper.published.year if paper.published else None,
                     authors=", ".join(names) + (" et al." if len(paper.authors) > 3 else ""))


async def _recommended(app: App, paper: PaperRecord) -> tuple[list[SimilarItem], str | None]:
    """Semantic Scholar's recommendations for the paper, or why there are none."""
    key = f"ARXIV:{paper.arxiv_id}" if paper.arxiv_id else (f"DOI:{paper.doi}" if paper.doi else None)
    if key is None:
        return [], None
    try:
        with deadline(app.settings.lookup_deadline_s * RECOMMENDATIONS_SHARE):
            found = await SemanticScholarSource(app.sources.semantic_scholar_recommendations).recommendations(key)
    except SourceError as error:
        log.info("no recommendations for %s: %s", key, error)
        return [], f"Semantic Scholar's recommendations did not answer ({error.message})."
    items = []
    for record in found[:SHOWN]:
        line = _line(record)
        items.append(SimilarItem(line.title, line.url, line.authors, source="recommended",
                                 paper_id=record.arxiv_id or record.doi or ""))
    return items, None


async def find_similar(app: App, command: FindSimilar, actor: Actor, where: Destination) -> SimilarView | Problem:
    paper = await resolve_paper(app, command.paper)
    if isinstance(paper, Problem):
        return paper
    now = app.now()
    async with app.db.session() as session:
        matcher = await shared_matcher(session, now - RECENT, now)
    items: list[SimilarItem] = []
    note = None
    if matcher is None:
        note = "No papers arrived this week to compare with yet."
    else:
        space = matcher.space
        target = space.vectors([paper])
        cosines = (space.reference @ target.T).toarray().ravel()
        for pos in np.argsort(-cosines, kind="stable"):
            other = matcher.batch.papers[int(pos)]
            if other.canonical_id == paper.canonical_id or cosines[pos] <= 0:
                continue
            line = _line(other)
            items.append(SimilarItem(line.title, line.url, line.authors, similarity=round(float(cosines[pos]), 3),
                                     paper_id=other.canonical_id))
            if len(items) >= SHOWN:
                break
    recommended, trouble = await _recommended(app, paper)
    notes = " ".join(n for n in (note, trouble) if n) or None
    return SimilarView(paper=_line(paper), items=tuple(items), recommended=tuple(recommended), note=notes)
