"""Benchmark: turn a real day of arXiv announcements (1,504 items, all archives) into PaperRecords.

Both contenders do the whole job, parse and normalise: ours is `parse_feed`; the baseline is feedparser followed
by the same normalisation (ids, versions, cleaned text, split authors, categories, DOI, dates) built from our
public helpers. feedparser's bare parse is shown too, so the comparison can be read either way. Timings are
medians of several runs in one process; peak memory is our parse under tracemalloc.

Run: .venv/bin/python bench/parse_feed.py   (the recordings come from RADAR_RECORDINGS or ../shared/fixtures)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable from a plain checkout, not only from an installed one
    sys.path.insert(0, str(ROOT))

from core.ids import InvalidId, parse_arxiv_id  # noqa: E402
from core.model.papers import PaperRecord  # noqa: E402
from core.sources.arxiv_feed import parse_feed  # noqa: E402
from core.sources.arxiv_text import clean_whitespace, eastern_date, first_doi, split_authors  # noqa: E402

FEED = Path("arxiv_rss") / "rss_all_archives_2024-11-28.xml"
OURS_RUNS = 15
FEEDPARSER_RUNS = 5


def feed_path() -> Path:
    configured = os.environ.get("RADAR_RECORDINGS")
    base = Path(configured) if configured else ROOT.parent / "shared" / "fixtures"
    return base / FEED


def _feedparser_record(entry: Any) -> PaperRecord | None:
    try:
        arxiv_id = parse_arxiv_id(str(entry.get("id", "")).removeprefix("oai:arXiv.org:"))
    except InvalidId:
        return None
    summary = str(entry.get("summary", ""))
    abstract = summary.split("Abstract:", 1)[1] if "Abstract:" in summary else summary
    categories = tuple(dict.fromkeys(tag["term"] for tag in entry.get("tags", []) if tag.get("term")))
    return PaperRecord(
        title=clean_whitespace(entry.get("title")),
        arxiv_id=arxiv_id.base,
        doi=first_doi(entry.get("arxiv_doi")),
        versions=(arxiv_id.version,) if arxiv_id.version else (),
        abstract=clean_whitespace(abstract),
        authors=split_authors(entry.get("author")),
        categories=categories,
        primary_category=categories[0] if categories else None,
        announce_type=entry.get("arxiv_announce_type"),
        announced=eastern_date(entry.get("published")),
        journal_ref=clean_whitespace(entry.get("arxiv_journal_reference")) or None,
        sources=("arxiv",),
        links={"abs": arxiv_id.abs_url, "pdf": arxiv_id.pdf_url},
    )


def time_runs(job: Callable[[], int], runs: int) -> tuple[list[float], int]:
    job()  # warm caches and imports outside the measurement
    times, items = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        items = job()
        times.append((time.perf_counter() - start) * 1000)
    return times, items


def peak_memory_mb(job: Callable[[], int]) -> float:
    tracemalloc.start()
    try:
        job()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def main() -> int:
    path = feed_path()
    if not path.is_file():
        print(f"recorded feed not found at {path}; set RADAR_RECORDINGS to the shared fixtures folder", file=sys.stderr)
        return 2
    try:
        import feedparser
    except ImportError:
        print("feedparser is not installed (it is a dev dependency: pip install -e '.[dev]')", file=sys.stderr)
        return 2
    data = path.read_bytes()

    def ours() -> int:
        return len(parse_feed(data).items)

    def feedparser_only() -> int:
        return len(feedparser.parse(data).entries)

    def feedparser_normalised() -> int:
        return sum(1 for entry in feedparser.parse(data).entries if _feedparser_record(entry) is not None)

    rows = [
        ("ours: parse_feed (parse + normalise)", *time_runs(ours, OURS_RUNS)),
        ("feedparser: parse + normalise", *time_runs(feedparser_normalised, FEEDPARSER_RUNS)),
        ("feedparser: parse only", *time_runs(feedparser_only, FEEDPARSER_RUNS)),
    ]
    peak = peak_memory_mb(ours)

    print(f"feed: {path.name} ({len(data) / 1e6:.1f} MB)")
    print(f"{'contender':<38} {'runs':>4} {'median ms':>10} {'min ms':>8} {'items':>6}")
    for label, times, items in rows:
        print(f"{label:<38} {len(times):>4} {statistics.median(times):>10.1f} {min(times):>8.1f} {items:>6}")
    ours_ms = statistics.median(rows[0][1])
    baseline_ms = statistics.median(rows[1][1])
    bare_ms = statistics.median(rows[2][1])
    print(f"speedup vs feedparser parse + normalise: {baseline_ms / ours_ms:.1f}x; vs its bare parse: {bare_ms / ours_ms:.1f}x")
    print(f"peak traced memory of our parse: {peak:.1f} MB")
    print(
        f"BENCH parse_feed items={rows[0][2]} ours_ms={ours_ms:.1f} feedparser_ms={baseline_ms:.1f} "
        f"speedup={baseline_ms / ours_ms:.1f} peak_mb={peak:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
