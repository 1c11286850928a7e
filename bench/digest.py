"""Daily digest build time at 1k, 10k and 100k subscriptions against a real day of arXiv (1,504 papers).

The subscription mix is generated from the feed itself, deterministically: topic queries made of frequent
real words and bigrams (phrases, AND, OR, exclusions, cat:), categories (a few archive wildcards among
them), researchers taken from the feed's real author names (written as display name, initials, or
"Surname, Given") plus people who are not in the feed. Popularity is Zipf-like, so many channels share a
query, as they do in practice. About ten subscriptions per destination; a fifth of the destinations turn
cross-lists off and a fifth turn updates off.

Timed: everything a digest run does in memory (index the batch, match, dedupe, rank) for all
destinations. Also timed at 10k: a naive loop in which each subscription scans every paper with regexes
compiled from its query. Goals: 100k under 2 s; at least 50x faster than naive at 10k.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import os
import random
import re
import statistics
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.digest.blend import affinities_many
from core.digest.content import ContentSpace
from core.digest.matching import (
    DigestMatch,
    DigestMatcher,
    DigestOptions,
    SubscriptionSpec,
    build_digests,
    results_kept_unscanned,
)
from core.digest.plan import PlannedItem
from core.digest.profile import ChannelProfile, blend_weight, learn_profile
from core.digest.select import arrange
from core.model.papers import PaperRecord
from core.sources.arxiv_feed import parse_feed
from core.subscriptions.text import tokenize

FEED = "arxiv_rss/rss_all_archives_2024-11-28.xml"
SIZES = (1_000, 10_000, 100_000)
PER_DESTINATION = 10
SEED = 20241128

_STOP = frozenset("""
a an the of and or in on for to with by from as at is are be been was were this that these those we our
it its their which such can also using based via into than then there here both between while however
not no more most other over under through each all any one two new show shown study paper propose
proposed present results result approach method methods work has have had will may use used where when
how what do does e g i et al 1 2 3 4 5 10 first second find found well only many some further within
without upon about across among along than very but so if thus due per up out different provide
""".split())


def recordings() -> Path:
    configured = os.environ.get("RADAR_RECORDINGS")
    return Path(configured) if configured else Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"


# ---------------------------------------------------------------- the generated subscription mix


class _Zipf:
    """Draw items by rank with weight 1/(rank+1)^s: a few popular items, a long tail."""

    def __init__(self, items: Sequence[Any], s: float = 1.0) -> None:
        self.items = items
        self.cumulative = list(itertools.accumulate(1.0 / (rank + 1) ** s for rank in range(len(items))))

    def draw(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def _vocabulary(papers: Sequence[PaperRecord]) -> tuple[list[str], list[tuple[str, str]], dict[str, list[str]]]:
    """Subject words and bigrams of the day, most frequent first, and the categories each bigram occurs in.

    People subscribe to subjects ("score matching", "exoplanet"), which is what titles name; abstracts add
    the connective vocabulary of every paper ("although", "extensive experiments"). So the terms come from
    titles (in at least two of them), and a word in more than a tenth of all papers is not a subject.
    """
    everywhere: Counter[str] = Counter()
    words: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    categories_of: dict[str, Counter[str]] = {}
    for paper in papers:
        title = tokenize(paper.title)
        everywhere.update(set(title) | set(tokenize(paper.abstract)))
        # Sorted: set order changes with string hashing, and the mix must be the same on every run.
        words.update(sorted({t for t in title if t not in _STOP and t.isalpha() and len(t) > 2}))
        pairs = sorted({(a, b) for a, b in itertools.pairwise(title)
                        if a not in _STOP and b not in _STOP and a.isalpha() and b.isalpha() and a != b})
        bigrams.update(pairs)
        for pair in pairs:
            categories_of.setdefault(" ".join(pair), Counter()).update(paper.categories)
    common = len(papers) // 10
    word_list = [w for w, n in words.most_common() if n >= 2 and everywhere[w] <= common]
    bigram_list = [b for b, n in bigrams.most_common() if n >= 2]
    top_categories = {text: [c for c, _ in counts.most_common(2)] for text, counts in categories_of.items()}
    return word_list, bigram_list, top_categories


def _topic_pool(papers: Sequence[PaperRecord], size: int, rng: random.Random, skew: float) -> list[str]:
    """`size` distinct query texts; subjects drawn uniformly (skew 0) or favouring frequent ones."""
    words, bigrams, categories_of = _vocabulary(papers)
    word_pick, bigram_pick = _Zipf(words, skew), _Zipf(bigrams, skew)
    pool: dict[str, None] = {}
    while len(pool) < size:
        a, b = bigram_pick.draw(rng)
        shape = rng.random()
        if shape < 0.30:
            text = f'"{a} {b}"'
        elif shape < 0.50:
            text = f"{a} {b}"
        elif shape < 0.62:
            text = word_pick.draw(rng)
        elif shape < 0.74:
            c, d = bigram_pick.draw(rng)
            text = f'"{a} {b}" OR "{c} {d}"' if rng.random() < 0.5 else f'"{a} {b}" OR {word_pick.draw(rng)}'
        elif shape < 0.87:
            excluded = word_pick.draw(rng)
            text = f'"{a} {b}" -{excluded}' if excluded not in (a, b) else f'"{a} {b}" -survey'
        else:
            cats = categories_of.get(f"{a} {b}") or ["cs.LG"]
            text = f"{a} {b} cat:{rng.choice(cats)}"
        pool.setdefault(text)
    return list(pool)


def _category_pool(papers: Sequence[PaperRecord]) -> tuple[list[str], list[float]]:
    counts = Counter(c for paper in papers for c in paper.categories)
    codes = [c for c, _ in counts.most_common()]
    weights = [n ** 0.5 for _, n in counts.most_common()]
    wildcards = ["cs.*", "math.*", "astro-ph.*", "cond-mat.*", "physics.*", "q-bio.*"]
    # Wildcards are rare subscriptions (one in ~100 category subscriptions) but very large ones.
    share = sum(weights) * 0.01 / len(wildcards)
    return codes + wildcards, weights + [share] * len(wildcards)


def _people(papers: Sequence[PaperRecord], rng: random.Random) -> list[tuple[str, list[str]]]:
    names = list(dict.fromkeys(a.name for paper in papers for a in paper.authors if len(a.name.split()) >= 2))
    rng.shuffle(names)
    people: list[tuple[str, list[str]]] = []
    for name in names[:3000]:
        *given, surname = name.split()
        variants = [f"{given[0][0]}. {surname}", f"{surname}, {' '.join(given)}"]
        people.append((name, variants))
    givens = [n.split()[0] for n in names[:500]]
    surnames = [n.split()[-1] for n in names[500:1000]]
    for index in range(1500):
        # Made-up people who publish nothing today: their lookups must cost little and find nothing.
        people.append((f"{givens[index % 500]} {surnames[(index * 7) % 500]}kov", []))
    rng.shuffle(people)
    return people


def generate(papers: Sequence[PaperRecord], count: int, seed: int = SEED, heavy: bool = False,
             ) -> tuple[list[dict[str, Any]], dict[int, DigestOptions]]:
    """`count` stored-subscription rows (as dicts) over count/10 destinations, plus per-destination options.

    Standard mix: every subject named in at least two titles is equally likely to be written into a query,
    and which queries many channels share (Zipf) is independent of how many papers they bring.
    Heavy mix: subjects frequent in the feed are written more often and are the most shared, so the most
    followed queries are also those bringing the most papers (a pessimistic case).
    """
    rng = random.Random(seed)
    pool = _topic_pool(papers, 6000, rng, skew=0.8 if heavy else 0.0)
    if not heavy:
        rng.shuffle(pool)
    topics = _Zipf(pool, 0.9)
    codes, weights = _category_pool(papers)
    people = _Zipf(_people(papers, rng), 0.7)
    rows: list[dict[str, Any]] = []
    options: dict[int, DigestOptions] = {}
    for destination in range(1, count // PER_DESTINATION + 1):
        options[destination] = DigestOptions(include_crosslists=rng.random() >= 0.2,
                                             include_updates=rng.random() >= 0.2)
        for number in range(1, PER_DESTINATION + 1):
            kind = rng.random()
            if kind < 0.6:
                rows.append({"destination_id": destination, "number": number, "kind": "topic",
                             "query": topics.draw(rng)})
            elif kind < 0.8:
                rows.append({"destination_id": destination, "number": number, "kind": "category",
                             "query": rng.choices(codes, weights)[0]})
            else:
                name, variants = people.draw(rng)
                rows.append({"destination_id": destination, "number": number, "kind": "researcher",
                             "display_name": name, "name_variants": variants,
                             "openalex_id": f"A5{zlib.crc32(name.encode()):010d}"})
    return rows, options


def load(rows: Sequence[dict[str, Any]]) -> list[SubscriptionSpec]:
    return [SubscriptionSpec.from_stored(row["destination_id"], row["number"], row["kind"], row.get("query"),
                                         openalex_id=row.get("openalex_id"), display_name=row.get("display_name"),
                                         name_variants=row.get("name_variants", ()))
            for row in rows]


# ---------------------------------------------------------------- the naive baseline


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Words in order, plurals allowed; matched against lowercased text."""
    body = r"\W+".join(re.escape(word.lower()) + r"(?:e?s)?" for word in words)
    return re.compile(r"\b" + body + r"\b")


def _surname(variant: str) -> str:
    return variant.split(",")[0].strip() if "," in variant else variant.split()[-1]


def _naive_matcher(row: dict[str, Any]) -> Callable[[PaperRecord, str], bool]:
    """A per-subscription predicate over (paper, title + abstract), regexes compiled from the query text."""
    kind, text = row["kind"], row.get("query") or ""
    if kind == "category":
        prefix = text[:-1] if text.endswith("*") else None
        return lambda paper, _: any(c == text or (prefix is not None and c.startswith(prefix))
                                    for c in paper.categories)
    if kind == "researcher":
        surnames = [_pattern([_surname(v)]) for v in [row["display_name"], *row["name_variants"]]]
        return lambda paper, _: any(p.search(a.name.lower()) for a in paper.authors for p in surnames)
    groups: list[list[re.Pattern[str]]] = []
    excluded: list[re.Pattern[str]] = []
    categories: list[str] = []
    for part in text.split(" OR "):
        patterns: list[re.Pattern[str]] = []
        for phrase, word in re.findall(r'(-?"[^"]+")|(\S+)', part):
            item = phrase or word
            if item.startswith("cat:"):
                categories.append(item[4:])
                continue
            negative = item.startswith("-")
            words = item.lstrip("-").strip('"').split()
            (excluded if negative else patterns).append(_pattern(words))
        groups.append(patterns)

    def matches(paper: PaperRecord, haystack: str) -> bool:
        if categories and not any(c in paper.categories for c in categories):
            return False
        if not any(all(p.search(haystack) for p in group) for group in groups):
            return False
        return not any(p.search(haystack) for p in excluded)

    return matches


def naive_build(papers: Sequence[PaperRecord], rows: Sequence[dict[str, Any]],
                options: dict[int, DigestOptions]) -> dict[int, list[tuple[str, int]]]:
    """Each subscription scans every paper; dedupe per destination; sort by kind, then reason count, then id."""
    texts = [f"{p.title}\n{p.abstract}".lower() for p in papers]
    gathered: dict[int, dict[str, list[int]]] = {}
    tiers = {"researcher": 0, "topic": 1, "category": 2}
    for row in rows:
        test = _naive_matcher(row)
        opts = options[row["destination_id"]]
        found = gathered.setdefault(row["destination_id"], {})
        for paper, text in zip(papers, texts, strict=True):
            if not opts.include_updates and paper.announce_type in ("replace", "replace-cross"):
                continue
            if test(paper, text):
                found.setdefault(paper.canonical_id, []).append(tiers[row["kind"]])
    return {d: sorted(((pid, min(t)) for pid, t in found.items()), key=lambda x: (x[1], x[0]))
            for d, found in gathered.items()}


# ---------------------------------------------------------------- running it


def _timed(function: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return sorted(times), result


def _build(papers: Sequence[PaperRecord], specs: list[SubscriptionSpec],
           options: dict[int, DigestOptions]) -> dict[int, list[DigestMatch]]:
    digests = build_digests(papers, specs, options)
    # What the caller does next allocates: any garbage collection the run left pending happens here, and is
    # timed with it.
    _ = [[] for _ in range(10_000)]
    return digests


PROFILE_SHAPES = 200  # distinct learned profiles, shared out over the channels that have one


def _profiles(papers: Sequence[PaperRecord], count: int) -> list[ChannelProfile]:
    """Profiles learned from 10 likes each, as a channel's would be (built once; applying them is timed)."""
    rng = random.Random(SEED)
    space = ContentSpace(list(papers))
    return [learn_profile(space, rng.sample(list(papers), 10)) for _ in range(count)]


def _with_profiles(papers: Sequence[PaperRecord], size: int, channels: int) -> tuple[float, float, float, float]:
    """(build s, build + profiles s, turns without profiles s, turns with profiles s) at `size` subscriptions,
    `channels` of whose destinations have a learned profile: each of those gets every matched paper's affinity
    (over the batch's content space, built within the timing) and its turns taken with the blend."""
    rows, options = generate(papers, size)
    specs = load(rows)
    shapes = _profiles(papers, PROFILE_SHAPES)
    gc.collect()
    started = time.perf_counter()
    matcher = DigestMatcher(papers)
    with results_kept_unscanned():
        digests = matcher.digests(specs, options)
    build_s = time.perf_counter() - started
    learned = {destination: shapes[n % PROFILE_SHAPES] for n, destination in enumerate(sorted(digests)[:channels])}
    # As the clock applies them (`plan_many`): every profiled channel of a batch scored together, with the
    # collector paused as for the matching.
    with results_kept_unscanned():
        scores = affinities_many(matcher, [(digests[d], profile) for d, profile in learned.items()])
    affinity = dict(zip(learned, scores, strict=True))
    with_profiles_s = time.perf_counter() - started
    planned = {d: [PlannedItem(match, 0) for match in matches] for d, matches in digests.items()}
    gc.collect()
    started = time.perf_counter()
    for items in planned.values():  # as `plan.select` does: each item filed once, on the item
        arrange(items, 10, filings=[item.filing for item in items])
    turns_s = time.perf_counter() - started
    started = time.perf_counter()
    for destination, items in planned.items():
        profile = learned.get(destination)
        filings = [item.filing for item in items]
        if profile is None:
            arrange(items, 10, filings=filings)
        else:
            arrange(items, 10, affinity=affinity[destination], weight=blend_weight(profile.ratings), filings=filings)
    turns_profiles_s = time.perf_counter() - started
    return build_s, with_profiles_s, turns_s, turns_profiles_s


def _row(label: str, papers: Sequence[PaperRecord], size: int, heavy: bool, repeat: int) -> tuple[float, str]:
    rows, options = generate(papers, size, heavy=heavy)
    load_s, specs = _timed(lambda: load(rows), 1)
    times, digests = _timed(lambda: _build(papers, specs, options), repeat)
    build_s = statistics.median(times)
    sizes = sorted(len(d) for d in digests.values())
    reasons = sum(len(m.reasons) for d in digests.values() for m in d)
    topics = len({id(s.query) for s in specs if s.query is not None})
    line = (f"{label:>13} {len(digests):>6,} {topics:>7,} {sum(sizes):>10,} {reasons:>10,} "
            f"{statistics.mean(sizes):>6.0f} {sizes[len(sizes) * 9 // 10]:>5} {load_s[0]:>7.3f} "
            f"{times[0]:>7.3f} {build_s:>8.3f}")
    return build_s, line


def main() -> int:
    path = recordings() / FEED
    if not path.is_file():
        print(f"recorded feed not found at {path}; set RADAR_RECORDINGS", file=sys.stderr)
        return 2
    papers = parse_feed(path.read_bytes()).items
    print(f"feed: {len(papers)} papers ({path.name}); {PER_DESTINATION} subscriptions per destination "
          f"(60% topics, 20% categories, 20% researchers); {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    print("build = index + match + dedupe + rank for every destination, median of 3 (best also shown)")
    print()
    print(f"{'subscriptions':>13} {'dests':>6} {'topics':>7} {'entries':>10} {'reasons':>10} {'mean':>6} "
          f"{'p90':>5} {'load s':>7} {'best s':>7} {'build s':>8}  growth")
    builds: dict[int, float] = {}
    for size in SIZES:
        builds[size], line = _row(f"{size:,}", papers, size, heavy=False, repeat=3)
        growth = f"{builds[size] / builds[size // 10]:.1f}x per 10x" if size // 10 in builds else "-"
        print(f"{line}  {growth}")
    _, line = _row("100,000 heavy", papers, 100_000, heavy=True, repeat=1)
    print(f"{line}  (popular queries are the busiest: see generate())")
    rows_10k, options_10k = generate(papers, 10_000)
    naive_times, naive = _timed(lambda: naive_build(papers, rows_10k, options_10k), 1)
    naive_s = naive_times[0]
    speedup = naive_s / builds[10_000]
    print()
    print("topics = distinct topic queries; entries = papers over all digests (one per paper and destination);")
    print("reasons = subscription matches behind them; mean / p90 = papers per digest; load = specs from stored")
    print("rows (query texts parse once per process, so later sizes reuse earlier parses)")
    print(f"naive at 10,000 (each subscription scans every paper with regexes compiled from its query): "
          f"{naive_s:.1f} s, {sum(len(d) for d in naive.values()):,} entries; indexed is {speedup:.0f}x faster")
    plain_s, profiled_s, turns_s, turns_profiles_s = _with_profiles(papers, 100_000, 10_000)
    ratio = profiled_s / plain_s
    print(f"with learned profiles for 10,000 channels (every destination at 100,000): build {plain_s:.3f} s, "
          f"with the profiles applied {profiled_s:.3f} s: {ratio:.2f}x (goal <= 1.5x: "
          f"{'met' if ratio <= 1.5 else 'MISSED'})")
    print(f"turns within a cap of 10 (done per channel when the clock plans it): {turns_s:.3f} s over every "
          f"destination without profiles, {turns_profiles_s:.3f} s with the profiles blended in")
    print(f"goals: 100k under 2 s: {'met' if builds[100_000] < 2 else 'MISSED'}; "
          f">=50x faster than naive at 10k: {'met' if speedup >= 50 else 'MISSED'}")
    print(f"BENCH digest build_1k_s={builds[1_000]:.3f} build_10k_s={builds[10_000]:.3f} "
          f"build_100k_s={builds[100_000]:.3f} profiles_10k_s={profiled_s:.3f} profiles_ratio={ratio:.2f} "
          f"select_100k_s={turns_s:.3f} select_profiles_100k_s={turns_profiles_s:.3f} naive_10k_s={naive_s:.2f} naive_speedup_10k={speedup:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
