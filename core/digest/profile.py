"""A channel's taste, learned from its 👍 and 👎: a Rocchio profile over the content model.

The profile is the mean of the liked papers' vectors minus half the mean of the disliked ones (Rocchio's
classic weights), cut to its `KEPT` largest weights and scaled to unit length. A candidate paper's affinity is
one sparse dot product with it: a cosine, near 1 for a paper like the liked ones, negative for one like the
disliked ones. Rocchio needs no negatives it was not given (a linear classifier would have to invent them from
the papers nobody rated), learns from a single like, and its weights read as terms for `feedback`.

The weight the digest gives the profile grows with the number of ratings: `blend_weight`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from core.digest.content import FEATURES, ContentSpace
from core.model.papers import PaperRecord

__all__ = ["KEPT", "ChannelProfile", "blend_weight", "learn_profile"]

KEPT = 3000  # weights kept per profile: the rest are the long tail of words one liked paper happened to use
DISLIKE_WEIGHT = 0.5
HALF_WEIGHT_AT = 10  # ratings at which the profile counts as much as the subscriptions' own order
MAX_WEIGHT = 0.8  # the subscriptions still decide a fifth: a profile never turns a digest into something else


@dataclass(frozen=True)
class ChannelProfile:
    """A learned profile: hashed term indices and their weights (unit length), and what it was learned from."""

    indices: tuple[int, ...]
    weights: tuple[float, ...]
    liked: int
    disliked: int

    @cached_property
    def index_array(self) -> np.ndarray:
        return np.asarray(self.indices, dtype=np.int64)

    @cached_property
    def weight_array(self) -> np.ndarray:
        return np.asarray(self.weights, dtype=np.float64)

    @property
    def ratings(self) -> int:
        return self.liked + self.disliked

    @property
    def empty(self) -> bool:
        return not self.indices

    def vector(self) -> sparse.csr_matrix:
        """The profile as a FEATURES x 1 column."""
        return sparse.csr_matrix((np.asarray(self.weights), (np.asarray(self.indices), np.zeros(len(self.indices),
                                  dtype=np.int64))), shape=(FEATURES, 1))

    def affinity(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """The cosine of each row of `vectors` with the profile (0 for an empty profile)."""
        if self.empty or vectors.shape[0] == 0:
            return np.zeros(vectors.shape[0])
        return np.asarray((vectors @ self.vector()).todense()).ravel()


def learn_profile(space: ContentSpace, liked: Sequence[PaperRecord],
                  disliked: Sequence[PaperRecord] = ()) -> ChannelProfile:
    """Rocchio over the rated papers' vectors in `space`."""
    total = np.zeros(FEATURES)
    if liked:
        total += np.asarray(space.vectors(liked).mean(axis=0)).ravel()
    if disliked:
        total -= DISLIKE_WEIGHT * np.asarray(space.vectors(disliked).mean(axis=0)).ravel()
    nonzero = np.flatnonzero(total)
    if nonzero.size > KEPT:
        nonzero = nonzero[np.argsort(-np.abs(total[nonzero]), kind="stable")[:KEPT]]
        nonzero.sort()
    weights = total[nonzero]
    norm = float(np.sqrt((weights * weights).sum()))
    if norm == 0:
        return ChannelProfile((), (), len(liked), len(disliked))
    return ChannelProfile(tuple(int(i) for i in nonzero), tuple(float(w) for w in weights / norm), len(liked),
                          len(disliked))


def blend_weight(ratings: int) -> float:
    """How much the profile counts against a subscription's own order: 0 without ratings, a half at
    `HALF_WEIGHT_AT` ratings, never more than `MAX_WEIGHT`."""
    if ratings <= 0:
        return 0.0
    return min(MAX_WEIGHT, ratings / (ratings + HALF_WEIGHT_AT))
