"""`subscribe similar`: the papers of a batch close to a channel's example papers, whatever words they use.

An example set is kept as each example's vector in the content space (its strongest terms, stored when the
channel subscribed). A batch paper comes in when its cosine with its closest example is both above `FLOOR`
and among the day's top 1% for that example set, at most `MOST` a day: the content model's cosines are small
in absolute terms (a whole day of unrelated papers sits near 0.02), so a fixed floor alone would either let
the day in or keep everything out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import sparse

from core.digest.content import FEATURES, ContentSpace
from core.digest.rank import TIER_TOPIC, RankKeys

__all__ = ["FLOOR", "MOST", "ExamplesContent", "similar_hits"]

FLOOR = 0.08
TOP_SHARE = 0.99
MOST = 20
SCORE_SCALE = 20.0  # a cosine of 0.1 ranks like a good topic match (BM25F around 2)


class ExamplesContent(NamedTuple):
    key: str  # the example papers' canonical ids, as the subscription stores them
    vectors: tuple[tuple[tuple[int, ...], tuple[float, ...]], ...]  # per example: (term indices, weights)
    titles: tuple[str, ...]


def examples_matrix(content: ExamplesContent) -> sparse.csr_matrix:
    rows, cols, data = [], [], []
    for row, (indices, weights) in enumerate(content.vectors):
        rows += [row] * len(indices)
        cols += list(indices)
        data += list(weights)
    return sparse.csr_matrix((np.asarray(data, dtype=np.float64), (np.asarray(rows, dtype=np.int64),
                              np.asarray(cols, dtype=np.int64))), shape=(len(content.vectors), FEATURES))


def similar_hits(space: ContentSpace, ids: tuple[str, ...], keys: RankKeys, content: ExamplesContent,
                 ) -> list[tuple[int, str, float, bool, int]]:
    """(position, why, score, False, rank key) of each paper close enough to an example (the examples
    themselves left out)."""
    if not content.vectors or space.reference.shape[0] == 0:
        return []
    cosines = (space.reference @ examples_matrix(content).T).toarray()
    best = cosines.max(axis=1)
    closest = cosines.argmax(axis=1)
    examples = set(content.key.split())
    threshold = max(FLOOR, float(np.quantile(best, TOP_SHARE)))
    chosen = [int(p) for p in np.argsort(-best, kind="stable") if best[p] >= threshold and ids[p] not in examples]
    hits = []
    for pos in chosen[:MOST]:
        title = " ".join(content.titles[int(closest[pos])].split()) if content.titles else "an example"
        score = float(best[pos]) * SCORE_SCALE
        hits.append((pos, f'similar to "{title[:150]}"', score, False, keys.key(TIER_TOPIC, score, pos)))
    return hits
