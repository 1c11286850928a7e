"""The content model: every paper as a sparse tf-idf vector, so papers can be compared with what a channel liked.

A paper's terms are its title words (counted `TITLE_WEIGHT` times: a title is chosen with care, an abstract
says much else), its abstract words, title word pairs, its arXiv categories and its authors. Terms are hashed
into a fixed space (scikit-learn's `HashingVectorizer`) rather than numbered by a vocabulary: a channel's
profile is kept for weeks while every day brings new words, and a hashed vector means the same thing on every
day and in every process, with nothing to fit or store. Term weights are sublinear tf times an idf taken from
a reference batch (the day's papers), and each vector has unit length, so a dot product is a cosine.

Nothing here is downloaded or trained ahead: the numerics are scikit-learn's and SciPy's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer

from core.digest.index import PaperBatch
from core.digest.names import ParsedName, name_key, parse_name
from core.model.papers import PaperRecord
from core.subscriptions.text import tokenize

__all__ = ["FEATURES", "TITLE_WEIGHT", "ContentSpace", "batch_terms", "paper_terms", "term_indices"]

FEATURES = 1 << 20  # collisions between the few thousand terms a profile holds stay rare
TITLE_WEIGHT = 3
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"paper", "propose", "proposed", "method", "result", "approach", "based",
                                         "using", "use", "show", "new", "model", "study", "work", "present"}


def _words(tokens: Iterable[str]) -> list[str]:
    return [t for t in tokens if len(t) > 1 and t not in _STOP and not t.isdigit()]


def _terms(title_tokens: Iterable[str], abstract_tokens: Iterable[str], categories: Iterable[str],
           names: Iterable[ParsedName]) -> list[str]:
    title = _words(title_tokens)
    terms = title * TITLE_WEIGHT
    terms += [f"{a}_{b}" for a, b in itertools.pairwise(title)] * 2
    terms += _words(abstract_tokens)
    terms += [f"cat:{code.lower()}" for code in categories]
    for name in itertools.islice(names, 20):
        key = name_key(name)
        if key:
            terms.append(f"au:{key[0]}_{key[1]}")
    return terms


def paper_terms(paper: PaperRecord) -> list[str]:
    """The terms a paper is made of, repeated as often as they should weigh."""
    return _terms(tokenize(paper.title), tokenize(paper.abstract), paper.categories,
                  (parse_name(a.name or "") for a in paper.authors))


def batch_terms(batch: PaperBatch) -> list[list[str]]:
    """`paper_terms` of every paper of a batch, from the tokens its index already holds."""
    return [_terms(batch.title_tokens[pos], batch.abstract_tokens[pos], paper.categories, batch.author_names[pos])
            for pos, paper in enumerate(batch.papers)]


_VECTORIZER = HashingVectorizer(n_features=FEATURES, analyzer=lambda terms: terms, alternate_sign=False,
                                norm=None)


def term_indices(terms: Sequence[str]) -> list[int]:
    """The column each term is hashed to (how `feedback` names the terms behind a profile's weights)."""
    if not terms:
        return []
    matrix = _VECTORIZER.transform([[term] for term in terms]).tocsr()
    return [int(matrix.indices[matrix.indptr[row]]) for row in range(len(terms))]


class ContentSpace:
    """Sublinear tf-idf vectors over a fixed hashed space, with the idf of a reference batch of papers."""

    def __init__(self, reference: Sequence[PaperRecord] | PaperBatch) -> None:
        if isinstance(reference, PaperBatch):
            counts = _VECTORIZER.transform(batch_terms(reference)).tocsr()
        else:
            counts = self._counts(reference)
        documents = max(counts.shape[0], 1)
        frequency = np.bincount(counts.indices, minlength=FEATURES)
        # Smoothed idf, as scikit-learn's TfidfTransformer: a term no reference paper has weighs most.
        self.idf = np.log((1 + documents) / (1 + frequency)) + 1.0
        self._reference = self._weigh(counts)
        self._compact: tuple[sparse.csr_matrix, np.ndarray] | None = None

    @property
    def reference(self) -> sparse.csr_matrix:
        """The reference papers' vectors, in the order given."""
        return self._reference

    def compact(self) -> tuple[sparse.csr_matrix, np.ndarray]:
        """The reference vectors over only the terms they use (a day's papers use some 30,000 of the million
        hashed columns), and the map from a hashed column to its compact one (-1: no reference paper has it).

        Scoring a profile against a day is then one dense vector of the day's terms and a product over the
        rows wanted, a fraction of a millisecond for a digest's papers (`core.digest.blend.affinities_many`)."""
        if self._compact is None:
            reference = self._reference
            used = np.unique(reference.indices)
            remap = np.full(FEATURES, -1, dtype=np.int64)
            remap[used] = np.arange(len(used))
            # Single precision: a cosine needs no more than six digits, and the clock reads these rows for every
            # matched paper of thousands of channels (half the bytes, half the cache misses).
            matrix = sparse.csr_matrix((reference.data.astype(np.float32), remap[reference.indices].astype(np.int32),
                                        reference.indptr.astype(np.int32)), shape=(reference.shape[0], len(used)))
            self._compact = (matrix, remap)
        return self._compact

    @staticmethod
    def _counts(papers: Iterable[PaperRecord]) -> sparse.csr_matrix:
        return _VECTORIZER.transform([paper_terms(p) for p in papers]).tocsr()

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        weighted = counts.astype(np.float64)
        weighted.data = (1.0 + np.log(weighted.data)) * self.idf[weighted.indices]
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ weighted)

    def vectors(self, papers: Sequence[PaperRecord]) -> sparse.csr_matrix:
        """Unit-length vectors of `papers` (one row each) in this space."""
        if not papers:
            return sparse.csr_matrix((0, FEATURES))
        return self._weigh(self._counts(papers))
