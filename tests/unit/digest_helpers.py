"""Small builders shared by the digest tests: papers and subscriptions as a channel would have them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from core.digest.matching import SubscriptionSpec
from core.model.papers import AuthorRef, PaperRecord
from core.sources.arxiv_feed import parse_feed

FEED = "arxiv_rss/rss_all_archives_2024-11-28.xml"
DAY = date(2024, 11, 28)


def load_feed(recordings: Path) -> tuple[PaperRecord, ...]:
    return parse_feed((recordings / FEED).read_bytes()).items


def paper(
    arxiv_id: str,
    title: str,
    abstract: str = "",
    categories: tuple[str, ...] = ("cs.LG",),
    authors: tuple[str | AuthorRef, ...] = (),
    announce: str = "new",
    versions: tuple[int, ...] = (1,),
    announced: date = DAY,
) -> PaperRecord:
    return PaperRecord(
        title=title, arxiv_id=arxiv_id, abstract=abstract, categories=categories,
        primary_category=categories[0] if categories else None,
        authors=tuple(a if isinstance(a, AuthorRef) else AuthorRef(a) for a in authors),
        announce_type=announce, versions=versions, announced=announced, sources=("arxiv",),
    )  # fmt: skip


def topic(number: int, text: str, destination: int = 1) -> SubscriptionSpec:
    return SubscriptionSpec.from_stored(destination, number, "topic", text)


def category(number: int, code: str, destination: int = 1) -> SubscriptionSpec:
    return SubscriptionSpec.from_stored(destination, number, "category", code)


def researcher(number: int, name: str, *variants: str, destination: int = 1, openalex_id: str | None = None,
               orcid: str | None = None) -> SubscriptionSpec:
    return SubscriptionSpec.from_stored(destination, number, "researcher", display_name=name,
                                        name_variants=variants, openalex_id=openalex_id, orcid=orcid)
