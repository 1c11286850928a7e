"""Extras for the day's papers, fetched once at ingest time: Hugging Face's summaries and code links, Semantic
Scholar's TL;DRs.

The digest reads only what is stored, so it never waits on these sources: this runs after the feed's papers are
stored, within RADAR_ENRICH_DEADLINE_S for all of it, and a source that fails or is slow only means those
papers go out without that extra (their line falls back to the abstract's first sentence and the links found
in the abstract). Only papers already stored are touched: a Hugging Face paper of the day outside the
channels' categories is not brought into anyone's digest this way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from core.app import App
from core.model.papers import PaperRecord
from core.sources.http import SourceError
from core.sources.huggingface import HuggingFaceSource
from core.sources.semanticscholar import TLDR_FIELDS, SemanticScholarSource
from core.sources.timing import deadline
from core.storage import repos

log = logging.getLogger(__name__)
MAX_TLDR_PAPERS = 2000  # four batch calls: a busy day across every archive the channels need


@dataclass
class EnrichReport:
    summaries: int = 0  # papers given a Hugging Face summary or a Semantic Scholar TL;DR
    code: int = 0  # papers given a repository link by Hugging Face
    failed: tuple[str, ...] = ()  # sources that did not answer in time (their extras are simply missing)


def _patch(base: PaperRecord, extra: PaperRecord) -> PaperRecord:
    """Only the extras of `extra` on `base`'s identity: a source's other fields never overwrite the feed's."""
    return PaperRecord(title=base.title, arxiv_id=base.arxiv_id, doi=base.doi, ai_summary=extra.ai_summary,
                       tldr=extra.tldr, code_stars=extra.code_stars,
                       links={k: v for k, v in extra.links.items() if k in ("code", "project", "huggingface")})


async def _from_huggingface(app: App, day: date, wanted: dict[str, PaperRecord], report: EnrichReport,
                            patches: dict[str, PaperRecord]) -> None:
    daily = await HuggingFaceSource(app.sources.huggingface).daily_papers(day)
    for item in daily:
        base = wanted.get(item.paper.arxiv_id or "")
        if base is None:
            continue
        patch = _patch(base, item.paper)
        patches[patch.canonical_id] = patch
        report.summaries += bool(patch.ai_summary)
        report.code += bool(patch.links.get("code"))


async def _from_semantic_scholar(app: App, wanted: dict[str, PaperRecord], report: EnrichReport,
                                 patches: dict[str, PaperRecord]) -> None:
    # Papers Hugging Face already summarised need no second summary.
    todo = [arxiv for arxiv, record in wanted.items()
            if not (patches.get(record.canonical_id) and patches[record.canonical_id].ai_summary)]
    batch = await SemanticScholarSource(app.sources.semantic_scholar).papers_batch(
        [f"ARXIV:{arxiv}" for arxiv in todo[:MAX_TLDR_PAPERS]], fields=TLDR_FIELDS)
    for found in batch.found.values():
        base = wanted.get(found.arxiv_id or "")
        if base is None or not found.tldr:
            continue
        key = base.canonical_id
        patches[key] = replace(patches[key], tldr=found.tldr) if key in patches else _patch(base, found)
        report.summaries += 1


async def enrich_papers(app: App, day: date | None, records: Sequence[PaperRecord]) -> EnrichReport:
    """Add what Hugging Face and Semantic Scholar know about the day's new papers to the stored ones."""
    report = EnrichReport()
    seconds = app.settings.enrich_deadline_s
    wanted = {r.arxiv_id: r for r in records if r.arxiv_id and r.is_new_announcement}
    if seconds <= 0 or not wanted:
        return report
    patches: dict[str, PaperRecord] = {}
    failed: list[str] = []
    with deadline(seconds):
        steps = [("Hugging Face", lambda: _from_huggingface(app, day, wanted, report, patches))] if day else []
        steps.append(("Semantic Scholar", lambda: _from_semantic_scholar(app, wanted, report, patches)))
        for name, step in steps:
            try:
                await step()
            except SourceError as error:
                log.info("ingest: %s extras left out: %s %s", name, error.source, error.message)
                failed.append(name)
    report.failed = tuple(failed)
    if patches:
        async with app.db.session() as session:
            await repos.upsert_papers(session, list(patches.values()), now=app.now())
            await session.commit()
    return report
