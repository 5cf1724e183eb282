"""Exact window tails when counts are permuted within strata, against enumeration."""

from __future__ import annotations

import itertools

import numpy as np

from hotspots._exact import stratified_window_tails, window_tails


def _enumerate(v: np.ndarray, strata: np.ndarray, window: list[int]) -> np.ndarray:
    """Window sums over every assignment of each stratum's values to its own cells."""
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    sums = []
    for perms in itertools.product(*(itertools.permutations(v[g]) for g in groups)):
        placed = np.empty_like(v)
        for g, p in zip(groups, perms, strict=True):
            placed[g] = p
        sums.append(int(placed[window].sum()))
    return np.array(sums)


def test_stratified_tails_equal_enumeration() -> None:
    v = np.array([0, 3, 1, 0, 2, 5, 4, 0])
    strata = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    windows = [[0, 1, 4], [2, 5, 6], [3, 7], [0, 4, 5, 7], [6]]
    n_strata = 3
    composition = np.array([np.bincount(strata[w], minlength=n_strata) for w in windows])
    observed = np.array([int(v[w].sum()) for w in windows])
    up, low = stratified_window_tails(v, strata, composition, observed)
    for i, w in enumerate(windows):
        if len(w) == 1:
            assert np.isnan(up[i]) and np.isnan(low[i])
            continue
        sums = _enumerate(v, strata, w)
        assert np.isclose(up[i], np.mean(sums >= observed[i]), atol=1e-12)
        assert np.isclose(low[i], np.mean(sums <= observed[i]), atol=1e-12)


def test_one_stratum_is_the_unstratified_test() -> None:
    rng = np.random.default_rng(0)
    v = rng.poisson(2.0, 300)
    size = rng.integers(2, 8, 300)
    observed = rng.integers(0, 20, 300)
    plain = window_tails(v, size, observed)
    one = stratified_window_tails(v, np.zeros(300, dtype=int), size[:, None], observed)
    assert plain is not None and one is not None
    np.testing.assert_allclose(one[0], plain[0], atol=1e-12)
    np.testing.assert_allclose(one[1], plain[1], atol=1e-12)
