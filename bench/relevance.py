"""Does a channel's profile find what it likes? Themes of the real 2024-11-28 feed, liked k at a time.

A channel that receives the whole day (1,504 papers, every archive) likes k papers of a theme; the rest of the
theme is hidden among the day's other papers. Ranked by the profile learned from those k likes, how many hidden
theme papers are in the top 50, against the channel's order without a profile (the digest's own order for a
category subscription: newest first, then by id)?

Themes come from the feed itself: a few categories of 45-70 papers (a category is a strong hint, as it would be
for a real group), and the papers a hidden topic query matches ("black hole", "video", "3d", "diffusion"; the
channel never typed these words). recall50 = hidden theme papers in the top 50 / min(50, hidden ones), averaged
over the themes large enough for that k (at least k + 10 papers). lift = learned hits / unlearned hits at k=10,
over all themes.

Ends with `BENCH relevance themes=N recall50_k5=... recall50_k10=... recall50_k40=... lift_k10=... build_ms=...`
(build_ms: the day's content space, built once and shared by every channel; profile_ms and apply_ms: learning
one channel's profile from 10 likes, and scoring the whole day against it).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, recordings
from core.digest.content import ContentSpace
from core.digest.matching import DigestMatcher, SubscriptionSpec
from core.digest.profile import learn_profile
from core.model.papers import PaperRecord
from core.sources.arxiv_feed import parse_feed

FEED = "arxiv_rss/rss_all_archives_2024-11-28.xml"
CATEGORY_THEMES = ("cs.RO", "eess.SP", "gr-qc", "hep-ph")
QUERY_THEMES = ("black hole", "video", "3d", "diffusion")
KS = (5, 10, 40)
TOP = 50
SEED = 17


def themes(papers: Sequence[PaperRecord]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for code in CATEGORY_THEMES:
        found[f"category {code}"] = [i for i, p in enumerate(papers) if code in p.categories]
    matcher = DigestMatcher(papers)
    position = {p.canonical_id: i for i, p in enumerate(papers)}
    for text in QUERY_THEMES:
        spec = SubscriptionSpec.from_stored(1, 1, "topic", text)
        found[f"query {text!r}"] = sorted(position[m.paper_id] for m in matcher.matches(spec))
    return found


def _order(papers: Sequence[PaperRecord]) -> list[int]:
    """The digest's order for a category subscription: newest announcement first, then by id."""
    return sorted(range(len(papers)), key=lambda i: (-(papers[i].announced or 0).toordinal()
                                                     if papers[i].announced else 0, papers[i].canonical_id))


def trial(space: ContentSpace, papers: Sequence[PaperRecord], theme: list[int], k: int,
          rng: random.Random) -> tuple[int, int, int]:
    """(hidden papers in the learned top 50, in the unlearned top 50, hidden papers in all)."""
    shuffled = theme[:]
    rng.shuffle(shuffled)
    liked, hidden = set(shuffled[:k]), set(shuffled[k:])
    profile = learn_profile(space, [papers[i] for i in sorted(liked)])
    affinity = profile.affinity(space.reference)
    baseline = [i for i in _order(papers) if i not in liked]
    place = {paper: rank for rank, paper in enumerate(baseline)}
    learned = sorted(baseline, key=lambda i: (-affinity[i], place[i]))
    return len(hidden & set(learned[:TOP])), len(hidden & set(baseline[:TOP])), len(hidden)


def main() -> int:
    papers = parse_feed((recordings() / FEED).read_bytes()).items
    started = time.perf_counter()
    space = ContentSpace(papers)
    build_ms = (time.perf_counter() - started) * 1000
    rng = random.Random(SEED)
    found = themes(papers)
    print(f"feed: {len(papers)} papers; {machine()}")
    print(f"{'theme':<26} {'size':>5} " + " ".join(f"{'k=' + str(k):>17}" for k in KS))
    recalls: dict[int, list[float]] = {k: [] for k in KS}
    hits_k10 = [0, 0]
    for name, theme in found.items():
        cells = []
        for k in KS:
            if len(theme) < k + 10:
                cells.append(f"{'-':>17}")
                continue
            learned, unlearned, hidden = trial(space, papers, theme, k, rng)
            recalls[k].append(learned / min(TOP, hidden))
            if k == 10:
                hits_k10[0] += learned
                hits_k10[1] += unlearned
            cells.append(f"{learned:>3}/{min(TOP, hidden):<3} (was {unlearned:>2})".rjust(17))
        print(f"{name:<26} {len(theme):>5} " + " ".join(cells))
    liked = [papers[i] for i in found["query 'video'"][:10]]
    started = time.perf_counter()
    profile = learn_profile(space, liked)
    profile_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    profile.affinity(space.reference)
    apply_ms = (time.perf_counter() - started) * 1000
    means = {k: statistics.mean(values) if values else 0.0 for k, values in recalls.items()}
    lift = hits_k10[0] / max(hits_k10[1], 1)
    print("recall50 (hidden theme papers in the top 50, share of those that fit): "
          + ", ".join(f"k={k} {means[k]:.2f}" for k in KS))
    print(f"k=10: {hits_k10[0]} hidden papers in the learned top 50s against {hits_k10[1]} unlearned: {lift:.1f}x")
    print(f"goals at k=10: recall >= 0.5: {'met' if means[10] >= 0.5 else 'MISSED'}; "
          f"lift >= 10x: {'met' if lift >= 10 else 'MISSED'}")
    print(f"BENCH relevance themes={len(found)} recall50_k5={means[5]:.2f} recall50_k10={means[10]:.2f} "
          f"recall50_k40={means[40]:.2f} lift_k10={lift:.1f} build_ms={build_ms:.0f} profile_ms={profile_ms:.1f} "
          f"apply_ms={apply_ms:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
