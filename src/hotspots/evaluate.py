"""How good is a hotspot map? Hit rate, PAI, PEI, RRI at fixed coverage, and backtests.

All measures select the highest-scoring cells until a fixed share (``coverage``) of the
study area is covered. Ties are never allowed to flatter a map: when cells with equal
scores straddle the coverage cut, the tied group is credited pro rata - the expected
result of breaking the tie at random (by area). The group straddling the cut is always
credited this way, so the selected area is exactly ``coverage`` of the total; with all
scores equal the PAI is exactly 1.

References
----------
Chainey, Tompson & Uhlig (2008), "The utility of hotspot mapping for predicting spatial
patterns of crime", Security Journal 21: PAI = (n/N) / (a/A).
Hunt (2016), "Do crime hot spots move?" (NIJ) and Chainey (2013): PEI = PAI / PAI*, PAI*
the largest PAI any selection of the same area could reach.
Levine (2008), CrimeStat III, ch. 6: Recapture Rate Index RRI = (n2/n1) / (N2/N1), n1, n2
incidents in the predicted hot spots in the earlier and later period, N1, N2 in the
whole area.
Bowers, Johnson & Pease (2004), "Prospective hot-spotting", Br. J. Criminol. 44(5).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError, HotspotsWarning
from ._provenance import record
from ._validate import (
    require_columns,
    require_geodataframe,
    require_nonempty,
    require_projected,
    require_same_crs,
)

__all__ = ["backtest", "backtest_summary", "hit_rate", "pai", "pei", "rri"]

METHODS = ("last_period", "kde", "gi_star", "prospective")


def _arrays(
    predicted: Any, actual: Any, cell_area: Any, coverage: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(predicted, dtype=float).ravel()
    c = np.asarray(actual, dtype=float).ravel()
    if s.size != c.size:
        raise DataError(f"predicted ({s.size} cells) and actual ({c.size}) differ in length.")
    if s.size == 0:
        raise DataError("no cells to evaluate (empty input).")
    a = np.ones_like(s) if cell_area is None else np.asarray(cell_area, dtype=float).ravel()
    if a.size != s.size:
        raise DataError(f"cell_area has {a.size} values for {s.size} cells.")
    for name, v in (("predicted", s), ("actual", c), ("cell_area", a)):
        if not np.isfinite(v).all():
            raise DataError(f"{name} has {int((~np.isfinite(v)).sum())} NaN/inf values.")
    if (c < 0).any() or (a <= 0).any():
        raise DataError("actual counts must be >= 0 and cell areas > 0.")
    if not 0 < float(coverage) <= 1:
        raise DataError(f"coverage is a share of the area in (0, 1]; got {coverage}.")
    return s, c, a


def _captured(scores: np.ndarray, counts: np.ndarray, area: np.ndarray, coverage: float) -> float:
    """Incidents captured by the top-scoring cells covering ``coverage`` of the area.

    Cells are taken in groups of equal score; the group that straddles the cut is
    credited pro rata by area (expected value over random tie-breaking).
    """
    target = coverage * area.sum()
    uniq, inv = np.unique(-scores, return_inverse=True)  # descending score groups
    g_area = np.bincount(inv, weights=area, minlength=uniq.size)
    g_count = np.bincount(inv, weights=counts, minlength=uniq.size)
    cum = np.cumsum(g_area)
    full = cum <= target * (1 + 1e-12)
    got = float(g_count[full].sum())
    left = target - (float(cum[full][-1]) if full.any() else 0.0)
    k = int(full.sum())
    if k < uniq.size and left > 0:
        got += g_count[k] * left / g_area[k]
    return got


def hit_rate(
    predicted: Any, actual: Any, *, coverage: float = 0.05, cell_area: Any = None
) -> float:
    """Share of the actual incidents (n/N) in the top cells covering ``coverage`` of the area.

    Parameters
    ----------
    predicted : array-like
        Score per cell (higher = hotter).
    actual : array-like
        Incident count per cell in the evaluation period, aligned with ``predicted``.
    coverage : float, default 0.05
        Share of the study area selected (0.01, 0.05, 0.10 are usual).
    cell_area : array-like, optional
        Cell areas for non-uniform cells (default: equal).

    Examples
    --------
    >>> hit_rate([5, 4, 3, 2, 1, 0, 0, 0, 0, 0], [6, 2, 1, 1, 0, 0, 0, 0, 0, 0], coverage=0.2)
    0.8
    """
    s, c, a = _arrays(predicted, actual, cell_area, coverage)
    total = c.sum()
    return float(_captured(s, c, a, coverage) / total) if total > 0 else float("nan")


def pai(predicted: Any, actual: Any, *, coverage: float = 0.05, cell_area: Any = None) -> float:
    """Predictive Accuracy Index, PAI = (n/N) / (a/A) (Chainey, Tompson & Uhlig 2008).

    ``a/A`` equals ``coverage`` exactly (see the module notes on ties).

    Examples
    --------
    >>> pai([5, 4, 3, 2, 1, 0, 0, 0, 0, 0], [6, 2, 1, 1, 0, 0, 0, 0, 0, 0], coverage=0.2)
    4.0
    """
    return hit_rate(predicted, actual, coverage=coverage, cell_area=cell_area) / coverage


def pei(predicted: Any, actual: Any, *, coverage: float = 0.05, cell_area: Any = None) -> float:
    """Predictive Efficiency Index, PEI = PAI / PAI* (Hunt 2016; Chainey 2013).

    PAI* is the best PAI any selection of the same area could reach: cells ranked by
    their actual incident density (count / area), the last one taken in part. PEI is in
    [0, 1]; 1 means the map picked the best possible cells.

    Examples
    --------
    >>> pei([5, 4, 3, 2, 1, 0, 0, 0, 0, 0], [1, 6, 2, 1, 0, 0, 0, 0, 0, 0], coverage=0.2)
    0.875
    """
    s, c, a = _arrays(predicted, actual, cell_area, coverage)
    best = _captured(c / a, c, a, coverage)
    return float(_captured(s, c, a, coverage) / best) if best > 0 else float("nan")


def rri(
    predicted: Any,
    actual: Any,
    *,
    previous: Any,
    coverage: float = 0.05,
    cell_area: Any = None,
) -> float:
    """Recapture Rate Index (Levine 2008): RRI = (n2 / n1) / (N2 / N1).

    ``n1``/``n2``: incidents in the predicted hot cells (top ``coverage`` by ``predicted``)
    in the earlier period (``previous``) and the later one (``actual``); ``N1``/``N2``:
    all incidents. Equivalently the later hit rate divided by the earlier one; 1 means the
    hot spots kept their share, > 1 they recaptured more.

    Examples
    --------
    >>> round(rri([3, 2, 1, 0], [4, 2, 2, 0], previous=[6, 2, 1, 1], coverage=0.25), 4)
    0.8333
    """
    s, c2, a = _arrays(predicted, actual, cell_area, coverage)
    c1 = np.asarray(previous, dtype=float).ravel()
    if c1.size != s.size or not np.isfinite(c1).all() or (c1 < 0).any():
        raise DataError("previous must be finite counts >= 0, one per cell.")
    n1, n2 = _captured(s, c1, a, coverage), _captured(s, c2, a, coverage)
    if n1 == 0 or c1.sum() == 0 or c2.sum() == 0:
        return float("nan")
    return float((n2 / n1) / (c2.sum() / c1.sum()))


# ----------------------------------------------------------------------------- backtest
def _pairs_within(
    src: np.ndarray, targets: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source index, target index, distance) of every pair closer than ``radius``."""
    from scipy.spatial import cKDTree

    if len(src) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    hits = cKDTree(targets).query_ball_point(src, r=radius)
    lens = np.fromiter((len(h) for h in hits), dtype=int, count=len(hits))
    rows = np.repeat(np.arange(len(src)), lens)
    cols = np.concatenate([np.asarray(h, dtype=int) for h in hits]) if rows.size else rows
    dist = np.hypot(*(src[rows] - targets[cols]).T) if rows.size else np.zeros(0)
    return rows, cols, dist


def _quartic(src: np.ndarray, targets: np.ndarray, bandwidth: float) -> np.ndarray:
    """Quartic kernel density (per square metre) of ``src`` points at ``targets``."""
    _, cols, dist = _pairs_within(src, targets, bandwidth)
    k = 3.0 / (np.pi * bandwidth**2) * (1.0 - (dist / bandwidth) ** 2) ** 2
    return np.bincount(cols, weights=k, minlength=len(targets))


def _prospective(
    src: np.ndarray, weeks: np.ndarray, targets: np.ndarray, bandwidth: float, width: float
) -> np.ndarray:
    """Bowers et al. (2004) weights: 1/(1 + weeks) * 1/(1 + distance in cell widths)."""
    rows, cols, dist = _pairs_within(src, targets, bandwidth)
    w = 1.0 / (1.0 + np.maximum(weeks[rows], 0.0)) / (1.0 + dist / width)
    return np.bincount(cols, weights=w, minlength=len(targets))


def _arcgis_bandwidth(xy: np.ndarray) -> float:
    """ArcGIS Kernel Density default search radius: 0.9 min(SD, sqrt(1/ln 2) Dm) n^-0.2."""
    n = len(xy)
    d2 = ((xy - xy.mean(axis=0)) ** 2).sum(axis=1)  # from the mean centre
    sd = float(np.sqrt(d2.mean()))
    dm = float(np.median(np.sqrt(d2)))
    return float(0.9 * min(sd, np.sqrt(1.0 / np.log(2.0)) * dm) * n**-0.2)


def backtest(
    incidents: Any,
    cells: Any,
    *,
    methods: Sequence[str] = METHODS,
    train_months: int = 3,
    test_months: int = 1,
    coverage: Sequence[float] = (0.01, 0.05, 0.1),
    prospective_bandwidth: float = 400.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Rolling, month-by-month test of hotspot methods as forecasts.

    For each test window (``test_months`` months, rolled on by one month) every method is
    fitted on the ``train_months`` months before it and scored against the test counts:

    * ``"last_period"``: incident counts per cell over the training months.
    * ``"kde"``: quartic kernel density of the training points at each cell's centroid,
      bandwidth by ArcGIS's default rule (at least one cell width).
    * ``"gi_star"``: analytic Gi* z of the training counts (binary distance weights,
      self included, 1.5x the median cell spacing).
    * ``"prospective"``: Bowers, Johnson & Pease (2004): each training incident adds
      ``1/(1 + weeks) * 1/(1 + d)`` to every cell centre within
      ``prospective_bandwidth`` metres, ``weeks`` from the middle of its month to the
      start of the test window, ``d`` the distance in cell widths.

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with a ``month`` column ("YYYY-MM" or other month text), same CRS as cells.
    cells : GeoDataFrame
        Projected polygons (a grid) to score on.
    seed : int
        Recorded; the methods here are deterministic.

    Returns
    -------
    DataFrame
        Tidy and plot-ready: ``test_month``, ``method``, ``coverage``, ``hit_rate``,
        ``pai``, ``pei``, ``n_test``, ``n_train``. Summarise with :func:`backtest_summary`.

    Raises
    ------
    DataError
        Fewer than ``train_months + test_months`` months in the data, or unknown methods.
    """
    from .trend import _gi_star_z, _months_of, _spatial_weights

    incidents = require_geodataframe(incidents, "incidents")
    cells = require_geodataframe(cells, "cells")
    require_nonempty(incidents, "incidents")
    require_nonempty(cells, "cells")
    require_columns(incidents, ["month"], "incidents")
    require_projected(cells, "cells")
    require_same_crs(cells, incidents, ("cells", "incidents"))
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise DataError(f"unknown method(s) {bad}; choose from {list(METHODS)}.")
    if train_months < 1 or test_months < 1:
        raise DataError("train_months and test_months must be at least 1.")
    months = _months_of(incidents["month"], "incidents column 'month'")
    span = pd.period_range(months.min(), months.max(), freq="M")
    need = train_months + test_months
    if len(span) < need:
        raise DataError(
            f"a backtest needs at least train_months + test_months = {need} months of "
            f"incidents; the data cover {len(span)} ({span[0]} to {span[-1]}). Load more "
            "months, or reduce train_months/test_months."
        )
    import geopandas as gpd

    poly = gpd.GeoDataFrame({"_pos": np.arange(len(cells))}, geometry=cells.geometry.to_numpy())
    pts = gpd.GeoDataFrame(geometry=incidents.geometry.to_numpy(), crs=cells.crs)
    joined = gpd.sjoin(pts, poly.set_crs(cells.crs), how="left", predicate="intersects")
    pos = joined[~joined.index.duplicated(keep="first")].sort_index()["_pos"].to_numpy(float)
    inside = ~np.isnan(pos)
    if (~inside).any():
        warnings.warn(
            f"{int((~inside).sum())} incidents fall outside every cell; they are not scored.",
            HotspotsWarning,
            stacklevel=2,
        )
    m_idx = months.asi8 - span[0].ordinal
    pos_i = np.where(inside, pos, 0).astype(int)
    counts = np.zeros((len(cells), len(span)))
    np.add.at(counts, (pos_i[inside], m_idx[inside]), 1.0)
    area = cells.geometry.area.to_numpy()
    width = float(np.sqrt(np.median(area)))
    cxy = np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y])
    pxy = np.column_stack([incidents.geometry.x, incidents.geometry.y])
    W = _spatial_weights(cells, neighbours="distance", distance=None, k=None)
    rows: list[dict[str, Any]] = []
    for t0 in range(train_months, len(span) - test_months + 1):
        train = slice(t0 - train_months, t0)
        test = counts[:, t0 : t0 + test_months].sum(axis=1)
        train_counts = counts[:, train].sum(axis=1)
        in_train = inside & (m_idx >= t0 - train_months) & (m_idx < t0)
        for method in methods:
            if method == "last_period":
                score = train_counts
            elif method == "kde":
                xy = pxy[in_train]
                bw = max(_arcgis_bandwidth(xy), width) if len(xy) > 1 else width
                score = _quartic(xy, cxy, bw)
            elif method == "gi_star":
                score = _gi_star_z(train_counts, W)
            else:
                weeks = (t0 - m_idx[in_train] - 0.5) * (365.25 / 12 / 7)
                score = _prospective(pxy[in_train], weeks, cxy, prospective_bandwidth, width)
            for cov in coverage:
                hr = hit_rate(score, test, coverage=cov, cell_area=area)
                rows.append({
                    "test_month": str(span[t0]),
                    "method": method,
                    "coverage": float(cov),
                    "hit_rate": hr,
                    "pai": hr / cov,
                    "pei": pei(score, test, coverage=cov, cell_area=area),
                    "n_test": int(test.sum()),
                    "n_train": int(train_counts.sum()),
                })  # fmt: skip
    table = pd.DataFrame(rows)
    params = {"methods": list(methods), "train_months": train_months,
              "test_months": test_months, "coverage": list(coverage),
              "prospective_bandwidth": prospective_bandwidth}  # fmt: skip
    record(table, method="rolling hotspot backtest", parameters=params, seed=seed,
           inherit=incidents)  # fmt: skip
    return table


def backtest_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and number of test months of each measure, by method and
    coverage (one row each), ready to plot or print.
    """
    require_columns(table, ["method", "coverage", "hit_rate", "pai", "pei"], "table")
    g = table.groupby(["method", "coverage"], sort=True)
    out = g[["hit_rate", "pai", "pei"]].agg(["mean", "std"])
    out.columns = pd.Index(["_".join(map(str, c)) for c in out.columns.to_flat_index()])
    out["n_months"] = g.size()
    return out.reset_index()
