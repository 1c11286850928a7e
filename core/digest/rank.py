"""How a channel's digest is ordered, and the BM25F relevance that orders its topic matches.

Order within one destination:

1. papers by a followed researcher, recognised by a stable author id (the channel picked that person, so
   nothing is more wanted);
2. then theirs recognised on a fresh arXiv paper by name plus evidence (a co-author, an institution, their
   subject: `core.digest.evidence`), which is very likely but not proven;
3. papers matching a topic, most relevant first: BM25F over the day's batch, with a word in the title worth
   more than the same word in the abstract;
4. papers that are only there because of a category subscription;
5. "possibly by" a followed researcher: a name match with nothing to judge it by. Below everything, so a
   namesake's paper never pushes out one the channel asked for (the selection step caps this group).

Within a tier, a new paper comes before a revised one (arXiv's replace: a new version of an older paper, sent
to channels with `settings updates on`): what is new is what a digest is for. Then a higher topic score comes
first (a followed researcher's paper that also matches a topic leads), then the newest announcement, then the
paper id, so the same inputs always give the same digest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from core.digest.index import PaperBatch

__all__ = ["KIND_TIERS", "TIER_CATEGORY", "TIER_NAMED", "TIER_POSSIBLE", "TIER_RESEARCHER", "TIER_TOPIC", "Bm25F",
           "RankKeys", "rank_key", "tier_of"]

TIER_RESEARCHER, TIER_NAMED, TIER_TOPIC, TIER_CATEGORY, TIER_POSSIBLE = 0, 1, 2, 3, 4
TIER_BITS = 3  # enough for TIER_POSSIBLE
# The tier of a reason of each kind; a researcher's is TIER_RESEARCHER only when recognised by id.
KIND_TIERS = {"researcher": TIER_RESEARCHER, "institution": TIER_RESEARCHER, "topic": TIER_TOPIC, "similar": TIER_TOPIC, "category": TIER_CATEGORY}


def tier_of(kind: str, by_name: bool = False, possible: bool = False) -> int:
    """The tier of a reason (`MatchReason` fields): a researcher's depends on how they were recognised."""
    if kind in ("researcher", "institution"):  # an institution's papers are its members': tiered alike
        return TIER_POSSIBLE if possible else TIER_NAMED if by_name else TIER_RESEARCHER
    return KIND_TIERS[kind]


def rank_key(tier: int, topic_score: float, paper_order: int, revised: bool = False) -> tuple[int, bool, float, int]:
    """Sort key of one digest entry; `paper_order` is `PaperBatch.order` (newest first, then id)."""
    return tier, revised, -topic_score, paper_order


class RankKeys:
    """`rank_key` packed into one small int per digest entry, for one batch.

    A day's digests sort millions of entries. From the high bits down a key holds the tier (`TIER_BITS`),
    whether the paper is a revision, the topic score and the paper's rank in the batch, so keys are unique
    within a digest. For a day's batch the whole key fits in 30 bits, one CPython digit, which Python sorts on
    its fastest path: the score gets the bits the others leave (15 for 1,500 papers), on a log scale, so
    scores are told apart to about 1 part in 2,500 up to 1,000, and papers closer than that fall back to the
    newest-then-id order. A very large batch gets longer keys rather than coarser scores.

    `order` is the batch's order with each revision's bit already set: everything below the tier that depends
    on the paper alone, so the hot loops that inline `key` OR in one number per paper, as before.
    """

    MAX_SCORE = 1000.0

    def __init__(self, batch: PaperBatch) -> None:
        self.order_bits = max(batch.size, 1).bit_length()
        score_bits = max(15, 30 - TIER_BITS - 1 - self.order_bits)
        revised = 1 << (score_bits + self.order_bits)
        self.tier_shift = score_bits + self.order_bits + 1
        updates = batch.updates
        self.order = [rank | revised if pos in updates else rank for pos, rank in enumerate(batch.order)]
        self.top = (1 << score_bits) - 1
        self.scale = self.top / math.log1p(self.MAX_SCORE)

    def quantise(self, topic_score: float) -> int:
        """The score bits, larger for a better score."""
        return min(int(math.log1p(topic_score) * self.scale), self.top) if topic_score > 0 else 0

    def key(self, tier: int, topic_score: float, pos: int) -> int:
        """The packed `rank_key(tier, topic_score, batch.order[pos], pos in batch.updates)`."""
        return ((tier << self.tier_shift) | ((self.top - self.quantise(topic_score)) << self.order_bits)
                | self.order[pos])


class Bm25F:
    """BM25F over one batch: per-field length normalisation, field-weighted term frequency, one saturation.

    Titles are short and chosen with care, so a title hit gets `title_weight` times the weight of an
    abstract hit; BM25F (rather than summing two BM25 scores) keeps a word repeated in both fields from
    counting twice at full strength. Scores per token are computed on first use and cached: popular query
    words recur across thousands of subscriptions.
    """

    def __init__(self, batch: PaperBatch, title_weight: float = 3.0, abstract_weight: float = 1.0,
                 k1: float = 1.2, b: float = 0.75) -> None:
        self.batch = batch
        self.title_weight, self.abstract_weight, self.k1, self.b = title_weight, abstract_weight, k1, b
        size = max(batch.size, 1)
        self._avg_title = max(sum(batch.title_lengths) / size, 1.0)
        self._avg_abstract = max(sum(batch.abstract_lengths) / size, 1.0)
        self._scores: dict[str, dict[int, float]] = {}

    def idf(self, token: str) -> float:
        found = len(self.batch.papers_with(token))
        # The "+1" form never goes negative, so a very common word adds a little instead of subtracting.
        return math.log(1.0 + (self.batch.size - found + 0.5) / (found + 0.5))

    def term_scores(self, token: str) -> dict[int, float]:
        """Paper position → this token's BM25F contribution, for every paper containing it."""
        cached = self._scores.get(token)
        if cached is not None:
            return cached
        batch, b, k1 = self.batch, self.b, self.k1
        title = batch.title_postings.get(token, {})
        abstract = batch.abstract_postings.get(token, {})
        idf = self.idf(token)
        scores: dict[int, float] = {}
        for pos in batch.papers_with(token):
            weighted = 0.0
            count = title.get(pos)
            if count:
                norm = 1.0 - b + b * batch.title_lengths[pos] / self._avg_title
                weighted += self.title_weight * count / norm
            count = abstract.get(pos)
            if count:
                norm = 1.0 - b + b * batch.abstract_lengths[pos] / self._avg_abstract
                weighted += self.abstract_weight * count / norm
            scores[pos] = idf * weighted / (k1 + weighted)
        self._scores[token] = scores
        return scores

    def score(self, tokens: Iterable[str], pos: int) -> float:
        """Relevance of paper `pos` to a query made of `tokens` (each counted once)."""
        # Added in a fixed order, as the matcher does, so a score is the same on every run.
        return sum(self.term_scores(token).get(pos, 0.0) for token in sorted(set(tokens)))
