"""Applying a channel's learned profile to one digest: each paper's affinity, and the why-line when the
profile moved a paper up (`close to 3 papers liked here`).

The profile was learned and stored when a rating changed (`core.digest.learning`); here it costs one sparse
product over the digest's papers, in the batch's content space that every channel of the batch shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any, Protocol

import numpy as np
from scipy import sparse

try:  # scipy's C kernels behind `matrix[rows] @ vector`, called without the indexing's checks (see `_row_products`)
    from scipy.sparse import _sparsetools
except ImportError:  # a scipy that moved them: the public path below, a few times slower
    _sparsetools = None

from core.digest.content import FEATURES, ContentSpace
from core.digest.matching import DigestMatcher, MatchReason
from core.digest.profile import ChannelProfile, learn_profile
from core.model.papers import PaperRecord
from core.storage.ratings import Rating, StoredProfile

__all__ = ["CLOSE", "affinities_many", "as_profile", "close_counts", "close_reason", "liked_ids", "net_ratings",
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
    positions = matcher.positions_of([p.canonical_id for p in papers])
    if all(p is not None for p in positions):
        return matcher.space.reference[[p for p in positions if p is not None]]
    return matcher.space.vectors(list(papers))


class _Candidate(Protocol):
    """A paper of a digest as planning holds it (`DigestMatch`, `PlannedItem`)."""

    @property
    def paper_id(self) -> str: ...
    @property
    def paper(self) -> PaperRecord: ...


AFFINITY_BLOCK = 16  # channels scored in one product (see `affinities_many`)
_paper_id = attrgetter("paper_id")


def affinities_many(matcher: DigestMatcher,
                    wanted: Sequence[tuple[Sequence[_Candidate], ChannelProfile]]) -> list[list[float]]:
    """For each (candidate papers, profile) of many channels, each paper's cosine with the profile.

    Over the batch's own terms (`ContentSpace.compact`) when every paper is in the batch, as the clock's digests
    are; else over the full hashed space. The clock scores some 150 papers for each of thousands of channels,
    and one channel's product is small enough that numpy's per-call cost would be most of it: channels are
    scored `AFFINITY_BLOCK` at a time, as one product of their rows against their profiles placed side by side.
    """
    found: list[list[float]] = [[] for _ in wanted]
    inside: list[tuple[int, list[int], ChannelProfile]] = []
    for number, (candidates, profile) in enumerate(wanted):
        if not candidates:
            continue
        positions = matcher.positions_of(map(_paper_id, candidates))
        if profile.empty or None in positions:
            found[number] = [float(a) for a in profile.affinity(_rows(matcher, [c.paper for c in candidates]))]
        else:
            inside.append((number, positions, profile))  # type: ignore[arg-type]
    if inside:
        matrix, remap = matcher.space.compact()
        # One vector for a block's profiles, zeroed again after each block: a fresh one each time would cost
        # more in first-touch page faults than the product itself.
        side_by_side = np.zeros(matrix.shape[1] * min(AFFINITY_BLOCK, len(inside)), dtype=matrix.dtype)
        for first in range(0, len(inside), AFFINITY_BLOCK):
            block = inside[first:first + AFFINITY_BLOCK]
            scores = _block_products(matrix, remap, [p for _, p, _ in block], [f for _, _, f in block],
                                     side_by_side).tolist()
            at = 0
            for number, rows, _profile in block:
                found[number] = scores[at:at + len(rows)]
                at += len(rows)
    return found


def _block_products(matrix: sparse.csr_matrix, remap: np.ndarray, positions: Sequence[list[int]],
                    profiles: Sequence[ChannelProfile], side_by_side: np.ndarray) -> np.ndarray:
    """`matrix[positions[k]] @ profiles[k]` for every k, concatenated: the rows of all of them gathered once
    and multiplied by one vector holding each profile over the day's terms in a slice of its own (the rows of
    profile k read columns shifted by k times the day's terms). `side_by_side` is all zeros, and is left so."""
    width = matrix.shape[1]
    sizes = np.fromiter((len(p.indices) for p in profiles), dtype=np.int64, count=len(profiles))
    columns = remap[np.concatenate([p.index_array for p in profiles])]
    present = columns >= 0
    slots = (columns + np.repeat(np.arange(len(profiles), dtype=np.int64) * width, sizes))[present]
    side_by_side[slots] = np.concatenate([p.weight_array for p in profiles])[present]
    try:
        if _sparsetools is None:  # a scipy that moved its kernels: the public path, a channel at a time
            return np.concatenate([matrix[block] @ side_by_side[k * width:(k + 1) * width]
                                   for k, block in enumerate(positions)])
        flat: list[int] = []
        for block in positions:
            flat += block
        indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
        rows = np.array(flat, dtype=indptr.dtype)
        lengths = indptr[rows + 1] - indptr[rows]
        pointers = np.empty(len(rows) + 1, dtype=indices.dtype)
        pointers[0] = 0
        np.cumsum(lengths, out=pointers[1:])
        gathered_columns = np.empty(int(pointers[-1]), dtype=indices.dtype)
        gathered_data = np.empty(int(pointers[-1]), dtype=data.dtype)
        _sparsetools.csr_row_index(len(rows), rows, indptr, indices, data, gathered_columns, gathered_data)
        shifts = np.repeat(np.arange(len(positions), dtype=indices.dtype) * width, [len(block) for block in positions])
        shifted = np.repeat(shifts, lengths)
        shifted += gathered_columns
        out = np.zeros(len(rows), dtype=data.dtype)
        _sparsetools.csr_matvec(len(rows), side_by_side.shape[0], pointers, shifted, gathered_data, side_by_side,
                                out)
        return out
    finally:
        side_by_side[slots] = 0.0


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
