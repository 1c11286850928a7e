"""What one distinct subscription content brings from a batch: paper positions, a "why" detail, a score.

A content is what a subscription follows, independent of the channel: a topic query, a category code, a
researcher. Each is evaluated once per batch through the index and the result is shared by every channel
that follows the same thing; `core.digest.matching` then adds the per-channel parts (the subscription
number, the channel's options).

Topic evaluation is set algebra over posting lists: per OR group, intersect the papers holding each
required token, smallest first, then the cat: restriction and the phrases (adjacency is checked only for
papers that hold every word of the phrase, once per phrase per batch); union the groups and subtract the
papers holding an excluded word or phrase. It gives exactly what `core.subscriptions.query.match` gives
paper by paper, and the detail text is the same as `MatchResult.why()` (the tests hold both to that).
Topics and categories search only what arXiv announced (`PaperBatch.unannounced` is left to researchers).

Each hit carries the digest sort key of a single-reason entry for it (`RankKeys`), so building a channel's
entry needs no arithmetic, and hits come sorted by it.
"""

from __future__ import annotations

from math import log1p
from operator import itemgetter
from typing import NamedTuple

from core.digest.content import ContentSpace
from core.digest.evidence import EvidenceReader
from core.digest.index import CROSS_TYPES, UPDATE_TYPES, AuthorIds, PaperBatch, Positions, author_id_keys
from core.digest.institutions import InstitutionContent, institution_hits
from core.digest.names import ParsedName, name_key, names_compatible, parse_name
from core.digest.rank import (
    TIER_CATEGORY,
    TIER_NAMED,
    TIER_POSSIBLE,
    TIER_RESEARCHER,
    TIER_TOPIC,
    Bm25F,
    RankKeys,
)
from core.digest.similar import ExamplesContent, similar_hits
from core.model.institutions import RosterMember
from core.model.researchers import ResearcherEvidence
from core.subscriptions.categories import matching_category
from core.subscriptions.query import TopicQuery, required_tokens

__all__ = ["ContentHit", "Evaluator", "ResearcherContent"]


# One paper a content brings: (position in the batch, the "why" text without the per-channel prefix, topic
# relevance (0 for other kinds), flag, the sort key of a single-reason digest entry for it (`RankKeys.key`)).
# The flag is True for a category paper only cross-listed there, and a researcher recognised by name only
# (whose key's tier then says whether evidence backs the name: TIER_NAMED, or not: TIER_POSSIBLE).
# A plain tuple rather than a NamedTuple: every shared digest entry of a run is built by unpacking one, and
# Python unpacks exact tuples on a fast path.
ContentHit = tuple[int, str, float, bool, int]


class ResearcherContent(NamedTuple):
    ids: AuthorIds  # normalised (openalex, orcid, s2)
    name: str  # shown in the why line
    variants: tuple[str, ...]  # every spelling the person is known by; empty strings ignored
    evidence: ResearcherEvidence | None = None  # what tells their arXiv papers from a namesake's


_Content = TopicQuery | str | ResearcherContent | ExamplesContent | InstitutionContent
_Label = tuple[str, Positions]  # a term or phrase as why() quotes it, and the papers with it in the title


class Evaluator:
    """Interns contents and evaluates each one on first request."""

    def __init__(self, batch: PaperBatch, keys: RankKeys | None = None) -> None:
        self.batch = batch
        self.keys = keys or RankKeys(batch)
        self.scorer = Bm25F(batch)
        self._ids: dict[tuple[str, object], int] = {}
        self._contents: list[_Content] = []
        self._hits: list[list[ContentHit] | None] = []
        self._parsed: dict[str, ParsedName] = {}
        self._evidence: EvidenceReader | None = None
        self._space: ContentSpace | None = None

    @property
    def space(self) -> ContentSpace:
        """The batch's content space, built on first use (only `subscribe similar` and learned profiles need it)."""
        if self._space is None:
            self._space = ContentSpace(self.batch)
        return self._space

    def _intern(self, key: tuple[str, object], content: _Content) -> int:
        slot = self._ids.get(key)
        if slot is None:
            slot = self._ids[key] = len(self._contents)
            self._contents.append(content)
            self._hits.append(None)
        return slot

    def topic(self, query: TopicQuery) -> int:
        # TopicQuery equality ignores the order words were typed in, but why() quotes them in that order,
        # so queries are shared only when written alike.
        written = (tuple((group.terms, group.phrases) for group in query.groups), query.excluded_terms,
                   query.excluded_phrases, query.categories, query.needs_code, query.venues)
        return self._intern(("topic", written), query)

    def category(self, code: str) -> int:
        return self._intern(("category", code), code)

    def researcher(self, content: ResearcherContent) -> int:
        return self._intern(("researcher", content), content)

    def similar(self, content: ExamplesContent) -> int:
        return self._intern(("similar", content.key), content)

    def institution(self, content: InstitutionContent) -> int:
        return self._intern(("institution", content), content)

    def hits(self, slot: int) -> list[ContentHit]:
        """Every paper the content brings, in digest order (`rank`)."""
        found = self._hits[slot]
        if found is None:
            content = self._contents[slot]
            if isinstance(content, TopicQuery):
                found = self._topic_hits(content)
            elif isinstance(content, str):
                found = self._category_hits(content)
            elif isinstance(content, ExamplesContent):
                found = similar_hits(self.space, self.batch.ids, self.keys, content)
            elif isinstance(content, InstitutionContent):
                found = institution_hits(self.keys, content, self._member_hits)
            else:
                found = self._researcher_hits(content)
            found.sort(key=_by_rank)
            self._hits[slot] = found
        return found

    # ------------------------------------------------------------------ topics

    def _phrase_any(self, phrase: tuple[str, ...]) -> Positions:
        title, abstract = self.batch.phrase_papers(phrase)
        return title | abstract if title and abstract else title or abstract

    def topic_positions(self, query: TopicQuery) -> tuple[Positions, list[Positions]]:
        """(papers matching `query`, papers matching each OR group before exclusions)."""
        batch = self.batch
        allowed: Positions | None = None
        if query.categories:
            allowed = frozenset().union(*(batch.category_papers(code) for code in query.categories))
            if not allowed:
                return frozenset(), [frozenset() for _ in query.groups]
        if query.needs_code or query.venues:  # has:code and venue: narrow the whole query, as cat: does
            allowed = batch.with_extras(query.needs_code, query.venues, allowed)
            if not allowed:
                return frozenset(), [frozenset() for _ in query.groups]
        per_group: list[Positions] = []
        for group in query.groups:
            sets = sorted((batch.papers_with(token) for token in required_tokens(group)), key=len)
            if allowed is not None:
                sets.append(allowed)
            found = sets[0]
            for other in sets[1:]:
                if not found:
                    break
                found = found & other
            for phrase in group.phrases:
                if not found:
                    break
                found = found & self._phrase_any(phrase)
            per_group.append(found)
        matched = per_group[0] if len(per_group) == 1 else frozenset().union(*per_group)
        if batch.unannounced and matched:
            matched = matched - batch.unannounced
        for token in query.excluded_terms:
            if not matched:
                break
            matched = matched - batch.papers_with(token)
        for phrase in query.excluded_phrases:
            if not matched:
                break
            matched = matched - self._phrase_any(phrase)
        return matched, per_group

    def _topic_hits(self, query: TopicQuery) -> list[ContentHit]:
        matched, per_group = self.topic_positions(query)
        if not matched:
            return []
        # Sorted, so a paper's score is added up in the same order, to the same float, on every run.
        tokens = sorted(set().union(*(required_tokens(group) for group in query.groups)))
        term_scores = [self.scorer.term_scores(token) for token in tokens]
        text_of = self._topic_details(query, matched, per_group)
        # RankKeys.key inlined: this loop runs for every hit of every distinct query.
        keys = self.keys
        order, order_bits, top, scale = keys.order, keys.order_bits, keys.top, keys.scale
        tier = TIER_TOPIC << keys.tier_shift
        first, *others = term_scores
        hits: list[ContentHit] = []
        for pos in matched:
            score = first.get(pos, 0.0)
            for scores in others:
                score += scores.get(pos, 0.0)
            quantised = min(int(log1p(score) * scale), top) if score > 0 else 0
            rank = tier | ((top - quantised) << order_bits) | order[pos]
            hits.append((pos, text_of[pos], score, False, rank))
        return hits

    def _topic_details(self, query: TopicQuery, matched: Positions,
                       per_group: list[Positions]) -> dict[int, str]:
        """The why text of every matched paper."""
        batch = self.batch
        # Per group, its terms and phrases as why() prints them, each with the papers having it in the title.
        labelled: list[list[_Label]] = [
            [(f'"{term}"', batch.title_papers(term)) for term in group.terms]
            + [('"' + " ".join(phrase) + '"', batch.phrase_papers(phrase)[0]) for phrase in group.phrases]
            for group in query.groups
        ]
        text_of: dict[int, str] = {}
        if len(labelled) == 1:
            # The text only depends on which labels are in the title: split the matched papers by that, with
            # set operations, and give each part its one text.
            labels = labelled[0]
            parts: list[tuple[Positions, int]] = [(matched, 0)]
            for bit, (_, title) in enumerate(labels):
                split: list[tuple[Positions, int]] = []
                for part, mask in parts:
                    inside = part & title
                    if inside:
                        split.append((inside, mask | 1 << bit))
                    if len(inside) < len(part):
                        split.append((part - inside, mask))
                parts = split
            for part, mask in parts:
                text_of.update(dict.fromkeys(part, _why(labels, mask)))
            return text_of
        # Several OR groups: which ones matched also varies by paper.
        labels_for: dict[int, list[_Label]] = {}
        texts: dict[tuple[int, int], str] = {}
        for pos in matched:
            groups = 0
            for index, members in enumerate(per_group):
                if pos in members:
                    groups |= 1 << index
            labels = labels_for.get(groups) or labels_for.setdefault(groups, _labels(labelled, groups))
            in_title = 0
            for bit, (_, title) in enumerate(labels):
                if pos in title:
                    in_title |= 1 << bit
            detail = texts.get((groups, in_title))
            if detail is None:
                detail = texts[groups, in_title] = _why(labels, in_title)
            text_of[pos] = detail
        return text_of

    # ------------------------------------------------------------------ categories

    def _category_hits(self, code: str) -> list[ContentHit]:
        batch = self.batch
        wanted = (code,)
        wildcard = code.endswith(".*")
        key = self.keys.key
        hits: list[ContentHit] = []
        unannounced = batch.unannounced
        for pos in batch.category_papers(code):
            if pos in unannounced:
                continue
            paper = batch.papers[pos]
            primary = paper.primary_category
            is_primary = primary is not None and matching_category(wanted, (primary,)) is not None
            shown = code
            if wildcard and is_primary and primary:
                shown = primary
            elif wildcard:
                shown = matching_category(wanted, paper.categories) or code
            cross = not is_primary or paper.announce_type in CROSS_TYPES
            if paper.announce_type in UPDATE_TYPES:
                version = f" (v{paper.latest_version})" if paper.latest_version else ""
                detail = f"new version{version}, cross-listed to {shown}" if cross else \
                    f"new version{version} in {shown}"
            else:
                detail = f"cross-listed to {shown}" if cross else f"new in {shown}"
            hits.append((pos, detail, 0.0, cross, key(TIER_CATEGORY, 0.0, pos)))
        return hits

    # ------------------------------------------------------------------ researchers

    def _member_hits(self, member: RosterMember) -> list[ContentHit]:
        """An institution's member, evaluated (and shared) as a followed researcher with that id and name."""
        person = ResearcherContent(author_id_keys(member.openalex_id, None, None), member.name, (member.name,),
                                   member.evidence)
        return self.hits(self.researcher(person))

    def _parse(self, name: str) -> ParsedName:
        parsed = self._parsed.get(name)
        if parsed is None:
            parsed = self._parsed[name] = parse_name(name)
        return parsed

    def _researcher_hits(self, content: ResearcherContent) -> list[ContentHit]:
        """Papers with their id (verified); by name only when evidence points to them (`core.digest.evidence`).

        Without any evidence to judge by (a subscription stored before evidence was kept, or a person whose
        works could not be read), a name match is a "possibly by" entry ranked below everything else; with
        evidence that says nothing for a paper, it is a namesake's and left out.
        """
        batch = self.batch
        by_id: set[int] = set()
        for scheme, value in enumerate(content.ids):
            if value:
                by_id |= batch.papers_by_author_id(scheme, value)
        by_name: dict[int, int] = {}  # paper position -> the index of the author whose name matched
        variants = dict.fromkeys(self._parse(v) for v in content.variants if v)
        for variant in variants:
            name = name_key(variant)
            if name is None:
                continue
            for pos, index in batch.authors_named(name):
                if pos in by_id or pos in by_name:
                    continue
                known = batch.author_ids[pos][index]
                # An author whose id in a scheme we also know differs is a namesake, not our researcher.
                if known is not None and any(a and b and a != b
                                             for a, b in zip(known, content.ids, strict=True)):
                    continue
                if names_compatible(variant, batch.author_names[pos][index]):
                    by_name[pos] = index
        key = self.keys.key
        exact = f"follows {content.name}"
        hits: list[ContentHit] = [(pos, exact, 0.0, False, key(TIER_RESEARCHER, 0.0, pos)) for pos in by_id]
        if not by_name:
            return hits
        evidence = content.evidence
        if evidence is None or not evidence.known:
            loose = f"possibly by {content.name} (name match only)"
            hits.extend((pos, loose, 0.0, True, key(TIER_POSSIBLE, 0.0, pos)) for pos in by_name)
            return hits
        if self._evidence is None:
            self._evidence = EvidenceReader(batch)
        check = self._evidence.check(evidence)
        for pos, index in by_name.items():
            why = check.why(pos, index)
            if why is not None:
                hits.append((pos, f"follows {content.name} (name match; {why})", 0.0, True,
                             key(TIER_NAMED, 0.0, pos)))
        return hits


_by_rank = itemgetter(4)


def _labels(labelled: list[list[_Label]], groups: int) -> list[_Label]:
    """The labels of the matched groups, deduplicated in first-seen order as `MatchResult.hits` keeps them."""
    seen: dict[str, Positions] = {}
    for index, group in enumerate(labelled):
        if groups >> index & 1:
            for label, title in group:
                seen.setdefault(label, title)
    return list(seen.items())


def _why(labels: list[_Label], in_title: int) -> str:
    """`MatchResult.why()`: `matched "a", "b" in title; "c" in abstract`."""
    title = [label for bit, (label, _) in enumerate(labels) if in_title >> bit & 1]
    abstract = [label for bit, (label, _) in enumerate(labels) if not in_title >> bit & 1]
    parts = []
    if title:
        parts.append(", ".join(title) + " in title")
    if abstract:
        parts.append(", ".join(abstract) + " in abstract")
    return "matched " + "; ".join(parts)
