"""False discovery rate (Benjamini-Hochberg) and ArcGIS ``Gi_Bin`` confidence bins."""

from __future__ import annotations

import numpy as np

from ._errors import DataError

__all__ = [
    "BIN_LABELS",
    "false_discovery_rate",
    "fdr_adjust",
    "fdr_significant",
    "gi_bins",
]

#: Label of each ``gi_bin`` value.
BIN_LABELS: dict[int, str] = {
    3: "Hot spot – 99% confidence",
    2: "Hot spot – 95% confidence",
    1: "Hot spot – 90% confidence",
    0: "Not significant",
    -1: "Cold spot – 90% confidence",
    -2: "Cold spot – 95% confidence",
    -3: "Cold spot – 99% confidence",
}

# (bin magnitude, significance level) from the strictest level down.
_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))


def false_discovery_rate(p: np.ndarray, alpha: float) -> float:
    """Benjamini-Hochberg critical p-value.

    Sort the ``m`` finite p-values, find the largest rank ``k`` with
    ``p_(k) <= k * alpha / m`` and return ``k * alpha / m``; a p-value is significant
    when ``p <= threshold``. When no p-value qualifies, ``alpha / m`` is returned (no
    p-value reaches it), as :func:`esda.fdr` does. NaN p-values are ignored (not
    counted in ``m``). esda compares with ``<``, here ``<=`` as in Benjamini & Hochberg
    (1995); they differ only on exact ties.

    Parameters
    ----------
    p : numpy.ndarray
        p-values.
    alpha : float
        False discovery rate to control, in (0, 1).

    Returns
    -------
    float

    Examples
    --------
    >>> false_discovery_rate([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205], 0.05)
    0.0125
    """
    if not 0 < alpha < 1:
        raise DataError(f"alpha must be between 0 and 1, got {alpha}.")
    arr = np.asarray(p, dtype=float).ravel()
    arr = np.sort(arr[np.isfinite(arr)])
    m = arr.size
    if m == 0:
        return 0.0
    crit = np.arange(1, m + 1) * alpha / m
    ok = np.flatnonzero(arr <= crit)
    if ok.size == 0:
        return float(alpha / m)
    return float(crit[ok[-1]])


def fdr_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (scipy's ``false_discovery_control``).

    NaN p-values stay NaN and are not counted. ``fdr_adjust(p) <= a`` selects the same
    p-values as ``p <= false_discovery_rate(p, a)`` (the rule every decision in the
    package uses); the adjusted values are reported beside the p-values.

    Examples
    --------
    >>> fdr_adjust([0.01, 0.04, float("nan"), 0.03]).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    """
    from scipy.stats import false_discovery_control

    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    finite = np.isfinite(arr)
    if finite.any():
        out[finite] = false_discovery_control(arr[finite], method="bh")
    return out


def fdr_significant(p: np.ndarray, alpha: float) -> np.ndarray:
    """Boolean mask of p-values significant under Benjamini-Hochberg at ``alpha``.

    Examples
    --------
    >>> fdr_significant([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205], 0.05)
    array([ True,  True, False, False, False, False, False, False])
    """
    arr = np.asarray(p, dtype=float)
    thr = false_discovery_rate(arr, alpha)
    with np.errstate(invalid="ignore"):
        out: np.ndarray = np.isfinite(arr) & (arr <= thr)
    return out


def gi_bins(z: np.ndarray, p: np.ndarray, *, fdr: bool) -> np.ndarray:
    """ArcGIS ``Gi_Bin``: +3/-3, +2/-2, +1/-1 for 99/95/90 % confidence, else 0.

    Parameters
    ----------
    z : numpy.ndarray
        z-scores (their sign gives hot or cold).
    p : numpy.ndarray
        Two-sided p-values.
    fdr : bool
        If False a cell is significant at level ``a`` when ``p <= a`` (a = 0.01, 0.05,
        0.10). If True the cut-off at each level is the Benjamini-Hochberg critical value
        :func:`false_discovery_rate` ``(p, a)``, computed separately for each of the three
        levels over all finite p-values, which is how ArcGIS applies its FDR correction.

    Returns
    -------
    numpy.ndarray of int
        NaN z or p gives 0.

    Examples
    --------
    >>> gi_bins([3.0, -2.0, 1.7, 0.5], [0.0027, 0.0455, 0.0891, 0.617], fdr=False)
    array([ 3, -2,  1,  0])
    """
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    out = np.zeros(z.shape, dtype=np.int64)
    valid = np.isfinite(z) & np.isfinite(p)
    for magnitude, level in reversed(_LEVELS):
        cut = false_discovery_rate(p, level) if fdr else level
        with np.errstate(invalid="ignore"):
            sig = valid & (p <= cut)
        out[sig] = magnitude
    out *= np.sign(np.where(valid, z, 0.0)).astype(np.int64)
    return out
