"""Applying a channel's learned profile to one digest: each paper's affinity, and the why-line when the
profile moved a paper up (`close to 3 papers liked here`).

The profile was learned and stored when a rating changed (`core.digest.learning`); here it costs one sparse
product over the digest's papers, in the batch's content space that every channel of the batch shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from core.digest.content import FEATURES, ContentSpace
from core.digest.matching import DigestMatcher, MatchReason
from core.digest.profile import ChannelProfile, learn_profile
from core.model.papers import PaperRecord
from core.storage.ratings import Rating, StoredProfile

__all__ = ["CLOSE", "affinities", "as_profile", "close_counts", "close_reason", "liked_ids", "net_ratings",
           "profile_from"]

CLOSE = 0.08  # cosine with a liked paper (its strongest terms) for an item to count as close to it: unrelated
# papers of a day sit near 0.02, a paper on the same problem around 0.1 to 0.2 (bench/relevance.py's feed)


LIKED_KEPT = 100  # liked papers whose vectors the digest compares items with ("close to 3 papers liked here")
LIKED_TERMS = 48  # strongest terms kept of each


def net_ratings(values: Sequence[Rating]) -> dict[str, int]:
    """Each paper's net rating in the channel (several people may rate it, each once)."""
    net: dict[str, int] = {}
    for rating in values:
        net[rating.paper_id] = net.get(rating.paper_id, 0) + rating.value
    return net


def profile_from(space: ContentSpace, destination_id: int, values: Sequence[Rating],
                 known: Mapping[str, PaperRecord]) -> StoredProfile:
    """The profile a channel's ratings give (Rocchio over the papers rated up and down, on balance), with the
    most recently liked papers' strongest terms for the why-line."""
    net = net_ratings(values)
    liked = [known[p] for p, v in net.items() if v > 0 and p in known]
    disliked = [known[p] for p, v in net.items() if v < 0 and p in known]
    profile = learn_profile(space, liked, disliked)
    recent = [known[r.paper_id] for r in reversed(values) if net.get(r.paper_id, 0) > 0 and r.paper_id in known]
    recent = list({p.canonical_id: p for p in recent}.values())[:LIKED_KEPT]
    vectors = space.vectors(recent)
    kept: list[list[Any]] = []
    for row in range(vectors.shape[0]):
        start, end = vectors.indptr[row], vectors.indptr[row + 1]
        indices, weights = vectors.indices[start:end], vectors.data[start:end]
        strongest = np.argsort(-weights, kind="stable")[:LIKED_TERMS]
        kept.append([[float(i) for i in indices[strongest]], [float(w) for w in weights[strongest]],
                     recent[row].canonical_id])
    return StoredProfile(destination_id, profile.indices, profile.weights, profile.liked, profile.disliked,
                         len({r.user_id for r in values}), tuple(kept))


def as_profile(stored: StoredProfile) -> ChannelProfile:
    return ChannelProfile(stored.indices, stored.weights, stored.liked, stored.disliked)


def _rows(matcher: DigestMatcher, papers: Sequence[PaperRecord]) -> sparse.csr_matrix:
    """The papers' vectors from the batch's space (rows of its reference); a paper not in the batch (stored
    from elsewhere) is vectorised on its own."""
    positions = [matcher.position_of(p.canonical_id) for p in papers]
    if all(p is not None for p in positions):
        return matcher.space.reference[[p for p in positions if p is not None]]
    return matcher.space.vectors(list(papers))


def affinities(matcher: DigestMatcher, paper_ids: Sequence[str], papers: Sequence[PaperRecord],
               profile: ChannelProfile) -> list[float]:
    """Each paper's cosine with the profile (`paper_ids` are the papers' canonical ids, in the same order):
    over the batch's own terms (`ContentSpace.compact`) when every paper is in the batch, as the clock's
    digests are; else over the full hashed space."""
    if not papers:
        return []
    position_of = matcher.position_of
    positions = [position_of(paper_id) for paper_id in paper_ids]
    if profile.empty or None in positions:
        return [float(a) for a in profile.affinity(_rows(matcher, papers))]
    matrix, remap = matcher.space.compact()
    columns = remap[profile.index_array]
    present = columns >= 0
    dense = np.zeros(matrix.shape[1])
    dense[columns[present]] = profile.weight_array[present]
    return [float(a) for a in matrix[positions] @ dense]


def liked_ids(stored: StoredProfile) -> set[str]:
    """The recently liked papers the profile keeps (profiles stored before ids were kept give none)."""
    return {v[2] for v in stored.liked_vectors if isinstance(v, list) and len(v) == 3 and isinstance(v[2], str)}


def close_counts(matcher: DigestMatcher, papers: Sequence[PaperRecord], stored: StoredProfile) -> list[int]:
    """For each paper, how many of the channel's recently liked papers (other than itself) it is close to."""
    vectors = [v for v in stored.liked_vectors if isinstance(v, list) and len(v) in (2, 3)]
    if not papers or not vectors:
        return [0] * len(papers)
    rows, cols, data = [], [], []
    for row, vector in enumerate(vectors):
        indices, weights = vector[0], vector[1]
        rows += [row] * len(indices)
        cols += [int(i) for i in indices]
        data += [float(w) for w in weights]
    liked = sparse.csr_matrix((np.asarray(data), (np.asarray(rows), np.asarray(cols))), shape=(len(vectors), FEATURES))
    cosines = (_rows(matcher, papers) @ liked.T).toarray()
    for row, paper in enumerate(papers):  # a liked paper that comes again is not "close to" itself
        for column, vector in enumerate(vectors):
            if len(vector) == 3 and vector[2] == paper.canonical_id:
                cosines[row, column] = 0.0
    return [int(n) for n in (cosines >= CLOSE).sum(axis=1)]


def close_reason(count: int) -> MatchReason:
    """The why-line the profile adds to a paper it moved up."""
    text = f"close to {count} paper{'s' if count != 1 else ''} liked here"
    return MatchReason(kind="profile", number=0, text=text)
