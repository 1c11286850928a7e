"""The indexed matcher must give exactly what checking every subscription against every paper gives.

The reference below is the slow, obvious loop: for each subscription and each paper, `query.match` on the
tokenised text, `matching_category` on the categories, and a name comparison per author. The matcher's
index, shared tables and merging must not change a single (destination, paper) pair, reason or why line.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.digest.matching import DigestOptions, SubscriptionSpec, build_digests
from core.digest.names import names_compatible, parse_name
from core.ids import normalize_openalex_id
from core.model.papers import AuthorRef, PaperRecord
from core.subscriptions.categories import matching_category
from core.subscriptions.query import QueryError, match
from core.subscriptions.text import tokenize
from tests.unit.digest_helpers import load_feed, paper

Reason = tuple[str, int, str]
Digests = dict[int, dict[str, list[Reason]]]


def _researcher_reason(spec: SubscriptionSpec, record: PaperRecord) -> str | None:
    wanted = normalize_openalex_id(spec.openalex_id) if spec.openalex_id else None
    variants = [parse_name(v) for v in (spec.display_name, *spec.name_variants) if v]
    by_name = False
    for author in record.authors:
        known = normalize_openalex_id(author.openalex_id) if author.openalex_id else None
        if wanted and known == wanted:
            return "id"
        if wanted and known and known != wanted:
            continue
        by_name = by_name or any(names_compatible(v, parse_name(author.name)) for v in variants)
    return "name" if by_name else None


def naive(papers: Sequence[PaperRecord], specs: Sequence[SubscriptionSpec],
          options: dict[int, DigestOptions]) -> Digests:
    tokens = [(tokenize(p.title), tokenize(p.abstract)) for p in papers]
    found: Digests = {spec.destination_id: {} for spec in specs}
    for spec in specs:
        wants = options.get(spec.destination_id, DigestOptions())
        for record, (title, abstract) in zip(papers, tokens, strict=True):
            if not wants.include_updates and record.announce_type in ("replace", "replace-cross"):
                continue
            text: str | None = None
            if spec.kind == "topic":
                assert spec.query is not None
                result = match(spec.query, title, abstract, record.categories)
                text = f"topic #{spec.number}: {result.why()}" if result else None
            elif spec.kind == "category":
                assert spec.category is not None
                if matching_category((spec.category,), record.categories):
                    primary = matching_category((spec.category,), (record.primary_category or "",))
                    cross = primary is None or record.announce_type in ("cross", "replace-cross")
                    text = None if cross and not wants.include_crosslists else "category"
            else:
                how = _researcher_reason(spec, record)
                text = f"researcher by {how}" if how else None
            if text is not None:
                found[spec.destination_id].setdefault(record.canonical_id, []).append((spec.kind, spec.number, text))
    return found


def indexed(papers: Sequence[PaperRecord], specs: Sequence[SubscriptionSpec],
            options: dict[int, DigestOptions]) -> Digests:
    result: Digests = {}
    for destination, digest in build_digests(papers, specs, options).items():
        entries = result[destination] = {}
        for entry in digest:
            reasons = []
            for reason in entry.reasons:
                if reason.kind == "topic":
                    text = reason.text
                elif reason.kind == "category":
                    text = "category"
                else:
                    text = f"researcher by {'name' if reason.by_name else 'id'}"
                reasons.append((reason.kind, reason.number, text))
            entries[entry.paper_id] = reasons
    return result


def assert_same(papers: Sequence[PaperRecord], specs: Sequence[SubscriptionSpec],
                options: dict[int, DigestOptions]) -> int:
    expected, got = naive(papers, specs, options), indexed(papers, specs, options)
    assert set(got) == set(expected)
    pairs = 0
    for destination, entries in expected.items():
        assert set(got[destination]) == set(entries), destination
        for paper_id, reasons in entries.items():
            assert sorted(got[destination][paper_id]) == sorted(reasons), (destination, paper_id)
            pairs += 1
    return pairs


# ------------------------------------------------------------------------------------------ the real feed


def _mix(papers: Sequence[PaperRecord], count: int, seed: int) -> tuple[list[SubscriptionSpec], dict[int, DigestOptions]]:
    """Subscriptions built from the feed's own words, categories and authors, with every query feature."""
    rng = random.Random(seed)
    titles = [tokenize(p.title) for p in papers]
    bigrams = sorted({f"{a} {b}" for words in titles for a, b in itertools.pairwise(words)
                      if len(a) > 3 and len(b) > 3})
    words = sorted({w for words in titles for w in words if len(w) > 4})
    codes = [*sorted({c for p in papers for c in p.categories}), "cs.*", "math.*", "cs.IT", "math.IT", "eess.SY"]
    authors = sorted({a.name for p in papers for a in p.authors if len(a.name.split()) >= 2})
    shapes = [
        lambda: f'"{rng.choice(bigrams)}"',
        lambda: rng.choice(bigrams),
        lambda: rng.choice(words),
        lambda: f'"{rng.choice(bigrams)}" OR {rng.choice(words)}',
        lambda: f"{rng.choice(words)} OR {rng.choice(words)} OR {rng.choice(words)}",
        lambda: f'{rng.choice(words)} -{rng.choice(words)} -"{rng.choice(bigrams)}"',
        lambda: f"{rng.choice(bigrams)} cat:{rng.choice(codes)}",
        lambda: f"{rng.choice(words)} cat:cs.*,stat.ML",
    ]
    specs: list[SubscriptionSpec] = []
    options: dict[int, DigestOptions] = {}
    for index in range(count):
        destination, number = index // 8 + 1, index % 8 + 1
        options[destination] = DigestOptions(destination % 3 != 0, destination % 4 != 0)
        kind = rng.random()
        if kind < 0.55:
            try:
                specs.append(SubscriptionSpec.from_stored(destination, number, "topic", rng.choice(shapes)()))
            except QueryError:  # a word both asked for and excluded
                continue
        elif kind < 0.8:
            specs.append(SubscriptionSpec.from_stored(destination, number, "category", rng.choice(codes)))
        else:
            *given, surname = rng.choice(authors).split()
            spelling = rng.choice([" ".join([*given, surname]), f"{surname}, {' '.join(given)}",
                                   f"{given[0][0]}. {surname}", f"{rng.choice(words).title()} {surname}"])
            specs.append(SubscriptionSpec.from_stored(destination, number, "researcher", display_name=spelling))
    return specs, options


@pytest.mark.parametrize("seed", [1, 2])
def test_index_equals_naive_loop_on_the_real_feed(recordings: Path, seed: int) -> None:
    papers = load_feed(recordings)
    specs, options = _mix(papers, 300, seed)
    assert assert_same(papers, specs, options) > 500


# ------------------------------------------------------------------------------------------ generated papers

WORDS = ["graph", "neural", "network", "diffusion", "model", "score", "matching", "quantum", "spin", "survey"]
CATEGORIES = ["cs.LG", "stat.ML", "cs.IT", "math.IT", "cs.SY", "eess.SY", "hep-th", "cs.CV"]
NAMES = ["Yoshua Bengio", "Y. Bengio", "Samy Bengio", "Bengio, Yoshua", "Jean-Pierre Serre", "J. P. Serre",
         "Frédéric Mila", "Frederic Mila", "Ada Lovelace"]

texts = st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)
records = st.builds(
    lambda index, title, abstract, cats, names, announce, oa: paper(
        f"2411.{index:05d}", title or "untitled", abstract, tuple(dict.fromkeys(cats)),
        tuple(AuthorRef(n, openalex_id="A5000000001" if oa and n.endswith("Bengio") else None) for n in names),
        announce),
    st.integers(0, 10), texts, texts, st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3),
    st.lists(st.sampled_from(NAMES), max_size=3), st.sampled_from(["new", "cross", "replace", "replace-cross"]),
    st.booleans(),
)
terms = st.sampled_from(WORDS)
query_texts = st.one_of(
    st.lists(terms, min_size=1, max_size=3).map(" ".join),
    st.tuples(terms, terms).map(lambda p: f'"{p[0]} {p[1]}"'),
    st.tuples(terms, terms, terms).map(lambda p: f"{p[0]} OR {p[1]} -{p[2]}"),
    st.tuples(terms, terms, st.sampled_from([*CATEGORIES, "cs.*"])).map(lambda p: f'"{p[0]} {p[1]}" cat:{p[2]}'),
)
stored = st.one_of(
    st.tuples(st.just("topic"), query_texts, st.none()),
    st.tuples(st.just("category"), st.sampled_from([*CATEGORIES, "cs.*", "math.*", "eess.*"]), st.none()),
    st.tuples(st.just("researcher"), st.sampled_from(NAMES), st.sampled_from([None, "A5000000001"])),
)


def _spec(destination: int, number: int, row: tuple[str, str, str | None]) -> SubscriptionSpec | None:
    kind, text, openalex = row
    try:
        if kind == "researcher":
            return SubscriptionSpec.from_stored(destination, number, kind, display_name=text, openalex_id=openalex)
        return SubscriptionSpec.from_stored(destination, number, kind, text)
    except QueryError:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(papers=st.lists(records, max_size=12, unique_by=lambda r: r.arxiv_id),
       rows=st.lists(st.tuples(st.integers(1, 3), stored), max_size=12),
       flags=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=3, max_size=3))
def test_index_equals_naive_loop_on_generated_papers(
        papers: list[PaperRecord], rows: list[tuple[int, tuple[str, str, str | None]]],
        flags: list[tuple[bool, bool]]) -> None:
    specs = [s for number, (destination, row) in enumerate(rows, 1) if (s := _spec(destination, number, row))]
    options = {d: DigestOptions(cross, updates) for d, (cross, updates) in enumerate(flags, 1)}
    assert_same(papers, specs, options)
