"""Applying a channel's learned profile to one digest: each paper's affinity, and the why-line when the
profile moved a paper up (`close to 3 papers liked here`).

The profile was learned and stored when a rating changed (`core.digest.learning`); here it costs one sparse
product over the digest's papers, in the batch's content space that every channel of the batch shares.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from core.digest.content import FEATURES
from core.digest.matching import DigestMatcher, MatchReason
from core.digest.profile import ChannelProfile
from core.model.papers import PaperRecord
from core.storage.ratings import StoredProfile

__all__ = ["CLOSE", "affinities", "as_profile", "close_counts", "close_reason"]

CLOSE = 0.08  # cosine with a liked paper (its strongest terms) for an item to count as close to it: unrelated
# papers of a day sit near 0.02, a paper on the same problem around 0.1 to 0.2 (bench/relevance.py's feed)


def as_profile(stored: StoredProfile) -> ChannelProfile:
    return ChannelProfile(stored.indices, stored.weights, stored.liked, stored.disliked)


def _rows(matcher: DigestMatcher, papers: Sequence[PaperRecord]) -> sparse.csr_matrix:
    """The papers' vectors from the batch's space (rows of its reference); a paper not in the batch (stored
    from elsewhere) is vectorised on its own."""
    positions = [matcher.position_of(p.canonical_id) for p in papers]
    if all(p is not None for p in positions):
        return matcher.space.reference[[p for p in positions if p is not None]]
    return matcher.space.vectors(list(papers))


def affinities(matcher: DigestMatcher, papers: Sequence[PaperRecord], profile: ChannelProfile) -> list[float]:
    """Each paper's cosine with the profile."""
    if not papers:
        return []
    return [float(a) for a in profile.affinity(_rows(matcher, papers))]


def close_counts(matcher: DigestMatcher, papers: Sequence[PaperRecord], stored: StoredProfile) -> list[int]:
    """For each paper, how many of the channel's recently liked papers it is close to."""
    vectors = [v for v in stored.liked_vectors if isinstance(v, list) and len(v) == 2]
    if not papers or not vectors:
        return [0] * len(papers)
    rows, cols, data = [], [], []
    for row, (indices, weights) in enumerate(vectors):
        rows += [row] * len(indices)
        cols += [int(i) for i in indices]
        data += [float(w) for w in weights]
    liked = sparse.csr_matrix((np.asarray(data), (np.asarray(rows), np.asarray(cols))), shape=(len(vectors), FEATURES))
    cosines = (_rows(matcher, papers) @ liked.T).toarray()
    return [int(n) for n in (cosines >= CLOSE).sum(axis=1)]


def close_reason(count: int) -> MatchReason:
    """The why-line the profile adds to a paper it moved up."""
    text = f"close to {count} paper{'s' if count != 1 else ''} liked here"
    return MatchReason(kind="profile", number=0, text=text)
