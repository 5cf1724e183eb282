"""One false discovery rate rule: the adjusted p-values and the critical value agree."""

from __future__ import annotations

import numpy as np
import pytest

from hotspots._fdr import false_discovery_rate, fdr_adjust, fdr_significant


def _bh_by_hand(p: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini & Hochberg (1995), step up, written out: reject the k smallest."""
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m = order.size
    k = 0
    for rank, i in enumerate(order, start=1):
        if p[i] <= rank * alpha / m:
            k = rank
    out = np.zeros(p.shape, bool)
    out[order[:k]] = True
    return out


@pytest.mark.parametrize("seed", range(5))
def test_adjusted_and_critical_value_select_the_same_cells(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # a mix of signals and nulls, some ties, some NaN (cells without a test)
    p = np.concatenate([rng.uniform(0, 0.0002, 30), rng.uniform(0, 1, 300), [0.01] * 5])
    p[rng.choice(p.size, 10, replace=False)] = np.nan
    for alpha in (0.01, 0.05, 0.10):
        expected = _bh_by_hand(p, alpha)
        assert expected.sum() > 0
        np.testing.assert_array_equal(fdr_significant(p, alpha), expected)
        np.testing.assert_array_equal(p <= false_discovery_rate(p, alpha), expected)
        np.testing.assert_array_equal(fdr_adjust(p) <= alpha, expected)
    assert np.isnan(fdr_adjust(p)).sum() == 10
