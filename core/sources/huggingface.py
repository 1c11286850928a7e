"""Hugging Face daily papers: what the ML community is upvoting on a given day.

`/api/daily_papers?date=YYYY-MM-DD` lists the day's submitted papers (arXiv ids) with upvotes. The shape grew
over time: 2024 answers carry `paper.upvotes` and no code links; 2026 answers add `githubRepo`,
`projectPage`, `githubStars`, `ai_summary` and the submitting organization. Both parse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.ids import InvalidId, parse_arxiv_id
from core.model.papers import AuthorRef, PaperRecord
from core.sources.http import NotFound, SourceClient, Unavailable
from core.sources.parsing import (
    MalformedItem,
    as_dict,
    as_int,
    as_list,
    clean_text,
    parse_items,
    parse_timestamp,
)

log = logging.getLogger(__name__)

SOURCE = "huggingface"
PAPER_PAGE = "https://huggingface.co/papers/{id}"


@dataclass(frozen=True)
class TrendingPaper:
    """One paper of the day, with the community signals the daily list adds to it."""

    paper: PaperRecord
    upvotes: int
    github_url: str | None = None
    project_url: str | None = None
    thumbnail_url: str | None = None
    github_stars: int | None = None
    num_comments: int = 0
    ai_summary: str | None = None
    organization: str | None = None

    @property
    def hf_url(self) -> str:
        return PAPER_PAGE.format(id=self.paper.arxiv_id)


class HuggingFaceSource:
    def __init__(self, client: SourceClient) -> None:
        self.client = client

    async def daily_papers(self, day: date | None = None) -> list[TrendingPaper]:
        """The day's papers, most upvoted first (the latest day when `day` is None); [] on a quiet day."""
        params = {"date": day.isoformat()} if day is not None else None
        data = await self.client.get_json("api/daily_papers", params)
        if not isinstance(data, list):
            raise Unavailable(self.client.name, "answered the daily papers in an unexpected shape")
        items, _ = parse_items(data, parse_daily_item, source=SOURCE, what="daily paper")
        return rank_trending(items)


    async def paper_page(self, arxiv_id: str) -> TrendingPaper | None:
        """The paper's Hugging Face page (code and project links), or None when Hugging Face has none."""
        try:
            data = await self.client.get_json(f"api/papers/{parse_arxiv_id(arxiv_id).base}")
        except NotFound:
            return None
        try:
            return parse_daily_item({"paper": as_dict(data)})
        except MalformedItem:
            return None


def rank_trending(items: list[TrendingPaper]) -> list[TrendingPaper]:
    """Most upvoted first; comments then the arXiv id break ties so the order is stable day to day."""
    unique: dict[str | None, TrendingPaper] = {}
    for item in items:
        unique.setdefault(item.paper.arxiv_id, item)
    return sorted(unique.values(), key=lambda t: (-t.upvotes, -t.num_comments, t.paper.arxiv_id or ""))


def parse_daily_item(item: dict[str, Any]) -> TrendingPaper:
    """One entry of either shape; raises `MalformedItem` without an arXiv id or a title."""
    paper = as_dict(item.get("paper"))
    try:
        arxiv = parse_arxiv_id(str(paper.get("id") or ""))
    except InvalidId as exc:
        raise MalformedItem(f"no arXiv id ({exc})") from exc
    title = clean_text(paper.get("title")) or clean_text(item.get("title"))
    if not title:
        raise MalformedItem(f"paper {arxiv} has no title")
    github = _url(paper.get("githubRepo"))
    project = _url(paper.get("projectPage"))
    links = {"huggingface": PAPER_PAGE.format(id=arxiv.base)}
    links.update({k: v for k, v in (("code", github), ("project", project)) if v})
    authors = tuple(
        AuthorRef(name=name)
        for name in (clean_text(as_dict(a).get("name")) for a in as_list(paper.get("authors")))
        if name
    )
    record = PaperRecord(
        title=title,
        arxiv_id=arxiv.base,
        versions=(arxiv.version,) if arxiv.version else (),
        abstract=clean_text(paper.get("summary")) or clean_text(item.get("summary")),
        authors=authors,
        published=parse_timestamp(paper.get("publishedAt")) or parse_timestamp(item.get("publishedAt")),
        sources=(SOURCE,),
        links=links,
        ai_summary=clean_text(paper.get("ai_summary")) or None,
        code_stars=as_int(paper.get("githubStars")) if github else None,
    )
    upvotes = as_int(paper.get("upvotes"))
    return TrendingPaper(
        paper=record,
        upvotes=max(0, upvotes if upvotes is not None else as_int(item.get("upvotes")) or 0),
        github_url=github,
        project_url=project,
        thumbnail_url=_url(item.get("thumbnail")),
        github_stars=record.code_stars,
        num_comments=as_int(item.get("numComments")) or 0,
        ai_summary=record.ai_summary,
        organization=clean_text(as_dict(item.get("organization") or paper.get("organization")).get("fullname"))
        or None,
    )


def _url(value: Any) -> str | None:
    """Only http(s) links: these land in chat messages as clickable URLs."""
    if isinstance(value, str) and value.strip().lower().startswith(("https://", "http://")):
        return value.strip()
    return None
