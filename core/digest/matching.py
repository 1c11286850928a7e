"""Match every subscription of every channel against one day's papers: one entry per paper, every reason.

The work is organised around sharing, because channels share subscriptions ("diffusion models", cs.LG, a
well-known researcher are followed by many channels at once):

1. the batch is indexed once (`PaperBatch`);
2. each distinct subscription *content* (a topic query, a category, a researcher) is evaluated once against
   the index, giving paper positions with a "why" detail and a relevance score (`core.digest.evaluate`);
3. each destination then only gathers the cached results of its subscriptions, folds them into one entry per
   paper, applies its options (cross-lists, updates) and sorts (`core.digest.rank`).

`DigestMatcher` keeps the caches, so digests for channels in different time zones can be built from one
batch at different hours without redoing steps 1 and 2.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import lru_cache
from math import log1p
from operator import attrgetter, itemgetter
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

from core.digest.content import ContentSpace
from core.digest.evaluate import ContentHit, Evaluator, ResearcherContent
from core.digest.index import UPDATE_TYPES, PaperBatch, author_id_keys
from core.digest.institutions import InstitutionContent
from core.digest.rank import KIND_TIERS, TIER_POSSIBLE, RankKeys, tier_of
from core.digest.similar import ExamplesContent
from core.model.institutions import InstitutionRoster
from core.model.papers import PaperRecord
from core.model.researchers import ResearcherEvidence
from core.subscriptions.categories import is_wildcard, normalize_category, normalize_wildcard
from core.subscriptions.query import TopicQuery, parse_query

__all__ = [
    "DigestMatch", "DigestMatcher", "DigestOptions", "MatchReason", "SubscriptionSpec", "build_digests",
    "results_kept_unscanned",
]

Kind = Literal["topic", "category", "researcher", "similar", "institution"]
_KINDS = ("topic", "category", "researcher", "similar", "institution")


@lru_cache(maxsize=65536)
def _parse_topic(text: str) -> TopicQuery:
    # Many channels store the same query text; parsing it once also lets them share one TopicQuery object,
    # which the matcher then evaluates once.
    return parse_query(text)


@dataclass(frozen=True)
class SubscriptionSpec:
    """One subscription as the matcher needs it. `number` is the short id the channel sees (#3)."""

    destination_id: int
    number: int
    kind: Kind
    query: TopicQuery | None = None
    category: str | None = None  # canonical code, or an archive wildcard such as "cs.*"
    openalex_id: str | None = None
    orcid: str | None = None
    s2_id: str | None = None
    display_name: str = ""
    name_variants: tuple[str, ...] = ()
    examples: ExamplesContent | None = None  # `subscribe similar`: the example papers' vectors and titles
    evidence: ResearcherEvidence | None = None  # None: stored before evidence was kept (nothing known)
    institution: InstitutionContent | None = None  # `follow institution`: its roster

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown subscription kind {self.kind!r}")
        if self.kind == "topic" and self.query is None:
            raise ValueError("a topic subscription needs a query")
        if self.kind == "category":
            # Matching compares canonical codes, so "cs.lg" or "math.IT" made by hand must not silently miss.
            code = _category_code(self.category or "")
            if code != self.category:
                object.__setattr__(self, "category", code)
        if self.kind == "researcher" and self.researcher_name == "?":
            raise ValueError("a researcher subscription needs an id or a name")
        if self.kind == "similar" and self.examples is None:
            raise ValueError("a similar subscription needs its examples")
        if self.kind == "institution" and self.institution is None:
            raise ValueError("an institution subscription needs its id")

    @classmethod
    def from_stored(cls, destination_id: int, number: int, kind: str, query: str | None = None, *,
                    openalex_id: str | None = None, orcid: str | None = None, s2_id: str | None = None,
                    display_name: str | None = None, name_variants: Sequence[str] = (),
                    examples: Mapping[str, Any] | None = None,
                    evidence: ResearcherEvidence | None = None,
                    roster: InstitutionRoster | None = None) -> SubscriptionSpec:
        """Build from the values a subscription row stores (`query` is the topic text or the category code).

        Raises ValueError (a `QueryError` or `UnknownCategory`) when stored text no longer parses.
        """
        if kind == "topic":
            return _filled(destination_id, number, "topic", query=_parse_topic(query or ""))
        if kind == "category":
            return _filled(destination_id, number, "category", category=_category_code(query or ""))
        if kind == "researcher":
            return cls(destination_id, number, "researcher", openalex_id=openalex_id or None,
                       orcid=orcid or None, s2_id=s2_id or None, display_name=display_name or "",
                       name_variants=tuple(v for v in name_variants if v), evidence=evidence)
        if kind == "similar":
            return cls(destination_id, number, "similar", examples=examples_content(query or "", examples))
        if kind == "institution":
            if not openalex_id:
                raise ValueError("an institution subscription needs its id")
            # No roster yet (ingest builds it): nothing is matched, but the subscription is kept and numbered.
            content = InstitutionContent(openalex_id, display_name or openalex_id, roster.members if roster else ())
            return cls(destination_id, number, "institution", openalex_id=openalex_id,
                       display_name=display_name or "", institution=content)
        raise ValueError(f"unknown subscription kind {kind!r}")

    @property
    def researcher_name(self) -> str:
        """The name a why line shows for a followed researcher."""
        for name in (self.display_name, *self.name_variants, self.openalex_id, self.orcid, self.s2_id):
            if name:
                return name
        return "?"


_SPEC_DEFAULTS: dict[str, Any] = {}
_new_spec = object.__new__


def _filled(destination_id: int, number: int, kind: Kind, **values: Any) -> SubscriptionSpec:
    """A topic or category spec whose values are already checked (a parsed query, a canonical category), made
    without the frozen dataclass's `__init__` and `__post_init__`: the clock makes one for each of 100,000
    subscriptions, and those set each of the thirteen fields through `object.__setattr__`."""
    if not _SPEC_DEFAULTS:
        _SPEC_DEFAULTS.update((f.name, f.default) for f in fields(SubscriptionSpec))
    made = _new_spec(SubscriptionSpec)
    made.__dict__.update(_SPEC_DEFAULTS, destination_id=destination_id, number=number, kind=kind, **values)
    return made


@lru_cache(maxsize=4096)
def _category_code(stored: str) -> str:
    """The canonical code of a stored category subscription (raises ValueError, as `SubscriptionSpec` does)."""
    raw = stored.strip().removeprefix("cat:")
    if not raw:
        raise ValueError("a category subscription needs a category")
    return normalize_wildcard(raw) if is_wildcard(raw) else normalize_category(raw)


def examples_content(key: str, stored: Mapping[str, Any] | None) -> ExamplesContent:
    """The examples of a `subscribe similar` as its row stores them ({"vectors": [[indices, weights], ...],
    "titles": [...]}); raises ValueError when they cannot be read."""
    if not isinstance(stored, Mapping):
        raise ValueError("a similar subscription without its examples")
    vectors, titles = stored.get("vectors"), stored.get("titles")
    if not isinstance(vectors, list) or not isinstance(titles, list):
        raise ValueError("a similar subscription without its examples")
    kept = tuple((tuple(int(i) for i in v[0]), tuple(float(w) for w in v[1])) for v in vectors
                 if isinstance(v, list) and len(v) == 2)
    return ExamplesContent(key, kept, tuple(str(t) for t in titles))


@dataclass(frozen=True)
class DigestOptions:
    """A destination's digest settings that change what matches."""

    include_crosslists: bool = True  # False: a category subscription only brings papers primarily in it
    include_updates: bool = True  # False: replaced versions of earlier papers are left out


class MatchReason(NamedTuple):
    """One reason a paper is in a digest: which subscription, and a one-line "why" for people."""

    kind: str  # "researcher" | "topic" | "category"
    number: int  # the subscription's number in its channel
    text: str  # e.g. `follows Yoshua Bengio`, `topic #3: matched "diffusion" in title`, `new in cs.LG`
    by_name: bool = False  # a researcher recognised by name only (no id on the paper to compare)
    score: float = 0.0  # topic relevance (BM25F); 0 for other kinds
    possible: bool = False  # a name match with nothing to judge it by: `possibly by <name>`, ranked last


class DigestMatch(NamedTuple):
    """One paper in one destination's digest, with every reason it is there (best reason first)."""

    paper_id: str  # canonical id: arXiv:<id without version> or doi:<doi>
    paper: PaperRecord
    reasons: tuple[MatchReason, ...]
    score: float  # summed topic relevance; ranking uses it within a tier
    rank: int = 0  # the entry's sort key in its digest (smaller first); only comparable within one batch

    @property
    def announce_type(self) -> str | None:
        return self.paper.announce_type

    @property
    def is_update(self) -> bool:
        """A new version of a paper announced before (arXiv replace / replace-cross)."""
        return self.paper.announce_type in UPDATE_TYPES

    @property
    def followed(self) -> bool:  # by a followed researcher: recognised by id, or by name backed by evidence
        return any(reason.kind == "researcher" and not reason.possible for reason in self.reasons)

    @property
    def possible(self) -> bool:
        """Only here as a "possibly by" name match: every reason is one."""
        return all(reason.possible for reason in self.reasons)

    @property
    def why(self) -> tuple[str, ...]:
        return tuple(reason.text for reason in self.reasons)


_Table = dict[int, DigestMatch]  # paper position → the entry one subscription alone would bring
_NO_TABLE: _Table = {}
_TableKey = tuple[object, int, bool]  # (subscription content, number, cross-lists wanted)


class Ranked(Protocol):
    """What `DigestMatcher.digest_as` reads of the items it is given to make: a `DigestMatch`'s rank and reasons."""

    @property
    def rank(self) -> int: ...
    @property
    def reasons(self) -> tuple[MatchReason, ...]: ...


Item = TypeVar("Item", bound=Ranked)
# NamedTuple's generated __new__ is a Python function; the tuple constructor is the same thing in C, and
# the table loop below builds every shared entry of a run.
_new = tuple.__new__


class DigestMatcher:
    """Matches subscriptions against one batch, caching per-content results across destinations and calls."""

    def __init__(self, batch: PaperBatch | Iterable[PaperRecord]) -> None:
        self.batch = batch if isinstance(batch, PaperBatch) else PaperBatch(batch)
        self.keys = RankKeys(self.batch)
        self.evaluator = Evaluator(self.batch, self.keys)
        # Ready-made entries per (subscription content, number, cross-lists wanted). The number is the only
        # per-channel part of an entry and small numbers recur in every channel, so a popular subscription's
        # entries are built once and shared by every channel where it is a paper's only reason.
        self._tables: dict[_TableKey, _Table] = {}
        self._topic_ids: dict[int, tuple[TopicQuery, int]] = {}
        self._researchers: dict[tuple[object, ...], int] = {}
        self._space: ContentSpace | None = None
        self._position: dict[str, int] | None = None
        # The same tables with each entry made into planning's item (`digest_as`), and how many items they hold.
        self.planned: dict[_TableKey, dict[int, Any]] = {}
        self.planned_count = 0
        self._maker: Callable[[DigestMatch], Any] | None = None  # what made them

    @property
    def space(self) -> ContentSpace:
        """The batch's content space (`core.digest.content`), built on first use: only channels that rated
        papers or subscribe by example need it, and every channel of the batch shares it."""
        if self._space is None:
            self._space = self.evaluator.space
        return self._space

    def position_of(self, paper_id: str) -> int | None:
        """A paper's row in the batch (and in `space.reference`)."""
        return self.positions_of((paper_id,))[0]

    def positions_of(self, paper_ids: Iterable[str]) -> list[int | None]:
        """`position_of` for many papers: the clock asks it for every matched paper of thousands of channels."""
        if self._position is None:
            self._position = {paper_id: pos for pos, paper_id in enumerate(self.batch.ids)}
        return list(map(self._position.get, paper_ids))

    @staticmethod
    def _spec_key(spec: SubscriptionSpec) -> object:
        """What identifies a spec's content for the table cache, cheaply (no evaluation, no query hashing).

        A topic is known by its query object's id: `from_stored` gives equal texts one object, and
        `_content` keeps every query it has seen alive, so an id cannot be reused by another query.
        """
        if spec.kind == "topic":
            return id(spec.query)
        if spec.kind == "category":
            return spec.category
        if spec.kind == "similar":
            return ("similar", spec.examples.key if spec.examples else "")
        if spec.kind == "institution":
            return ("institution", spec.institution)
        return (spec.openalex_id, spec.orcid, spec.s2_id, spec.display_name, spec.evidence, *spec.name_variants)

    def _content(self, spec: SubscriptionSpec) -> int:
        """The evaluator's id for what `spec` follows; equal subscriptions share one id."""
        if spec.kind == "topic":
            query = spec.query
            assert query is not None
            known = self._topic_ids.get(id(query))
            if known is None or known[0] is not query:
                known = (query, self.evaluator.topic(query))
                self._topic_ids[id(query)] = known
            return known[1]
        if spec.kind == "category":
            assert spec.category is not None
            return self.evaluator.category(spec.category)
        if spec.kind == "similar":
            assert spec.examples is not None
            return self.evaluator.similar(spec.examples)
        if spec.kind == "institution":
            assert spec.institution is not None
            return self.evaluator.institution(spec.institution)
        raw = (spec.openalex_id, spec.orcid, spec.s2_id, spec.display_name, spec.evidence, *spec.name_variants)
        slot = self._researchers.get(raw)
        if slot is None:
            content = ResearcherContent(author_id_keys(spec.openalex_id, spec.orcid, spec.s2_id), spec.researcher_name,
                                        (spec.display_name, *spec.name_variants), spec.evidence)
            slot = self._researchers[raw] = self.evaluator.researcher(content)
        return slot

    def matches(self, spec: SubscriptionSpec, options: DigestOptions = DigestOptions()) -> list[DigestMatch]:
        """What `spec` alone brings to a digest with `options`, in batch order (for inspection and tests)."""
        table = self._table(spec, options.include_crosslists)
        updates = () if options.include_updates else self.batch.updates
        return [table[pos] for pos in sorted(table) if pos not in updates]

    def _table(self, spec: SubscriptionSpec, crosslists: bool) -> _Table:
        hits = self.evaluator.hits(self._content(spec))  # first, so the query is kept alive (see _spec_key)
        key = (self._spec_key(spec), spec.number, crosslists)
        found = self._tables.get(key)
        if found is not None:
            return found
        if not hits:
            found = _NO_TABLE
        elif crosslists:
            found = self._build_table(spec, hits)
        elif spec.kind != "category":
            found = self._table(spec, True)  # only category subscriptions bring papers as cross-lists
        else:
            full = self._table(spec, True)
            cross_listed = {pos for pos, _, _, cross, _ in hits if cross}
            # Kept in rank order: a digest's final sort is cheapest on already sorted runs.
            found = {pos: entry for pos, entry in full.items() if pos not in cross_listed} if cross_listed else full
        self._tables[key] = found
        return found

    def _build_table(self, spec: SubscriptionSpec, hits: Sequence[ContentHit]) -> _Table:
        kind, number = spec.kind, spec.number
        ids, papers = self.batch.ids, self.batch.papers
        table: _Table = {}
        # This builds every shared entry of a run, and a run is then bound by memory: objects are shared
        # where the values allow (one text per distinct detail; for categories and researchers one reason).
        if kind == "topic":
            label = f"topic #{number}: "
            texts: dict[str, str] = {}
            for pos, detail, score, _, rank in hits:
                text = texts.get(detail)
                if text is None:
                    text = texts[detail] = label + detail
                reason = _new(MatchReason, (kind, number, text, False, score, False))
                table[pos] = _new(DigestMatch, (ids[pos], papers[pos], (reason,), score, rank))
            return table
        if kind == "similar":
            for pos, detail, score, _, rank in hits:
                reason = _new(MatchReason, (kind, number, detail, False, score, False))
                table[pos] = _new(DigestMatch, (ids[pos], papers[pos], (reason,), score, rank))
            return table
        by_name = kind in ("researcher", "institution")
        # Only a researcher's name match without evidence ranks in the "possible" tier (see `tier_of`).
        possible_from = TIER_POSSIBLE << self.keys.tier_shift
        reasons: dict[str, tuple[MatchReason]] = {}
        for pos, detail, _, flag, rank in hits:
            single = reasons.get(detail)
            if single is None:
                values = (kind, number, detail, flag and by_name, 0.0, by_name and rank >= possible_from)
                single = reasons[detail] = (_new(MatchReason, values),)
            table[pos] = _new(DigestMatch, (ids[pos], papers[pos], single, 0.0, rank))
        return table

    def digests(self, subscriptions: Iterable[SubscriptionSpec],
                options: Mapping[int, DigestOptions] | None = None) -> dict[int, list[DigestMatch]]:
        """Every destination's ranked digest. A destination with subscriptions but no match gets []."""
        grouped: dict[int, list[SubscriptionSpec]] = {}
        for spec in subscriptions:
            found = grouped.get(spec.destination_id)
            if found is None:
                grouped[spec.destination_id] = [spec]
            else:
                found.append(spec)
        options = options or {}
        default = DigestOptions()
        with results_kept_unscanned():
            return {destination: self.digest(specs, options.get(destination, default))
                    for destination, specs in grouped.items()}

    def digest(self, specs: Iterable[SubscriptionSpec],
               options: DigestOptions = DigestOptions()) -> list[DigestMatch]:
        """One destination's digest, one entry per paper, best first; `specs` are that destination's."""
        return self._digest(specs, options, self._tables, self._table, None, _rank)

    def digest_as(self, specs: Iterable[SubscriptionSpec], options: DigestOptions,
                  make: Callable[[DigestMatch], Item], *, kept: int) -> list[Item]:
        """`digest`, each entry made into `make(entry)`: the clock's planning makes an item of every matched paper of
        thousands of channels. An entry one subscription alone brings is shared by every channel with that
        subscription, and so is its item: the tables are kept made (`planned`), so a channel's digest is its
        items already. Past `kept` items (memory, at 100,000 channels), or with another `make`, the made tables
        start afresh."""
        planned = self.planned
        # The made tables are one maker's (`==`: a classmethod is a new bound object at each access).
        if self.planned_count > kept or make != self._maker:
            planned.clear()
            self.planned_count = 0
            self._maker = make

        def made(spec: SubscriptionSpec, crosslists: bool) -> dict[int, Item]:
            table = self._table(spec, crosslists)
            if self.planned_count + len(table) > kept:
                planned.clear()
                self.planned_count = 0
            items = planned[(self._spec_key(spec), spec.number, crosslists)] = {
                pos: make(entry) for pos, entry in table.items()}
            self.planned_count += len(items)
            return items

        return self._digest(specs, options, planned, made, make, _rank_attribute)

    def _digest(self, specs: Iterable[SubscriptionSpec], options: DigestOptions,
                tables: Mapping[_TableKey, Mapping[int, Any]], fill: Callable[[SubscriptionSpec, bool], Mapping[int, Any]],
                make: Callable[[DigestMatch], Any] | None, key: Callable[[Any], int]) -> list[Any]:
        chosen: dict[int, Any] = {}
        shared: dict[int, list[Any]] = {}  # paper position → the single entries to merge
        spec_key = self._spec_key
        crosslists = options.include_crosslists
        for spec in specs:
            # _spec_key, with its commonest case inlined.
            content = id(spec.query) if spec.kind == "topic" else spec_key(spec)
            table = tables.get((content, spec.number, crosslists))
            if table is None:
                table = fill(spec, crosslists)
            if not table:
                continue
            if not chosen:
                chosen = dict(table)  # a straight copy of the first, instead of growing a dict step by step
                continue
            # Set algebra in C finds the papers two subscriptions share; only those need a new entry.
            for pos in chosen.keys() & table.keys():
                found = shared.get(pos)
                if found is None:
                    shared[pos] = [chosen[pos], table[pos]]
                else:
                    found.append(table[pos])
            chosen.update(table)
        if not options.include_updates:
            for pos in self.batch.updates.intersection(chosen):
                del chosen[pos]
                shared.pop(pos, None)
        if shared:
            self._merge(chosen, shared, make)
        # Ranks are unique within a digest (they end with the paper's place in the batch).
        return sorted(chosen.values(), key=key)

    def _merge(self, chosen: dict[int, Any], shared: dict[int, list[Any]],
               make: Callable[[DigestMatch], Any] | None) -> None:
        """Give each paper several subscriptions bring one entry with every reason, the best reason first.

        This runs for every such paper of every channel (a tenth of a large run's entries), so it is
        written for speed: RankKeys.key inlined, and the common two-reason case without a loop.
        """
        ids, papers = self.batch.ids, self.batch.papers
        keys = self.keys
        order = keys.order  # the batch's order with the revision bit: see RankKeys
        order_bits, tier_shift, top, scale = keys.order_bits, keys.tier_shift, keys.top, keys.scale
        for pos, several in shared.items():
            # Reasons are shown by rank (tier, then score), then subscription number.
            if len(several) == 2:
                best, other = several
                if other.rank < best.rank or (other.rank == best.rank
                                              and other.reasons[0].number < best.reasons[0].number):
                    best, other = other, best
                first, second = best.reasons[0], other.reasons[0]
                reasons: tuple[MatchReason, ...] = (first, second)
                score = first.score + second.score
            else:
                several.sort(key=_rank_then_number)
                best = several[0]
                first = best.reasons[0]
                gathered = [first]
                score = first.score
                for entry in several[1:]:
                    reason = entry.reasons[0]
                    gathered.append(reason)
                    score += reason.score
                reasons = tuple(gathered)
            if score == first.score:
                key = best.rank  # same tier, score and paper as the best single entry
            else:
                quantised = min(int(log1p(score) * scale), top) if score > 0 else 0
                tier = tier_of(first.kind, True, first.possible) if first.by_name else KIND_TIERS[first.kind]
                key = (tier << tier_shift) | ((top - quantised) << order_bits) | order[pos]
            entry = _new(DigestMatch, (ids[pos], papers[pos], reasons, score, key))
            chosen[pos] = entry if make is None else make(entry)


def _rank_then_number(entry: DigestMatch) -> tuple[int, int]:
    return entry.rank, entry.reasons[0].number


_rank = itemgetter(4)  # DigestMatch.rank, read the fastest way a sort key can be
_rank_attribute = attrgetter("rank")  # the same of a made item (`digest_as`)


class _Pause:
    """How many `results_kept_unscanned` regions are open (coroutines' regions overlap: the clock's batches in
    flight), and whether the collector was running before the first."""

    open = 0
    resume = False


@contextmanager
def results_kept_unscanned() -> Iterator[None]:
    """Pause the cyclic garbage collector while a run builds its results, then file them as old, unscanned.

    A run makes a million-odd objects that all stay alive in its result and hold no reference cycles. With
    the collector running, it would rescan them again and again as they pile up (as in `parse_feed`); merely
    paused, the next young collection after the run would still walk every one of them, then the middle
    one again (~0.5 s at 100k subscriptions), only to find them alive. `gc.freeze()` + `gc.unfreeze()` moves
    every tracked object to the oldest generation without a scan, where only an occasional full
    collection looks at them, by which time a digest run's results have usually been sent and freed.

    Regions nest and overlap (a crowded minute's batches in flight, each in its region across its awaits): the
    collector stays paused until the last one closes. A full collection walks every live object, the matcher's
    shared tables included (a second at 10,000 channels), so the clock keeps it out of the minute as a whole.

    The price is that cyclic garbage the application made just before goes unnoticed until that next full
    collection. An application that uses `gc.freeze` itself is left alone: unfreezing would undo its freeze.
    """
    if _Pause.open == 0:
        _Pause.resume = gc.isenabled()
        gc.disable()
    _Pause.open += 1
    try:
        yield
    finally:
        _Pause.open -= 1
        if _Pause.open == 0:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            if _Pause.resume:
                gc.enable()


def build_digests(papers: PaperBatch | Iterable[PaperRecord], subscriptions: Iterable[SubscriptionSpec],
                  options: Mapping[int, DigestOptions] | None = None) -> dict[int, list[DigestMatch]]:
    """Index `papers`, match every subscription, and return each destination's ranked digest."""
    with results_kept_unscanned():
        return DigestMatcher(papers).digests(subscriptions, options)
