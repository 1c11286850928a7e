"""Scoring many channels' profiles in one product gives what scipy's own indexing gives, channel by channel."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from core.digest import blend
from core.digest.profile import ChannelProfile

WIDTH = 300


def _matrix() -> sparse.csr_matrix:
    rng = np.random.default_rng(7)
    matrix = sparse.random(40, WIDTH, density=0.05, format="lil", random_state=rng)
    matrix[5] = 0  # a paper with no terms of the day's vocabulary
    return sparse.csr_matrix(matrix)


def _profile(seed: int, size: int) -> ChannelProfile:
    rng = np.random.default_rng(seed)
    columns = sorted(int(c) for c in rng.choice(WIDTH + 100, size=size, replace=False))  # some not in the day
    return ChannelProfile(tuple(columns), tuple(float(w) for w in rng.normal(size=size)), 3, 1)


def _remap() -> np.ndarray:
    remap = np.full(WIDTH + 100, -1, dtype=np.int64)
    remap[:WIDTH] = np.arange(WIDTH)  # the day's terms; the last hundred columns are terms it does not have
    return remap


def _one_by_one(matrix: sparse.csr_matrix, positions: list[list[int]], profiles: list[ChannelProfile]) -> np.ndarray:
    parts = []
    for block, profile in zip(positions, profiles, strict=True):
        dense = np.zeros(WIDTH + 100)
        dense[list(profile.indices)] = profile.weights
        parts.append(matrix[block] @ dense[:WIDTH])
    return np.concatenate(parts)


POSITIONS = [[0, 5, 39, 12, 12], [5], list(range(40))[::-1], [7, 8]]


@pytest.mark.parametrize("count", [1, 2, 4])
def test_block_products_match_scipys_indexing_channel_by_channel(count: int) -> None:
    matrix, positions = _matrix(), POSITIONS[:count]
    profiles = [_profile(seed, size) for seed, size in zip(range(count), (60, 1, 120, 30), strict=False)]
    buffer = np.zeros(WIDTH * count)
    got = blend._block_products(matrix, _remap(), positions, profiles, buffer)
    assert not buffer.any()  # handed back zeroed, ready for the next block
    assert got.shape == (sum(len(p) for p in positions),)
    assert np.allclose(got, _one_by_one(matrix, positions, profiles))
    assert got[1] == 0.0  # the paper with no terms of the day scores nothing for anyone


def test_without_scipys_kernels_the_public_path_gives_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix, profiles = _matrix(), [_profile(1, 50), _profile(2, 80)]
    fast = blend._block_products(matrix, _remap(), POSITIONS[:2], profiles, np.zeros(WIDTH * 2))
    monkeypatch.setattr(blend, "_sparsetools", None)
    assert np.allclose(blend._block_products(matrix, _remap(), POSITIONS[:2], profiles, np.zeros(WIDTH * 2)), fast)


def test_many_channels_scored_together_get_what_each_would_get_alone(recordings) -> None:  # type: ignore[no-untyped-def]
    """Forty channels (more than two blocks) with digests of their own, profiles learned from different likes,
    one of them with a paper the day does not hold and one without a profile: each gets the cosines its own
    papers have with its own profile, as scored one channel alone over the full hashed space."""
    import random

    from core.digest.content import ContentSpace
    from core.digest.matching import DigestMatcher
    from core.digest.profile import learn_profile
    from core.sources.arxiv_feed import parse_feed

    papers = list(parse_feed((recordings / "arxiv_rss" / "rss_all_archives_2024-11-28.xml").read_bytes()).items)
    day, elsewhere = papers[:1200], papers[1200:]
    matcher = DigestMatcher(day)
    space = ContentSpace(day)
    rng = random.Random(5)
    wanted = []
    for channel in range(40):
        digest = rng.sample(day, rng.randint(1, 200))
        if channel == 7:
            digest.append(elsewhere[0])  # stored from elsewhere: vectorised on its own
        profile = learn_profile(space, rng.sample(day, 5), rng.sample(day, channel % 3))
        wanted.append((digest, ChannelProfile((), (), 0, 0) if channel == 11 else profile))
    wanted.append(([], wanted[0][1]))
    together = blend.affinities_many(matcher, [([_Paper(p) for p in d], f) for d, f in wanted])
    for (digest, profile), scores in zip(wanted, together, strict=True):
        alone = profile.affinity(matcher.space.vectors(digest)) if digest else np.zeros(0)
        assert np.allclose(scores, alone), "a channel scored with the others got other cosines than alone"
    assert max(together[0]) > 0.05 and together[11] == [0.0] * len(wanted[11][0])


class _Paper:
    def __init__(self, paper) -> None:  # type: ignore[no-untyped-def]
        self.paper, self.paper_id = paper, paper.canonical_id
